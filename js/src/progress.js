// @ts-check
// Live progress between the kernel's (rare, by design) updates: a model that extrapolates the bar and the ETA
// from `eta_s` / `elapsed_s`, and one shared ticker per view that redraws every running card. Pure but for
// the ticker's timer.

import { clamp, formatClock } from "./format.js";

/** The bar never claims more than this before the backend says "completed". */
export const PROGRESS_CEILING = 99;
/** Past this share of the estimated remaining work, the bar slows down (asymptotically) instead of lying. */
const EASE_FROM = 0.8;

/**
 * Linear until EASE_FROM, then an exponential approach to 1 with the same slope at the joint: monotonic,
 * never reaches 1.
 * @param {number} x share of the remaining work the estimate says is done (>= 0, may exceed 1)
 */
export function easeRemaining(x) {
  if (!(x > 0)) return 0;
  if (x <= EASE_FROM) return x;
  const tail = 1 - EASE_FROM;
  return EASE_FROM + tail * (1 - Math.exp(-(x - EASE_FROM) / tail));
}

/**
 * @typedef {object} ProgressReport what the kernel last said (fields of a job summary)
 * @property {string} status
 * @property {string} [job_id] which job (a new view of the same job starts from what the last one showed)
 * @property {number | null} progress 0..100, null when the backend reports none
 * @property {number | null} eta_s seconds left by the backend's (or engine's) estimate
 * @property {number | null | undefined} elapsed_s seconds since submission
 * @property {number | null | undefined} [typical_s] how long such a job usually takes (when known)
 */

/**
 * @typedef {object} ProgressFrame what to draw now
 * @property {number | null} value 0..100 (null: indeterminate)
 * @property {number | null} eta seconds left (null: unknown)
 * @property {number} elapsed seconds since submission
 */

/**
 * Extrapolates a running job's progress between reports. `report` on every summary update, `at` on every
 * tick. The value never goes backwards (a report lower than what is shown keeps the shown value and spreads
 * the rest over the new ETA), rises linearly at the estimated rate, and slows down near the end rather than
 * reaching 100 before the backend says so.
 */
/**
 * The last value shown per job, so no view of a job shows less than any view of it did: a re-rendered list,
 * the same job in the panel and the gallery at once. Kept on globalThis because a host may load this module
 * once per widget (marimo does), and the views of one job span widgets.
 * @type {Map<string, number>}
 */
const LAST_SHOWN = /** @type {any} */ (globalThis).__soraProgressShown ??= new Map();
const LAST_SHOWN_MAX = 500;
/** @param {string | undefined} jobId @param {number} value */
function remember(jobId, value) {
  if (!jobId) return;
  LAST_SHOWN.delete(jobId);
  LAST_SHOWN.set(jobId, value);
  const oldest = LAST_SHOWN.keys().next().value;
  if (LAST_SHOWN.size > LAST_SHOWN_MAX && oldest !== undefined) LAST_SHOWN.delete(oldest);
}

/** @param {string | undefined} jobId what another view of this job last showed (0: none) */
function elsewhere(jobId) {
  return (jobId && LAST_SHOWN.get(jobId)) || 0;
}

