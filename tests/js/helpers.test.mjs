// Pure front-end helpers of sora_widgets/static/sora.js (no DOM): node --test tests/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  analyzePrompt,
  bytesToDataUrl,
  clamp,
  costKey,
  coverCrop,
  COMMAND_KIND,
  createConnection,
  createProgressModel,
  createPreviewBatcher,
  createRequester,
  LOST_MESSAGE,
  RESPONSE_KIND,
  distinct,
  downloadName,
  errorText,
  filterItems,
  formatClock,
  formatCost,
  formatSeconds,
  formatSize,
  frameFromPointer,
  frameTime,
  isTerminal,
  pageOf,
  parseSize,
  progressText,
  spriteStyle,
  statusLabel,
  stepFrame,
} from "../../sora_widgets/static/sora.js";
import sora from "../../sora_widgets/static/sora.js";

test("the module has a default export with render and never touches document at import", () => {
  assert.equal(typeof sora.render, "function");
  assert.equal(typeof globalThis.document, "undefined");
});

test("frameFromPointer maps pointer x across the width onto frames", () => {
  assert.equal(frameFromPointer(0, 320, 16), 0);
  assert.equal(frameFromPointer(19.9, 320, 16), 0);
  assert.equal(frameFromPointer(20, 320, 16), 1);
  assert.equal(frameFromPointer(160, 320, 16), 8);
  assert.equal(frameFromPointer(319.9, 320, 16), 15);
  // outside the box (pointer captured past the edge) clamps
  assert.equal(frameFromPointer(-5, 320, 16), 0);
  assert.equal(frameFromPointer(400, 320, 16), 15);
  // nothing to show
  assert.equal(frameFromPointer(10, 0, 16), -1);
  assert.equal(frameFromPointer(10, 320, 0), -1);
  assert.equal(frameFromPointer(Number.NaN, 320, 16), -1);
});

test("stepFrame: arrows from idle start at an end, then step and stop at the edges", () => {
  assert.equal(stepFrame(-1, 1, 8), 0);
  assert.equal(stepFrame(-1, -1, 8), 7);
  assert.equal(stepFrame(3, 1, 8), 4);
  assert.equal(stepFrame(3, -1, 8), 2);
  assert.equal(stepFrame(7, 1, 8), 7);
  assert.equal(stepFrame(0, -1, 8), 0);
  assert.equal(stepFrame(0, 1, 0), -1);
});

test("spriteStyle positions each tile of an 8x2 sheet", () => {
  const geom = { columns: 8, rows: 2, frames: 16, tile_width: 192, tile_height: 108, duration_s: 4 };
  assert.deepEqual(spriteStyle(geom, 0), { size: "800% 200%", position: "0% 0%" });
  assert.deepEqual(spriteStyle(geom, 7), { size: "800% 200%", position: "100% 0%" });
  assert.deepEqual(spriteStyle(geom, 8), { size: "800% 200%", position: "0% 100%" });
  assert.equal(spriteStyle(geom, 3).position, `${Math.round((3 / 7) * 100 * 10000) / 10000}% 0%`);
  // out-of-range frames clamp to the sheet
  assert.deepEqual(spriteStyle(geom, 99), spriteStyle(geom, 15));
});

test("spriteStyle percentage equals the pixel offset of the tile at any display size", () => {
  // p% aligns p% of the sheet with p% of the box: offset = p * (sheetW - boxW)
  const geom = { columns: 8, rows: 3, frames: 20, tile_width: 192, tile_height: 108, duration_s: 5 };
  const boxW = 300;
  const boxH = 168.75;
  for (let f = 0; f < geom.frames; f++) {
    const { position } = spriteStyle(geom, f);
    const [px, py] = position.split(" ").map((s) => parseFloat(s) / 100);
    const sheetW = geom.columns * boxW;
    const sheetH = geom.rows * boxH;
    assert.ok(Math.abs(px * (sheetW - boxW) - (f % 8) * boxW) < 0.01, `frame ${f} x`);
    assert.ok(Math.abs(py * (sheetH - boxH) - Math.floor(f / 8) * boxH) < 0.01, `frame ${f} y`);
  }
});

