// @ts-check
// Words and numbers shown to people: statuses, clocks, costs, sizes, errors. Pure (no DOM).

/** Statuses after which nothing changes any more. */
export const TERMINAL_STATUSES = Object.freeze(["completed", "failed", "cancelled", "expired", "deleted", "unknown"]);

/** @param {string} status */
export function isTerminal(status) {
  return TERMINAL_STATUSES.includes(status);
}

/** @param {number} v @param {number} lo @param {number} hi */
export function clamp(v, lo, hi) {
  return Math.min(hi, Math.max(lo, v));
}

/**
 * "0:07", "1:05", "1:02:03"; "–" when unknown.
 * @param {number | null | undefined} seconds
 */
export function formatClock(seconds) {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return "–";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** "$0.40", "$12.00", "< $0.01", "–" when unknown. @param {number | null | undefined} usd */
export function formatCost(usd) {
  if (usd == null || !Number.isFinite(usd)) return "–";
  if (usd > 0 && usd < 0.005) return "< $0.01";
  return `$${usd.toFixed(2)}`;
}

/**
 * "1280x720" -> {width: 1280, height: 720}; null when malformed.
 * @param {unknown} size
 * @returns {{width: number, height: number} | null}
 */
export function parseSize(size) {
  const m = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/i.exec(String(size ?? ""));
  if (!m) return null;
  const width = Number(m[1]);
  const height = Number(m[2]);
  return width > 0 && height > 0 ? { width, height } : null;
}

/** "1280x720" -> "1280×720". @param {unknown} size */
export function formatSize(size) {
  const dims = parseSize(size);
  return dims ? `${dims.width}×${dims.height}` : String(size ?? "");
}

/** "landscape" | "portrait" | "square" of a "WxH" size (landscape when unknown). @param {unknown} size */
export function orientationOf(size) {
  const d = parseSize(size);
  if (!d || d.width > d.height) return "landscape";
  return d.width === d.height ? "square" : "portrait";
}

/** "8" -> "8 s". @param {unknown} seconds */
export function formatSeconds(seconds) {
  return seconds == null || seconds === "" ? "" : `${seconds} s`;
}

/** @type {Record<string, string>} */
const STATUS_LABELS = {
  pending: "Submitting",
  queued: "Queued",
  in_progress: "Rendering",
  processing: "Rendering",
  completed: "Ready",
  failed: "Failed",
  cancelled: "Cancelled",
  expired: "Expired",
  deleted: "Deleted",
};

/** Words shown for a status; unknown statuses (other backends) are shown as they come. @param {string} status */
export function statusLabel(status) {
  if (status in STATUS_LABELS) return STATUS_LABELS[status];
  const s = String(status ?? "").replace(/_/g, " ");
  return s ? s[0].toUpperCase() + s.slice(1) : "Unknown";
}

/**
 * Words for a failure, saying which input moderation blocked when the backend told us, unless the
 * backend's message says so already ("Your prompt was flagged…" needs no "(the prompt was flagged)").
 * @param {{message?: string, code?: string, blocked_input?: string | null} | null | undefined} error
 */
export function errorText(error) {
  if (!error) return "";
  const message = String(error.message || error.code || "The video failed");
  const lower = message.toLowerCase();
  const input = error.blocked_input === "prompt" ? "prompt" : error.blocked_input === "image" ? "image" : null;
  if (!input) return message;
  if (lower.includes(input) && /flagged|blocked|moderat/.test(lower)) return message;
  return input === "prompt" ? `${message} (the prompt was flagged)` : `${message} (the reference image was flagged)`;
}

/**
 * The file name a download is saved under: `<video_id or job id>.mp4`.
 * @param {{video_id?: string | null, job_id?: string}} item
 */
export function downloadName(item) {
  const base = String(item.video_id || item.job_id || "video").replace(/[^A-Za-z0-9._-]+/g, "_");
  return `${base}.mp4`;
}

/** Key of the kernel's cost table. @param {string} model @param {string} size @param {string} seconds */
export function costKey(model, size, seconds) {
  return `${model}|${size}|${seconds}`;
}

/**
 * "“A paper boat drifting…”": a prompt cut to about `max` characters at a word boundary, in quotes.
 * @param {string | null | undefined} prompt @param {number} [max]
 */
export function quotePrompt(prompt, max = 48) {
  const text = String(prompt ?? "").replace(/\s+/g, " ").trim();
  if (!text) return "";
  if (text.length <= max) return `“${text}”`;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return `“${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,.;:]+$/, "")}…”`;
}

/**
 * What a remix card says about its source: the source's prompt when the view knows it, never a bare job id.
 * @param {{prompt?: string} | null | undefined} source
 */
export function remixLabel(source) {
  const quoted = source ? quotePrompt(source.prompt) : "";
  return quoted ? `Remix of ${quoted}` : "Remix of an earlier video";
}