export function createProgressModel() {
  let shown = /** @type {number | null} */ (null);
  let jobId = /** @type {string | undefined} */ (undefined);
  let anchor = { p: 0, rate: 0, eta: /** @type {number | null} */ (null), elapsed: 0, at: 0 };
  let indeterminate = true;
  let key = "";
  return {
    /** @param {ProgressReport} item @param {number} nowMs */
    report(item, nowMs) {
      // the same report again (another field of the summary changed): keep extrapolating from the first
      const k = `${item.status}|${item.progress}|${item.eta_s}|${item.elapsed_s}`;
      if (k === key) return;
      key = k;
      const elapsed = Number.isFinite(item.elapsed_s) ? Number(item.elapsed_s) : 0;
      if (item.progress == null || !Number.isFinite(item.progress)) {
        indeterminate = true;
        anchor = { p: 0, rate: 0, eta: null, elapsed, at: nowMs };
        return;
      }
      indeterminate = false;
      if (item.job_id !== jobId) {
        jobId = item.job_id;
        shown = null;
      }
      const reported = clamp(item.progress, 0, 100);
      const current = Math.max(shown ?? 0, elsewhere(jobId), reported);
      let eta = item.eta_s != null && Number.isFinite(item.eta_s) && item.eta_s >= 0 ? item.eta_s : null;
      // no ETA from the backend: the pace so far (percent per second of elapsed time)
      if (eta == null && reported > 0 && elapsed > 0) eta = (elapsed * (100 - reported)) / reported;
      const rate = eta != null && eta > 0 ? (100 - current) / eta : 0;
      anchor = { p: current, rate, eta, elapsed, at: nowMs };
      shown = current;
      remember(jobId, current);
    },
    /** @param {number} nowMs @returns {ProgressFrame} */
    at(nowMs) {
      const dt = Math.max(0, (nowMs - anchor.at) / 1000);
      const elapsed = anchor.elapsed + dt;
      if (indeterminate) return { value: null, eta: null, elapsed };
      const room = PROGRESS_CEILING - anchor.p;
      let value = anchor.p;
      if (room > 0 && anchor.rate > 0) value = anchor.p + room * easeRemaining((anchor.rate * dt) / room);
      value = Math.max(value, shown ?? 0, elsewhere(jobId));
      shown = value;
      remember(jobId, value);
      const eta = anchor.eta == null ? null : Math.max(0, anchor.eta - dt);
      return { value, eta, elapsed };
    },
  };
}

/**
 * The progress line under the bar: "42% · 0:31 left · 0:12 elapsed"; "finishing…" once the ETA ran out.
 * An indeterminate bar (a provider that reports no progress) with a typical duration from this backend's
 * history: "~0:58 left · 0:12 elapsed · usually ~1:10", the estimate counting down with the elapsed time.
 * @param {{status: string, progress: number | null, typical_s?: number | null}} item
 * @param {{value: number | null, eta: number | null, elapsed: number | null}} frame
 */
export function progressText(item, frame) {
  const parts = [];
  const value = frame.value ?? item.progress;
  if (item.status === "pending") parts.push("Sending to the backend");
  else if (item.status === "queued") parts.push("Waiting in the queue");
  else if (value == null) parts.push("Working (no progress reported)");
  else parts.push(`${Math.floor(value)}%`);
  const typical = item.typical_s != null && Number.isFinite(item.typical_s) && item.typical_s > 0 ? item.typical_s : null;
  const elapsed = frame.elapsed != null && Number.isFinite(frame.elapsed) ? frame.elapsed : null;
  if (frame.eta != null && Number.isFinite(frame.eta)) {
    parts.push(frame.eta >= 0.5 ? `${formatClock(frame.eta)} left` : "finishing…");
  } else if (value == null && typical != null && elapsed != null && typical - elapsed >= 0.5) {
    parts.push(`~${formatClock(typical - elapsed)} left`); // from history: a guess, hence the "~"
  }
  if (elapsed != null) parts.push(`${formatClock(elapsed)} elapsed`);
  if (value == null && frame.eta == null && typical != null) parts.push(`usually ~${formatClock(typical)}`);
  return parts.join(" · ");
}

/**
 * One timer per view for every running card (not one interval per card). Subscribers run every
 * `intervalMs` while at least one is subscribed; the timer stops when the last leaves, and on dispose.
 * @param {{intervalMs?: number, now?: () => number}} [options]
 */
export function createTicker({ intervalMs = 500, now = () => Date.now() } = {}) {
  /** @type {Set<(nowMs: number) => void>} */
  const subscribers = new Set();
  /** @type {ReturnType<typeof setInterval> | null} */
  let timer = null;
  const run = () => {
    const t = now();
    for (const fn of [...subscribers]) fn(t);
  };
  const stop = () => {
    if (timer != null) clearInterval(timer);
    timer = null;
  };
  return {
    get size() {
      return subscribers.size;
    },
    get running() {
      return timer != null;
    },
    /** @param {(nowMs: number) => void} fn @returns {() => void} unsubscribe */
    add(fn) {
      subscribers.add(fn);
      if (timer == null) timer = setInterval(run, intervalMs);
      return () => {
        subscribers.delete(fn);
        if (subscribers.size === 0) stop();
      };
    },
    now,
    dispose() {
      subscribers.clear();
      stop();
    },
  };
}

/** @typedef {ReturnType<typeof createTicker>} Ticker */