test("spriteStyle with a single column or row does not divide by zero", () => {
  assert.deepEqual(spriteStyle({ columns: 1, rows: 1, frames: 1 }, 0), { size: "100% 100%", position: "0% 0%" });
  assert.deepEqual(spriteStyle({ columns: 8, rows: 1, frames: 8 }, 5).position.split(" ")[1], "0%");
});

test("frameTime samples the middle of each slice (media.py's definition)", () => {
  const geom = { columns: 8, rows: 2, frames: 16, duration_s: 8 };
  assert.equal(frameTime(geom, 0), 0.25);
  assert.equal(frameTime(geom, 15), 7.75);
  assert.equal(frameTime(null, 3), 0);
});

test("formatClock", () => {
  assert.equal(formatClock(0), "0:00");
  assert.equal(formatClock(7.4), "0:07");
  assert.equal(formatClock(65), "1:05");
  assert.equal(formatClock(3723), "1:02:03");
  assert.equal(formatClock(null), "–");
  assert.equal(formatClock(-1), "–");
  assert.equal(formatClock(Number.POSITIVE_INFINITY), "–");
});

test("formatCost", () => {
  assert.equal(formatCost(0.4), "$0.40");
  assert.equal(formatCost(12), "$12.00");
  assert.equal(formatCost(0), "$0.00");
  assert.equal(formatCost(0.001), "< $0.01");
  assert.equal(formatCost(null), "–");
  assert.equal(formatCost(undefined), "–");
});

test("sizes and seconds", () => {
  assert.deepEqual(parseSize("1280x720"), { width: 1280, height: 720 });
  assert.equal(parseSize("12x"), null);
  assert.equal(parseSize("0x5"), null);
  assert.equal(formatSize("720x1280"), "720×1280");
  assert.equal(formatSize("weird"), "weird");
  assert.equal(formatSeconds("8"), "8 s");
  assert.equal(formatSeconds(""), "");
});

test("status words, terminal statuses, unknown statuses from other backends", () => {
  assert.equal(statusLabel("in_progress"), "Rendering");
  assert.equal(statusLabel("completed"), "Ready");
  assert.equal(statusLabel("some_new_state"), "Some new state");
  assert.ok(isTerminal("completed") && isTerminal("failed") && isTerminal("expired") && isTerminal("deleted"));
  assert.ok(isTerminal("cancelled") && statusLabel("cancelled") === "Cancelled");
  assert.ok(!isTerminal("queued") && !isTerminal("in_progress") && !isTerminal("processing"));
  assert.equal(clamp(5, 0, 3), 3);
});

test("progressText: percent, ETA, elapsed; indeterminate without progress", () => {
  const item = { status: "in_progress", progress: 42.4, eta_s: 31 };
  assert.equal(progressText(item, { value: 42.4, eta: 31, elapsed: 12 }), "42% · 0:31 left · 0:12 elapsed");
  assert.equal(progressText(item, { value: 97.2, eta: 0.2, elapsed: 60 }), "97% · finishing… · 1:00 elapsed");
  const none = { status: "in_progress", progress: null, eta_s: null };
  assert.equal(progressText(none, { value: null, eta: null, elapsed: 5 }), "Working (no progress reported) · 0:05 elapsed");
  assert.equal(
    progressText({ ...none, typical_s: 70 }, { value: null, eta: null, elapsed: 5 }),
    "Working (no progress reported) · ~1:05 left · 0:05 elapsed · usually ~1:10",
  );
  // past the usual time: no countdown below zero, the usual time alone
  assert.equal(
    progressText({ ...none, typical_s: 70 }, { value: null, eta: null, elapsed: 80 }),
    "Working (no progress reported) · 1:20 elapsed · usually ~1:10",
  );
  assert.equal(progressText({ status: "queued", progress: 0, eta_s: null }, { value: 0, eta: null, elapsed: 1 }), "Waiting in the queue · 0:01 elapsed");
});

