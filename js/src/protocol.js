// @ts-check
// The kernel protocol: request/reply over the widget's custom messages, and the batcher that turns many
// cards' preview wants into a few `previews` commands. Pure (no DOM).
//
//   browser -> kernel  {kind: "sora-request", id, cmd, args} (+ buffers), always answered with
//   kernel -> browser  {kind: "sora-reply", id, ok, result | error} (+ buffers: media bytes).

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
 * @param {{send: Function, on: Function, off: Function}} model
 * @param {{timeoutMs?: number}} [options]
 */
export function createRequester(model, { timeoutMs = 20000 } = {}) {
  let seq = 0;
  const pending = new Map();
  const prefix = Math.random().toString(36).slice(2, 8);
  const onMessage = (msg, buffers) => {
    if (!msg || msg.kind !== "sora-reply") return;
    const entry = pending.get(msg.id);
    if (!entry) return;
    pending.delete(msg.id);
    clearTimeout(entry.timer);
    if (msg.ok) entry.resolve({ result: msg.result ?? null, buffers: buffers || [] });
    else entry.reject(new Error(msg.error || "The kernel could not do that"));
  };
  model.on("msg:custom", onMessage);
  return {
    get pending() {
      return pending.size;
    },
    /**
     * @param {string} cmd @param {object} [args]
     * @param {{buffers?: ArrayBuffer[], timeoutMs?: number}} [opts]
     * @returns {Promise<{result: any, buffers: DataView[]}>}
     */
    request(cmd, args = {}, { buffers = [], timeoutMs: t = timeoutMs } = {}) {
      seq += 1;
      const id = `${prefix}-${seq}`;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`No answer from the kernel after ${Math.round(t / 1000)} s (is a cell still running?)`));
        }, t);
        pending.set(id, { resolve, reject, timer });
        model.send({ kind: "sora-request", id, cmd, args }, undefined, buffers);
      });
    },
    dispose() {
      model.off("msg:custom", onMessage);
      for (const entry of pending.values()) {
        clearTimeout(entry.timer);
        entry.reject(new Error("The view was closed"));
      }
      pending.clear();
    },
  };
}
