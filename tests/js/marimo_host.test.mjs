// The front end on a host that exposes no kernel (marimo: no `widget_manager.kernel`, no `comm_live_update`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createConnection, createRequester, RESPONSE_KIND } from "../../sora_widgets/static/sora.js";

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** marimo's model, as far as the requester sees it: exact event names, custom messages, no kernel. */
function marimoModel() {
  const listeners = new Map();
  const sent = [];
  return {
    sent,
    widget_manager: { get_model: async () => null },
    on(name, fn) {
      if (!listeners.has(name)) listeners.set(name, new Set());
      listeners.get(name).add(fn);
    },
    off(name, fn) {
      listeners.get(name)?.delete(fn);
    },
    send(content, callbacks, buffers) {
      sent.push({ content, buffers });
      return Promise.resolve();
    },
    /** the kernel answers request `content` (as widgets/_base.py does) */
    answer(content, result) {
      for (const fn of listeners.get("msg:custom") || []) fn({ kind: RESPONSE_KIND, id: content.id, response: { ok: true, result } }, []);
    },
  };
}

test("no kernel to watch: an unanswered ping is 'busy', never 'lost', and is asked again later", async () => {
  let pings = 0;
  /** @type {Function[]} */
  const answers = [];
  const conn = createConnection({
    ping: () => (pings++, new Promise((resolve, reject) => (answers.push(resolve), setTimeout(() => reject(new Error("timeout")), 10)))),
    pingTimeoutMs: 10,
    recheckMs: [20],
  });
  assert.equal(pings, 1);
  await tick(15);
  assert.equal(conn.state, "busy");
  assert.equal(conn.lost, false);
  await tick(40); // re-asked after recheckMs (and again: still no answer)
  assert.ok(pings >= 2, `pinged ${pings} times`);
  assert.equal(conn.state, "busy");
  conn.heard();
  assert.equal(conn.state, "live");
  const before = pings;
  await tick(60);
  assert.equal(pings, before, "a live connection is not pinged on a timer");
  conn.dispose();
});

test("marimo-like model: commands still go out while the kernel is busy, and a late answer brings the view back", async () => {
  const model = marimoModel();
  const rq = createRequester(model, { timeoutMs: 5000, pingTimeoutMs: 10 });
  const ping = model.sent[0].content;
  assert.equal(ping.name, "ping");
  await tick(20);
  assert.equal(rq.connection.state, "busy");
  const download = rq.request("download", { job_id: "j" });
  const sent = model.sent.find((m) => m.content.name === "download");
  assert.ok(sent, "the download was sent, not failed at once");
  // the cell finishes: the kernel answers the ping that timed out, then the download
  model.answer(ping, { pong: true });
  assert.equal(rq.connection.state, "live");
  model.answer(sent.content, { filename: "x.mp4" });
  assert.deepEqual((await download).result, { filename: "x.mp4" });
  rq.dispose();
});