test("errorText names the blocked input for moderation", () => {
  const msg = "Your request was blocked by our moderation system.";
  assert.equal(errorText({ code: "moderation_blocked", message: msg, blocked_input: "prompt" }), `${msg} (the prompt was flagged)`);
  assert.equal(errorText({ code: "moderation_blocked", message: msg, blocked_input: "image" }), `${msg} (the reference image was flagged)`);
  assert.equal(errorText({ code: "x", message: msg, blocked_input: null }), msg);
  // the emulator (and the real API) may say which input already: not twice
  const said = `${msg} The prompt was flagged: named character ('Mario').`;
  assert.equal(errorText({ code: "moderation_blocked", message: said, blocked_input: "prompt" }), said);
  assert.equal(errorText(null), "");
});

test("coverCrop is centred and keeps the target aspect (like PIL ImageOps.fit)", () => {
  // 4000x3000 photo to 1280x720: full width, crop top and bottom
  const c = coverCrop(4000, 3000, 1280, 720);
  assert.equal(c.sw, 4000);
  assert.equal(c.sh, 2250);
  assert.equal(c.sx, 0);
  assert.equal(c.sy, 375);
  // square to portrait: full height, crop the sides
  const p = coverCrop(1000, 1000, 720, 1280);
  assert.equal(p.sh, 1000);
  assert.ok(Math.abs(p.sw - 562.5) < 1e-9);
  assert.ok(Math.abs(p.sx - 218.75) < 1e-9);
  // exact size: no crop
  assert.deepEqual(coverCrop(1280, 720, 1280, 720), { sx: 0, sy: 0, sw: 1280, sh: 720 });
});

test("downloadName and costKey", () => {
  assert.equal(downloadName({ video_id: "video_abc", job_id: "job_1" }), "video_abc.mp4");
  assert.equal(downloadName({ video_id: null, job_id: "job_1" }), "job_1.mp4");
  assert.equal(downloadName({ video_id: "../../etc/passwd", job_id: "j" }), ".._.._etc_passwd.mp4");
  assert.equal(costKey("sora-2", "1280x720", "8"), "sora-2|1280x720|8");
});

const ITEMS = [
  { job_id: "a", status: "completed", model: "sora-2", prompt: "A red fox in the snow", created_at: 10 },
  { job_id: "b", status: "failed", model: "sora-2-pro", prompt: "A burger", created_at: 30 },
  { job_id: "c", status: "in_progress", model: "sora-2", prompt: "Fox cubs playing", created_at: 20 },
  { job_id: "d", status: "queued", model: "sora-2-pro", prompt: "Neon city at night", created_at: 40 },
];

test("filterItems: newest first, by status, model and every search term", () => {
  assert.deepEqual(filterItems(ITEMS).map((i) => i.job_id), ["d", "b", "c", "a"]);
  assert.deepEqual(filterItems(ITEMS, { status: "completed" }).map((i) => i.job_id), ["a"]);
  assert.deepEqual(filterItems(ITEMS, { status: "running" }).map((i) => i.job_id), ["d", "c"]);
  assert.deepEqual(filterItems(ITEMS, { model: "sora-2" }).map((i) => i.job_id), ["c", "a"]);
  assert.deepEqual(filterItems(ITEMS, { query: "FOX" }).map((i) => i.job_id), ["c", "a"]);
  assert.deepEqual(filterItems(ITEMS, { query: "fox snow" }).map((i) => i.job_id), ["a"]);
  assert.deepEqual(filterItems(ITEMS, { status: "all", model: "all", query: "  " }).length, 4);
  assert.deepEqual(distinct(ITEMS, "model"), ["sora-2", "sora-2-pro"]);
  // the input is not reordered in place
  assert.equal(ITEMS[0].job_id, "a");
});

