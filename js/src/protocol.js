// @ts-check
// The kernel protocol: commands over the widget's custom messages, and the batcher that turns many cards'
// preview wants into a few `previews` commands. Pure (no DOM).
//
// The wire format is anywidget's `invoke` (anywidget/experimental.command on the kernel's side), written out
// here because anywidget's `invoke` ships inside its Jupyter extension, not as a module a bundle can import:
//   browser -> kernel  {kind: "anywidget-command", id, name, msg} (+ buffers), always answered with
//   kernel -> browser  {kind: "anywidget-command-response", id, response: {ok, result | error}} (+ buffers).
// Unlike anywidget's `invoke` (3 s by default, then a bare abort), each command has its own timeout, and a
// view whose kernel is gone (connection.js) fails its commands at once with words saying what to do.

import { createConnection, kernelOf, LOST_MESSAGE } from "./connection.js";

export const COMMAND_KIND = "anywidget-command";
export const RESPONSE_KIND = "anywidget-command-response";
/** Commands the user starts (the others are the view's own fetches): they re-check the connection first. */
const ACTIONS = new Set(["submit", "download", "remix", "delete", "retry", "media"]);
/** @typedef {{connection: import("./connection.js").Connection}} Watched */
/** @type {WeakMap<object, Watched>} model -> its view's requester */
const REQUESTERS = new WeakMap();

/** The requester a view made for `model` (the error banner shows its connection). @param {object} model
 * @returns {Watched | null} */
export function requesterOf(model) {
  return REQUESTERS.get(model) || null;
}

/**
 * Preview lanes, served in this order: the thumbnails on screen, the next page's thumbnails (small: a page of them
 * weighs less than a few spritesheets, and paging on then shows them at once), the spritesheets on screen.
 */
export const PREVIEW_LANES = Object.freeze(["thumbnail", "prefetch", "spritesheet"]);

/**
 * Batches preview requests: every `get` made in one task joins a `previews` command that answers many jobs'
 * thumbnails (or spritesheets) at once, one binary buffer per job. Lanes are served in PREVIEW_LANES order; at
 * most `batchSize` jobs per command and `concurrency` commands in flight (the kernel answers them in order, so
 * a second one in flight only saves the idle gap between them).
 * @param {(cmd: string, args: object, opts?: object) => Promise<{result: any, buffers: DataView[]}>} request
 * @param {{batchSize?: number, concurrency?: number, timeoutMs?: number,
 *          schedule?: (fn: () => void) => void}} [options]
 */
export function createPreviewBatcher(request, { batchSize = 100, concurrency = 2, timeoutMs = 30000, schedule = queueMicrotask } = {}) {
  /** @type {Map<string, Map<string, {resolve: Function, reject: Function}>>} lane -> job id -> waiter */
  const lanes = new Map(PREVIEW_LANES.map((lane) => [lane, new Map()]));
  /** @param {string} lane */
  const laneQueue = (lane) => /** @type {Map<string, {resolve: Function, reject: Function}>} */ (lanes.get(lane));
  let inflight = 0;
  let scheduled = false;
  let closed = false;
  const laneOf = (variant, priority) => (variant === "thumbnail" && priority === "low" ? "prefetch" : variant);

  const send = async (lane, waiters) => {
    const variant = lane === "prefetch" ? "thumbnail" : lane;
    try {
      const { result, buffers } = await request("previews", { job_ids: [...waiters.keys()], variant }, { timeoutMs });
      const found = new Map((result?.items || []).map((it, i) => [it.job_id, { buffer: buffers[i], mime: it.mime }]));
      for (const [id, w] of waiters) {
        const hit = found.get(id);
        if (hit && hit.buffer) w.resolve(hit);
        else w.reject(new Error(result?.missing?.[id] || `no ${variant} for ${id}`));
      }
    } catch (err) {
      for (const w of waiters.values()) w.reject(err);
    }
  };
  const pump = () => {
    scheduled = false;
    while (!closed && inflight < concurrency) {
      const lane = PREVIEW_LANES.find((l) => laneQueue(l).size > 0);
      if (!lane) return;
      const queue = laneQueue(lane);
      const waiters = new Map();
      for (const [id, w] of queue) {
        if (waiters.size >= batchSize) break;
        waiters.set(id, w);
        queue.delete(id);
      }
      inflight += 1;
      send(lane, waiters).finally(() => {
        inflight -= 1;
        pump();
      });
    }
  };
  return {
    get inflight() {
      return inflight;
    },
    get queued() {
      let n = 0;
      for (const q of lanes.values()) n += q.size;
      return n;
    },
    /**
     * @param {string} jobId @param {"thumbnail"|"spritesheet"} variant
     * @param {"high"|"low"} [priority] low: a thumbnail prefetch, served after the thumbnails on screen
     * @returns {Promise<{buffer: DataView, mime: string}>}
     */
    get(jobId, variant, priority = "high") {
      if (closed) return Promise.reject(new Error("The view was closed"));
      return new Promise((resolve, reject) => {
        laneQueue(laneOf(variant, priority)).set(jobId, { resolve, reject });
        if (!scheduled) {
          scheduled = true;
          schedule(pump);
        }
      });
    },
    /** A queued prefetch of `jobId` is now wanted on screen: serve it with the page's thumbnails. */
    promote(jobId) {
      const w = laneQueue("prefetch").get(jobId);
      if (!w) return;
      laneQueue("prefetch").delete(jobId);
      laneQueue("thumbnail").set(jobId, w);
    },
    dispose() {
      closed = true;
      for (const q of lanes.values()) {
        for (const w of q.values()) w.reject(new Error("The view was closed"));
        q.clear();
      }
    },
  };
}

