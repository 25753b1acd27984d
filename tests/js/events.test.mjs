// One event name per `model.on` call (js/src/events.js): marimo's model does not split "change:a change:b".
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { listen, listenTogether } from "../../js/src/events.js";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "js", "src");

/** A model like marimo's: one listener set per exact event name, no splitting. */
function marimoLikeModel() {
  /** @type {Map<string, Set<Function>>} */
  const listeners = new Map();
  return {
    listeners,
    on(name, fn) {
      if (!listeners.has(name)) listeners.set(name, new Set());
      listeners.get(name).add(fn);
    },
    off(name, fn) {
      listeners.get(name)?.delete(fn);
    },
    emit(name) {
      for (const fn of listeners.get(name) || []) fn();
    },
  };
}

test("listen registers each name on its own, and its result removes them all", () => {
  const model = marimoLikeModel();
  let calls = 0;
  const off = listen(model, " change:items  change:live ", () => (calls += 1));
  assert.deepEqual([...model.listeners.keys()].sort(), ["change:items", "change:live"]);
  model.emit("change:items");
  model.emit("change:live");
  model.emit("change:items change:live"); // no such event name: nothing listens to it
  assert.equal(calls, 2);
  off();
  model.emit("change:items");
  model.emit("change:live");
  assert.equal(calls, 2);
});

/** marimo's update: each key of one kernel message is set, then announced, before the next is set. */
function applyLikeMarimo(model, data, state) {
  for (const [key, value] of Object.entries(state)) {
    data[key] = value;
    model.emit(`change:${key}`);
  }
}

test("listenTogether runs once per kernel update, after every key of it is set", async () => {
  const model = marimoLikeModel();
  const data = { items: [{ job_id: "a", status: "pending" }], live: { a: { status: "in_progress" } } };
  const drawn = [];
  const draw = () => {
    const it = data.items[0];
    drawn.push({ ...it, ...(data.live[it.job_id] || {}) }.status);
  };
  const off = listenTogether(model, "change:items change:live", draw);
  // the job finished: live drops it and items carries its final row, live announced first
  applyLikeMarimo(model, data, { live: {}, items: [{ job_id: "a", status: "completed" }] });
  assert.deepEqual(drawn, [], "drawn before the update was whole");
  await Promise.resolve();
  assert.deepEqual(drawn, ["completed"], "a finished job was drawn from its stale row");
  // listen() alone draws the stale row in between: what this guards against
  const eager = [];
  const offEager = listen(model, "change:items change:live", () => eager.push(data.items[0].status + "/" + Object.keys(data.live).length));
  applyLikeMarimo(model, data, { live: { a: { status: "queued" } }, items: [{ job_id: "a", status: "pending" }] });
  assert.deepEqual(eager, ["completed/1", "pending/1"]);
  offEager();
  await Promise.resolve();
  assert.equal(drawn.length, 2);
  off();
  applyLikeMarimo(model, data, { live: {} });
  await Promise.resolve();
  assert.equal(drawn.length, 2, "called after its listeners were removed");
});

// protocol.js hands model.on/off to connection.js, which listens for the single name "comm_live_update".
const FORWARDED = /\bo(n|ff): \(names, fn\) => model\.o(n|ff)\(names, fn\)/;

test("every model.on/off in js/src names one event, given as a literal (or goes through listen)", () => {
  const bad = [];
  for (const file of readdirSync(SRC).filter((f) => f.endsWith(".js") && f !== "events.js")) {
    const lines = readFileSync(join(SRC, file), "utf8").split("\n");
    lines.forEach((line, i) => {
      if (FORWARDED.test(line)) return;
      for (const m of line.matchAll(/model\.(on|off)\(([^,)]*)/g)) {
        const arg = m[2].trim();
        const single = /^"[^"\s]+"$/.test(arg);
        if (!single) bad.push(`${file}:${i + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(bad, [], "use listen(model, names, fn) from events.js for several names");
});