test("pageOf clamps the page and counts pages", () => {
  const items = Array.from({ length: 500 }, (_, i) => i);
  assert.deepEqual(pageOf(items, 0, 24).items, items.slice(0, 24));
  assert.equal(pageOf(items, 0, 24).pages, 21);
  assert.deepEqual(pageOf(items, 20, 24).items, items.slice(480));
  assert.equal(pageOf(items, 99, 24).page, 20);
  assert.equal(pageOf([], 3, 24).page, 0);
  assert.equal(pageOf([], 3, 24).pages, 1);
});

// The rules as widgets/coach.py sends them (a small subset is enough to test the algorithm).
const RULES = {
  aspects: [
    { key: "shot", label: "Shot type", hint: "", words: ["close-up", "shot", "tracking"] },
    { key: "subject", label: "Subject", hint: "", rest: true },
    { key: "action", label: "Action", hint: "", words: ["rising", "rises", "zooms"] },
    { key: "setting", label: "Setting", hint: "", words: ["kitchen"], patterns: [" (in|on|at) (a|an|the) "] },
    { key: "lighting", label: "Lighting", hint: "", words: ["lighting", "warm"] },
  ],
  stopwords: ["a", "an", "the", "of", "on", "in", "from"],
};

test("analyzePrompt: 'A burger' has only a subject", () => {
  const r = analyzePrompt("A burger", RULES);
  assert.deepEqual(r.missing, ["shot", "action", "setting", "lighting"]);
  assert.equal(r.score, 0.2);
});

test("analyzePrompt: the seed's good prompt covers all five", () => {
  const r = analyzePrompt(
    "Close-up shot of a gourmet burger on a wooden board, steam rising from the hot patty, warm restaurant lighting",
    RULES,
  );
  assert.deepEqual(r.missing, []);
  assert.equal(r.score, 1);
  assert.deepEqual(r.checks.map((c) => c.present), [true, true, true, true, true]);
});

test("analyzePrompt: whole words only, and words claimed by other aspects are not a subject", () => {
  assert.deepEqual(analyzePrompt("warmly shooting", RULES).checks.find((c) => c.key === "lighting").present, false);
  assert.deepEqual(analyzePrompt("tracking shot, warm lighting", RULES).checks.find((c) => c.key === "subject").present, false);
  assert.deepEqual(analyzePrompt("", RULES).missing.length, 5);
});

function fakeModel() {
  const handlers = new Set();
  const events = new Map();
  const sent = [];
  return {
    sent,
    handlers,
    events,
    on(name, fn) {
      if (name === "msg:custom") handlers.add(fn);
      else events.set(name, fn);
    },
    off(name, fn) {
      if (name === "msg:custom") handlers.delete(fn);
      else events.delete(name);
    },
    send(content, callbacks, buffers) {
      sent.push({ content, buffers });
    },
    reply(msg, buffers = []) {
      for (const fn of [...handlers]) fn(msg, buffers);
    },
    /** answer request `content` the way widgets/_base.py does (anywidget's command response) */
    answer(content, response, buffers = []) {
      this.reply({ kind: RESPONSE_KIND, id: content.id, response }, buffers);
    },
    /** answer every ping sent so far */
    pong() {
      for (const { content } of sent) if (content.name === "ping" && !content.answered) {
        content.answered = true;
        this.answer(content, { ok: true, result: { pong: true } });
      }
    },
  };
}
const commands = (model, name) => model.sent.filter((m) => m.content.name === name);

test("createRequester: anywidget's command envelope out, matching response resolves with buffers", async () => {
  const model = fakeModel();
  const rq = createRequester(model, { timeoutMs: 1000 });
  model.pong();
  const buf = new Uint8Array([1, 2, 3]).buffer;
  const p = rq.request("previews", { job_ids: ["j"], variant: "thumbnail" }, { buffers: [buf] });
  const [{ content, buffers }] = commands(model, "previews");
  assert.equal(content.kind, COMMAND_KIND);
  assert.equal(COMMAND_KIND, "anywidget-command");
  assert.deepEqual(content.msg, { job_ids: ["j"], variant: "thumbnail" });
  assert.deepEqual(buffers, [buf]);
  // replies for other ids and other kinds are ignored
  model.reply({ kind: RESPONSE_KIND, id: "nope", response: { ok: true } });
  model.reply({ kind: "other", id: content.id, response: { ok: true } });
  assert.equal(rq.pending, 1);
  const view = new DataView(new Uint8Array([9]).buffer);
  model.answer(content, { ok: true, result: { mime: "image/webp" } }, [view]);
  const out = await p;
  assert.deepEqual(out.result, { mime: "image/webp" });
  assert.equal(out.buffers[0].getUint8(0), 9);
  assert.equal(rq.pending, 0);
  rq.dispose();
  assert.equal(model.handlers.size, 0);
  assert.equal(model.events.size, 0);
});