/**
 * Request/response over the widget's custom messages: every request carries an id, the kernel always
 * answers (errors too), and an unanswered request fails after a timeout instead of hanging the view.
 * Also watches the connection (`connection`): once the kernel is lost every request fails at once.
 * @param {{send: Function, on: Function, off: Function, widget_manager?: any}} model
 * @param {{timeoutMs?: number, pingTimeoutMs?: number, kernel?: any}} [options]
 */
export function createRequester(model, { timeoutMs = 20000, pingTimeoutMs, kernel = kernelOf(model) } = {}) {
  let seq = 0;
  const pending = new Map();
  const prefix = Math.random().toString(36).slice(2, 8);
  /** @type {import("./connection.js").Connection | null} */
  let connection = null;
  const onMessage = (msg, buffers) => {
    if (!msg || msg.kind !== RESPONSE_KIND) return;
    connection?.heard(); // any answer, even a late one whose request timed out, says the kernel is there
    const entry = pending.get(msg.id);
    if (!entry) return;
    pending.delete(msg.id);
    clearTimeout(entry.timer);
    const body = msg.response || {};
    if (body.ok) entry.resolve({ result: body.result ?? null, buffers: buffers || [] });
    else entry.reject(new Error(body.error || "The kernel could not do that"));
  };
  model.on("msg:custom", onMessage);
  /** @param {string} cmd @param {object} args @param {ArrayBuffer[]} buffers @param {number} t */
  const send = (cmd, args, buffers, t) => {
    seq += 1;
    const id = `${prefix}-${seq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`No answer from the kernel after ${Math.round(t / 1000)} s (is a cell still running?)`));
      }, t);
      pending.set(id, { resolve, reject, timer });
      model.send({ kind: COMMAND_KIND, id, name: cmd, msg: args }, undefined, buffers);
    });
  };
  const requester = {
    get pending() {
      return pending.size;
    },
    /** @returns {import("./connection.js").Connection} */
    get connection() {
      return /** @type {any} */ (connection);
    },
    /**
     * @param {string} cmd @param {object} [args]
     * @param {{buffers?: ArrayBuffer[], timeoutMs?: number}} [opts]
     * @returns {Promise<{result: any, buffers: DataView[]}>}
     */
    request(cmd, args = {}, { buffers = [], timeoutMs: t = timeoutMs } = {}) {
      if (ACTIONS.has(cmd)) connection?.beforeAction();
      if (connection?.lost) return Promise.reject(new Error(LOST_MESSAGE));
      return send(cmd, args, buffers, t);
    },
    dispose() {
      connection?.dispose();
      model.off("msg:custom", onMessage);
      for (const entry of pending.values()) {
        clearTimeout(entry.timer);
        entry.reject(new Error("The view was closed"));
      }
      pending.clear();
    },
  };
  connection = createConnection({
    ping: (ms) => send("ping", {}, [], ms),
    kernel,
    on: (names, fn) => model.on(names, fn),
    off: (names, fn) => model.off(names, fn),
    pingTimeoutMs,
  });
  // commands already waiting when the kernel is found gone would wait out their own timeouts: fail them now
  connection.subscribe((state) => {
    if (state !== "lost") return;
    for (const [id, entry] of pending) {
      clearTimeout(entry.timer);
      entry.reject(new Error(LOST_MESSAGE));
      pending.delete(id);
    }
  });
  REQUESTERS.set(model, requester);
  return requester;
}