test("createRequester: an error reply rejects with the kernel's words", async () => {
  const model = fakeModel();
  const rq = createRequester(model, { timeoutMs: 1000 });
  model.pong();
  const p = rq.request("submit", { prompt: "" });
  model.answer(commands(model, "submit")[0].content, { ok: false, error: "prompt must be non-empty" });
  await assert.rejects(p, /prompt must be non-empty/);
  rq.dispose();
});

test("createRequester: no answer times out, and dispose rejects what is pending", async () => {
  const model = fakeModel();
  const rq = createRequester(model, { timeoutMs: 20, pingTimeoutMs: 5000 });
  model.pong();
  await assert.rejects(rq.request("previews", {}), /No answer from the kernel/);
  assert.equal(rq.pending, 0);
  const rq2 = createRequester(model, { timeoutMs: 10000, pingTimeoutMs: 5000 });
  const p = rq2.request("previews", {});
  rq2.dispose();
  await assert.rejects(p, /closed/);
  rq.dispose();
});

test("createRequester: ids are unique per request", () => {
  const model = fakeModel();
  const rq = createRequester(model, { timeoutMs: 1000 });
  rq.request("a").catch(() => {});
  rq.request("b").catch(() => {});
  const ids = model.sent.map((m) => m.content.id);
  assert.equal(new Set(ids).size, ids.length);
  rq.dispose();
});

test("connection: an unanswered ping on an idle kernel is a lost kernel, and commands then fail at once", async () => {
  const model = fakeModel();
  const rq = createRequester(model, { timeoutMs: 10000, pingTimeoutMs: 30, kernel: { status: "idle" } });
  const waiting = rq.request("download", { job_id: "j" });
  const states = [];
  rq.connection.subscribe((s) => states.push(s));
  await assert.rejects(waiting, new RegExp(LOST_MESSAGE));
  assert.equal(rq.connection.state, "lost");
  assert.deepEqual(states, ["lost"]);
  await assert.rejects(rq.request("remix", { job_id: "j", prompt: "x" }), /re-run the cell/);
  // ...but a kernel that answers after all brings the view back
  model.pong();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(rq.connection.state, "live");
  rq.dispose();
});

test("connection: a busy kernel is not lost; asked again when it goes idle", async () => {
  const model = fakeModel();
  let statusFn = null;
  const kernel = { status: "busy", statusChanged: { connect: (fn) => (statusFn = fn), disconnect: () => (statusFn = null) } };
  const rq = createRequester(model, { timeoutMs: 10000, pingTimeoutMs: 20, kernel });
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(rq.connection.state, "busy");
  kernel.status = "idle";
  statusFn(kernel, "idle");
  assert.equal(commands(model, "ping").length, 2);
  model.pong();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(rq.connection.state, "live");
  // a restart is a loss at once, no ping needed
  statusFn(kernel, "restarting");
  assert.equal(rq.connection.state, "lost");
  rq.dispose();
  assert.equal(statusFn, null);
});

test("connection: comm_live_update (the manager marks models dead on a restart) checks again", async () => {
  const model = fakeModel();
  const rq = createRequester(model, { timeoutMs: 10000, pingTimeoutMs: 20, kernel: { status: "idle" } });
  model.pong();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(rq.connection.state, "live");
  model.events.get("comm_live_update")();
  assert.equal(rq.connection.state, "checking");
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(rq.connection.state, "lost");
  rq.dispose();
});

test("createConnection: before an action, a stale connection is checked again", () => {
  let pings = 0;
  let t = 0;
  const conn = createConnection({ ping: () => (pings++, new Promise(() => {})), now: () => t });
  assert.equal(pings, 1);
  conn.heard();
  t = 1000;
  conn.beforeAction();
  assert.equal(pings, 1); // in flight still: one at a time
  conn.dispose();
});

// A fake kernel for the batcher: records each previews command and answers when told to.
function fakeKernel() {
  const calls = [];
  return {
    calls,
    request(cmd, args, opts) {
      return new Promise((resolve, reject) => calls.push({ cmd, args, opts, resolve, reject }));
    },
    /** Answer call `i`: every job found except those in `missing`. */
    answer(i, missing = []) {
      const { args, resolve } = calls[i];
      const found = args.job_ids.filter((id) => !missing.includes(id));
      resolve({
        result: { variant: args.variant, items: found.map((id) => ({ job_id: id, mime: `image/${args.variant}` })), missing: Object.fromEntries(missing.map((id) => [id, `no ${args.variant} here`])) },
        buffers: found.map((id) => new DataView(new TextEncoder().encode(id).buffer)),
      });
    },
  };
}
const tick = () => new Promise((r) => setImmediate(r));
const text = (view) => new TextDecoder().decode(view);

test("createPreviewBatcher: one tick's requests become one command per lane: thumbnails, prefetch, sheets", async () => {
  const kernel = fakeKernel();
  const b = createPreviewBatcher(kernel.request, { batchSize: 50, concurrency: 2 });
  const sheets = ["a", "b"].map((id) => b.get(id, "spritesheet"));
  const thumbs = ["a", "b", "c"].map((id) => b.get(id, "thumbnail"));
  const pre = b.get("z", "thumbnail", "low");
  assert.equal(kernel.calls.length, 0, "nothing is sent before the task ends");
  await tick();
  assert.deepEqual(kernel.calls.map((c) => [c.cmd, c.args.variant, c.args.job_ids]), [
    ["previews", "thumbnail", ["a", "b", "c"]],
    ["previews", "thumbnail", ["z"]],
  ]);
  assert.equal(b.inflight, 2);
  assert.equal(b.queued, 2, "the spritesheets wait for a free slot");
  kernel.answer(0, ["c"]);
  const [ta, tb, tc] = await Promise.allSettled(thumbs);
  assert.equal(text(ta.value.buffer), "a");
  assert.equal(ta.value.mime, "image/thumbnail");
  assert.equal(text(tb.value.buffer), "b");
  assert.match(tc.reason.message, /no thumbnail here/);
  await tick();
  assert.deepEqual(kernel.calls[2].args, { job_ids: ["a", "b"], variant: "spritesheet" });
  kernel.answer(1);
  kernel.answer(2);
  assert.deepEqual((await Promise.all(sheets)).map((x) => text(x.buffer)), ["a", "b"]);
  assert.equal(text((await pre).buffer), "z");
  assert.equal(b.inflight, 0);
});

test("createPreviewBatcher: batches are bounded, concurrency too; a failed command rejects its batch only", async () => {
  const kernel = fakeKernel();
  const b = createPreviewBatcher(kernel.request, { batchSize: 2, concurrency: 1 });
  const all = Promise.allSettled(["a", "b", "c", "d", "e"].map((id) => b.get(id, "thumbnail")));
  await tick();
  assert.equal(kernel.calls.length, 1);
  assert.deepEqual(kernel.calls[0].args.job_ids, ["a", "b"]);
  kernel.calls[0].reject(new Error("No answer from the kernel"));
  await tick();
  assert.deepEqual(kernel.calls[1].args.job_ids, ["c", "d"]);
  kernel.answer(1);
  await tick();
  assert.deepEqual(kernel.calls[2].args.job_ids, ["e"]);
  kernel.answer(2);
  const out = await all;
  assert.deepEqual(out.map((r) => r.status), ["rejected", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
  assert.equal(kernel.calls.length, 3);
});

test("createPreviewBatcher: a prefetch promoted to the page goes with the page's thumbnails", async () => {
  const kernel = fakeKernel();
  const b = createPreviewBatcher(kernel.request, { concurrency: 1 });
  b.get("busy", "spritesheet");
  await tick(); // the one slot is taken
  b.get("n1", "thumbnail", "low");
  b.get("n2", "thumbnail", "low");
  b.get("p1", "thumbnail");
  b.promote("n2");
  kernel.answer(0);
  await tick();
  await tick();
  assert.deepEqual(kernel.calls[1].args.job_ids, ["p1", "n2"]);
  kernel.answer(1);
  await tick();
  assert.deepEqual(kernel.calls[2].args.job_ids, ["n1"]);
});

test("createPreviewBatcher: dispose rejects what is queued and refuses new requests", async () => {
  const kernel = fakeKernel();
  const b = createPreviewBatcher(kernel.request);
  const p = b.get("a", "thumbnail");
  b.dispose();
  await assert.rejects(p, /closed/);
  await assert.rejects(b.get("b", "thumbnail"), /closed/);
  await tick();
  assert.equal(kernel.calls.length, 0);
});

test("bytesToDataUrl: base64 of exactly the view's bytes", () => {
  const backing = new Uint8Array([0, 255, 1, 2, 3, 250, 9]);
  const view = new DataView(backing.buffer, 1, 4); // 255 1 2 3
  assert.equal(bytesToDataUrl(view, "image/webp"), `data:image/webp;base64,${Buffer.from([255, 1, 2, 3]).toString("base64")}`);
  const big = new Uint8Array(100000).map((_, i) => (i * 7) % 256);
  assert.equal(bytesToDataUrl(big, "image/jpeg"), `data:image/jpeg;base64,${Buffer.from(big).toString("base64")}`);
  assert.equal(bytesToDataUrl(new ArrayBuffer(0), "x/y"), "data:x/y;base64,");
});

test("createProgressModel: a new view of the same job never starts below what the last one showed", () => {
  const first = createProgressModel();
  first.report({ job_id: "job_mono", status: "in_progress", progress: 50, eta_s: 10, elapsed_s: 10 }, 0);
  const shownBefore = first.at(5000).value;
  assert.ok(shownBefore > 50, `extrapolated past the report: ${shownBefore}`);
  const again = createProgressModel(); // the list re-rendered: a fresh view, a report a little behind
  again.report({ job_id: "job_mono", status: "in_progress", progress: 52, eta_s: 8, elapsed_s: 12 }, 5000);
  assert.ok(again.at(5000).value >= shownBefore, "started lower than the previous view showed");
  const other = createProgressModel();
  other.report({ job_id: "job_other", status: "in_progress", progress: 10, eta_s: 10, elapsed_s: 1 }, 0);
  assert.equal(other.at(0).value, 10);
});

test("createProgressModel: two live views of one job, even from two copies of the module, never show less than either did", async () => {
  // marimo loads a widget's module once per widget: the panel's and the gallery's copies must agree
  const copy = await import(`../../sora_widgets/static/sora.js?copy=${Date.now()}`);
  assert.notEqual(copy.createProgressModel, createProgressModel, "the test needs a second module instance");
  const panel = createProgressModel();
  const gallery = copy.createProgressModel();
  panel.report({ job_id: "job_both", status: "in_progress", progress: 80, eta_s: 2, elapsed_s: 8 }, 0);
  gallery.report({ job_id: "job_both", status: "in_progress", progress: 80, eta_s: 6, elapsed_s: 8 }, 0);
  let highest = 0;
  for (let t = 0; t <= 4000; t += 250) {
    for (const view of t % 500 ? [panel, gallery] : [gallery, panel]) {
      const { value } = view.at(t);
      assert.ok(value >= highest, `a view showed ${value} after ${highest} was shown at ${t} ms`);
      highest = value;
    }
  }
  assert.ok(highest > 80 && highest < 99.01, `extrapolated within the ceiling: ${highest}`);
});
