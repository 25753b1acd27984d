// sora_widgets front end: one ESM module for the three views (card, panel, gallery).
//
// anywidget imports `_esm` from a Blob URL, so relative imports cannot work: the card renderer is shared by
// all three views, hence one module whose default `render` dispatches on the `_view` trait. The pure helpers
// are exported by name for `node --test`; nothing touches `document` at module top level.
//
// Protocol with the kernel (see widgets/_base.py):
//   browser -> kernel  {kind: "sora-request", id, cmd, args} (+ buffers), always answered with
//   kernel -> browser  {kind: "sora-reply", id, ok, result | error} (+ buffers: media bytes).
// Media only ever arrives as binary buffers, turned into object URLs that each view revokes in its cleanup.
// Previews (thumbnails, spritesheets) come in batches, many jobs per reply (createPreviewBatcher); the MP4 on play.
// All user and server text goes in with textContent, never innerHTML.

// ---------------------------------------------------------------------------------------------------------
// Pure helpers
// ---------------------------------------------------------------------------------------------------------

/** Statuses after which nothing changes any more. */
export const TERMINAL_STATUSES = Object.freeze(["completed", "failed", "expired", "deleted", "unknown"]);

/** @param {string} status */
export function isTerminal(status) {
  return TERMINAL_STATUSES.includes(status);
}

/** @param {number} v @param {number} lo @param {number} hi */
export function clamp(v, lo, hi) {
  return Math.min(hi, Math.max(lo, v));
}

/**
 * The spritesheet frame under the pointer.
 * @param {number} x pointer x relative to the left edge of the thumbnail, in px
 * @param {number} width displayed width of the thumbnail, in px
 * @param {number} frames number of frames in the sheet
 * @returns {number} 0 .. frames-1 (or -1 when there is nothing to show)
 */
export function frameFromPointer(x, width, frames) {
  if (!(frames > 0) || !(width > 0) || !Number.isFinite(x)) return -1;
  return clamp(Math.floor((x / width) * frames), 0, frames - 1);
}

/**
 * The frame after a ←/→ key press. From "not scrubbing" (-1), → starts at the first frame and ← at the last.
 * @param {number} frame @param {number} delta @param {number} frames
 */
export function stepFrame(frame, delta, frames) {
  if (!(frames > 0)) return -1;
  if (frame < 0) return delta >= 0 ? 0 : frames - 1;
  return clamp(frame + delta, 0, frames - 1);
}

/**
 * CSS background-size / background-position that show one tile of a spritesheet scaled to fill its box.
 * Percentages, so the tile follows the box size without measuring it: for a sheet `columns` tiles wide, a
 * position of p% aligns p% of the sheet with p% of the box, hence p = column / (columns - 1).
 * @param {{columns: number, rows: number, frames: number}} geom
 * @param {number} frame
 */
export function spriteStyle(geom, frame) {
  const cols = Math.max(1, geom.columns | 0);
  const rows = Math.max(1, geom.rows | 0);
  const f = clamp(frame | 0, 0, Math.max(0, (geom.frames | 0) - 1));
  const col = f % cols;
  const row = Math.floor(f / cols);
  const px = cols > 1 ? (col / (cols - 1)) * 100 : 0;
  const py = rows > 1 ? (row / (rows - 1)) * 100 : 0;
  return { size: `${cols * 100}% ${rows * 100}%`, position: `${round4(px)}% ${round4(py)}%` };
}

/** Seconds into the video that sprite frame `frame` shows (frames sample the middle of equal slices). */
export function frameTime(geom, frame) {
  if (!geom || !(geom.frames > 0)) return 0;
  return ((frame + 0.5) * geom.duration_s) / geom.frames;
}

function round4(v) {
  return Math.round(v * 10000) / 10000;
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

/** "1280x720" -> "1280×720". */
export function formatSize(size) {
  const dims = parseSize(size);
  return dims ? `${dims.width}×${dims.height}` : String(size ?? "");
}

/** "1280x720" -> {width: 1280, height: 720}; null when malformed. */
export function parseSize(size) {
  const m = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/i.exec(String(size ?? ""));
  if (!m) return null;
  const width = Number(m[1]);
  const height = Number(m[2]);
  return width > 0 && height > 0 ? { width, height } : null;
}

/** "8" -> "8 s". */
export function formatSeconds(seconds) {
  return seconds == null || seconds === "" ? "" : `${seconds} s`;
}

const STATUS_LABELS = {
  pending: "Submitting",
  queued: "Queued",
  in_progress: "Rendering",
  processing: "Rendering",
  completed: "Ready",
  failed: "Failed",
  expired: "Expired",
  deleted: "Deleted",
};

/** Words shown for a status; unknown statuses (other backends) are shown as they come. */
export function statusLabel(status) {
  if (status in STATUS_LABELS) return STATUS_LABELS[status];
  const s = String(status ?? "").replace(/_/g, " ");
  return s ? s[0].toUpperCase() + s.slice(1) : "Unknown";
}

/**
 * The progress line under the bar: "42% · 0:31 left · 0:12 elapsed".
 * @param {{status: string, progress: number|null, eta_s: number|null}} item
 * @param {number} elapsed seconds since the job started
 */
export function progressText(item, elapsed) {
  const parts = [];
  if (item.status === "pending") parts.push("Sending to the backend");
  else if (item.status === "queued") parts.push("Waiting in the queue");
  else if (item.progress == null) parts.push("Working (no progress reported)");
  else parts.push(`${Math.round(item.progress)}%`);
  if (item.eta_s != null && Number.isFinite(item.eta_s)) parts.push(`${formatClock(item.eta_s)} left`);
  if (elapsed != null && Number.isFinite(elapsed)) parts.push(`${formatClock(elapsed)} elapsed`);
  return parts.join(" · ");
}

/** Words for a failure, saying which input moderation blocked when the backend told us. */
export function errorText(error) {
  if (!error) return "";
  const message = String(error.message || error.code || "The video failed");
  if (error.blocked_input === "prompt") return `${message} (the prompt was flagged)`;
  if (error.blocked_input === "image") return `${message} (the reference image was flagged)`;
  return message;
}

/**
 * The centred crop that makes an image of `srcW x srcH` cover `dstW x dstH` (what the kernel's
 * fit="cover" does with the reference image), in source pixels.
 */
export function coverCrop(srcW, srcH, dstW, dstH) {
  const scale = Math.max(dstW / srcW, dstH / srcH);
  const sw = Math.min(srcW, dstW / scale);
  const sh = Math.min(srcH, dstH / scale);
  return { sx: (srcW - sw) / 2, sy: (srcH - sh) / 2, sw, sh };
}

/** The file name a download is saved under: `<video_id or job id>.mp4`. */
export function downloadName(item) {
  const base = String(item.video_id || item.job_id || "video").replace(/[^A-Za-z0-9._-]+/g, "_");
  return `${base}.mp4`;
}

/** Key of the kernel's cost table. */
export function costKey(model, size, seconds) {
  return `${model}|${size}|${seconds}`;
}

// ---- prompt coach -----------------------------------------------------------------------------------------

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function tokens(text) {
  return String(text ?? "").toLowerCase().match(/[a-z][a-z'-]*/g) || [];
}

/**
 * Which parts of the seed's guidance a prompt covers. The rules (vocabulary, hints) come from the kernel
 * (widgets/coach.py, which implements the same analysis in Python).
 * @param {string} text
 * @param {{aspects: Array<{key: string, label: string, hint: string, words?: string[], patterns?: string[],
 *          rest?: boolean}>, stopwords?: string[]}} rules
 * @returns {{checks: Array<{key: string, label: string, hint: string, present: boolean}>, missing: string[],
 *            score: number}}
 */
export function analyzePrompt(text, rules) {
  const lower = ` ${String(text ?? "").toLowerCase().replace(/\s+/g, " ")} `;
  const words = tokens(text);
  const claimed = new Set();
  const found = {};
  for (const aspect of rules.aspects) {
    if (aspect.rest) continue;
    let hit = false;
    for (const w of aspect.words || []) {
      const re = new RegExp(`(^|[^a-z])${escapeRegExp(w)}($|[^a-z])`);
      if (re.test(lower)) {
        hit = true;
        for (const part of tokens(w)) claimed.add(part);
      }
    }
    for (const p of aspect.patterns || []) {
      if (new RegExp(p).test(lower)) hit = true;
    }
    found[aspect.key] = hit;
  }
  const stop = new Set(rules.stopwords || []);
  for (const aspect of rules.aspects) {
    if (!aspect.rest) continue;
    // "the rest": any content word no other aspect claimed (the subject of "A burger" is "burger")
    found[aspect.key] = words.some((w) => w.length >= 3 && !stop.has(w) && !claimed.has(w));
  }
  const checks = rules.aspects.map((a) => ({ key: a.key, label: a.label, hint: a.hint, present: !!found[a.key] }));
  const missing = checks.filter((c) => !c.present).map((c) => c.key);
  return { checks, missing, score: checks.length ? (checks.length - missing.length) / checks.length : 0 };
}

// ---- gallery ------------------------------------------------------------------------------------------------

/**
 * Items matching the filters, newest first.
 * @param {Array<{job_id: string, status: string, model: string, prompt: string, created_at: number|null}>} items
 * @param {{status?: string, model?: string, query?: string}} filters ("" or "all" = any)
 */
export function filterItems(items, { status = "", model = "", query = "" } = {}) {
  const q = String(query || "").trim().toLowerCase();
  const terms = q ? q.split(/\s+/) : [];
  const out = items.filter((it) => {
    if (status && status !== "all") {
      if (status === "running" ? isTerminal(it.status) : it.status !== status) return false;
    }
    if (model && model !== "all" && it.model !== model) return false;
    if (terms.length) {
      const hay = `${it.prompt || ""} ${it.video_id || ""} ${it.job_id || ""}`.toLowerCase();
      if (!terms.every((t) => hay.includes(t))) return false;
    }
    return true;
  });
  return out.sort((a, b) => (b.created_at ?? Infinity) - (a.created_at ?? Infinity));
}

/** One page of `items`: {items, page (clamped), pages}. */
export function pageOf(items, page, pageSize) {
  const size = Math.max(1, pageSize | 0);
  const pages = Math.max(1, Math.ceil(items.length / size));
  const p = clamp(page | 0, 0, pages - 1);
  return { items: items.slice(p * size, (p + 1) * size), page: p, pages };
}

/** Distinct values of `key` in `items`, sorted. */
export function distinct(items, key) {
  return [...new Set(items.map((it) => it[key]).filter((v) => v != null && v !== ""))].sort();
}

// ---- plumbing -------------------------------------------------------------------------------------------------

/** Thumbnails up to this size become `data:` URLs rather than object URLs (see createMediaCache). */
export const DATA_URL_MAX_BYTES = 64 * 1024;

/**
 * `data:<mime>;base64,...` of the bytes of `view` (a DataView, typed array or ArrayBuffer).
 * @param {ArrayBuffer | ArrayBufferView} view @param {string} mime
 */
export function bytesToDataUrl(view, mime) {
  const u8 = ArrayBuffer.isView(view) ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : new Uint8Array(view);
  let bin = "";
  for (let i = 0; i < u8.length; i += 0x8000) bin += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
  return `data:${mime};base64,${btoa(bin)}`;
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
      const lane = PREVIEW_LANES.find((l) => lanes.get(l).size > 0);
      if (!lane) return;
      const queue = lanes.get(lane);
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
        lanes.get(laneOf(variant, priority)).set(jobId, { resolve, reject });
        if (!scheduled) {
          scheduled = true;
          schedule(pump);
        }
      });
    },
    /** A queued prefetch of `jobId` is now wanted on screen: serve it with the page's thumbnails. */
    promote(jobId) {
      const w = lanes.get("prefetch").get(jobId);
      if (!w) return;
      lanes.get("prefetch").delete(jobId);
      lanes.get("thumbnail").set(jobId, w);
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

// ---------------------------------------------------------------------------------------------------------
// DOM helpers (only called from render)
// ---------------------------------------------------------------------------------------------------------

/**
 * Create an element. `props.text` sets textContent; `props.class` the class; other keys become attributes
 * (false/null skip). Children are nodes or strings (added as text nodes).
 */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === "text") el.textContent = String(v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let uid = 0;
function nextId(prefix) {
  uid += 1;
  return `sora-${prefix}-${uid}`;
}

function setHidden(el, hidden) {
  el.hidden = !!hidden;
}

function blobUrl(buffer, mime) {
  return URL.createObjectURL(new Blob([buffer], { type: mime }));
}

async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (_) {
    /* fall back below */
  }
  const area = h("textarea", { class: "sora-offscreen", "aria-hidden": "true", readonly: true });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch (_) {
    ok = false;
  }
  area.remove();
  return ok;
}

function saveBlob(url, filename) {
  const a = h("a", { href: url, download: filename, class: "sora-offscreen" });
  document.body.append(a);
  a.click();
  a.remove();
}

const ICONS = {
  play: "M8 5v14l11-7z",
  download: "M5 20h14v-2H5v2zm7-3 5-5h-3V4h-4v8H7l5 5z",
  remix: "M7 7h10v3l4-4-4-4v3H5v6h2V7zm10 10H7v-3l-4 4 4 4v-3h12v-6h-2v4z",
  delete: "M6 19a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z",
  copy: "M16 1H4a2 2 0 0 0-2 2v14h2V3h12V1zm3 4H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm0 16H8V7h11v14z",
  retry: "M17.65 6.35A8 8 0 1 0 19.73 14h-2.08A6 6 0 1 1 12 6c1.66 0 3.14.69 4.22 1.78L13 11h7V4l-2.35 2.35z",
  image: "M21 19V5a2 2 0 0 0-2-2H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2zM8.5 13.5l2.5 3 3.5-4.5 4.5 6H5l3.5-4.5z",
};

function icon(name) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "sora-icon");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

function actionButton(name, label, extraClass = "", iconOnly = false) {
  const b = h("button", { type: "button", class: `sora-btn sora-btn-ghost ${extraClass}`.trim(), title: label });
  if (iconOnly) {
    b.setAttribute("aria-label", label);
    b.classList.add("sora-btn-icon");
    b.append(icon(name));
  } else {
    b.append(icon(name), h("span", { text: label }));
  }
  return b;
}

// ---------------------------------------------------------------------------------------------------------
// The card (used by all three views)
// ---------------------------------------------------------------------------------------------------------

/**
 * @typedef {object} Item  A job summary (widgets/_base.py::summarize).
 * @property {string} job_id
 * @property {string|null} video_id
 * @property {string} status
 * @property {number|null} progress
 * @property {number|null} eta_s
 * @property {number} elapsed_s
 * @property {string} prompt
 * @property {string} model
 * @property {string} size
 * @property {string} seconds
 * @property {number|null} cost_usd
 * @property {{code: string, message: string, blocked_input: string|null, retryable: boolean}|null} error
 * @property {{columns: number, rows: number, frames: number, tile_width: number, tile_height: number,
 *            duration_s: number}|null} sprite
 * @property {boolean} has_thumbnail
 * @property {boolean} has_spritesheet
 * @property {boolean} has_video
 * @property {boolean} can_remix
 * @property {boolean} can_delete
 * @property {string|null} remixed_from
 */

/**
 * @typedef {object} CardHost
 * @property {(cmd: string, args?: object, opts?: object) => Promise<{result: any, buffers: DataView[]}>} request
 * @property {(item: Item, variant: string) => Promise<string|null>} media  object URL (owned by the host)
 * @property {(text: string) => void} [announce]
 * @property {boolean} [tracksJobs] the host shows the jobs a card starts (remix, retry) and reports their
 *   statuses back through `card.settle`, so the card's "Remix started" note lasts until the remix finishes
 */

/**
 * Build a card for `item`. Returns {el, update(item), destroy()}.
 * @param {Item} item @param {CardHost} host
 */
export function mountCard(item, host) {
  let current = item;
  let destroyed = false;
  let frame = -1;
  let playing = false;
  let tick = null;
  let elapsedBase = { value: item.elapsed_s ?? 0, at: Date.now() };
  const loaded = { thumbnail: null, spritesheet: null };
  const loading = new Set();

  const root = h("article", { class: "sora-card", "data-job-id": item.job_id, "data-scrub-frame": "-1" });

  // media area
  const media = h("div", { class: "sora-media" });
  // the thumbnail again, blurred, behind a frame narrower than the 16:9 box (portrait videos)
  const backdrop = h("div", { class: "sora-backdrop", "aria-hidden": "true" });
  const frameBox = h("div", { class: "sora-frame" });
  const thumbImg = h("img", { class: "sora-thumb-img", alt: "", draggable: "false" });
  const sprite = h("div", { class: "sora-sprite", "aria-hidden": "true" });
  const playBadge = h("span", { class: "sora-play-badge", "aria-hidden": "true" });
  playBadge.append(icon("play"));
  const timeChip = h("span", { class: "sora-time-chip", "aria-hidden": "true" });
  const scrubLine = h("span", { class: "sora-scrub-line", "aria-hidden": "true" });
  const thumbButton = h("button", { type: "button", class: "sora-thumb", "aria-label": "Play video" });
  thumbButton.append(thumbImg, sprite, playBadge, timeChip, scrubLine);
  const placeholder = h("div", { class: "sora-placeholder" });
  const placeholderText = h("span", { class: "sora-placeholder-text" });
  placeholder.append(placeholderText);
  frameBox.append(thumbButton);
  media.append(backdrop, placeholder, frameBox);

  // body
  const statusBadge = h("span", { class: "sora-status" });
  const chips = h("div", { class: "sora-chips" });
  const modelChip = h("span", { class: "sora-chip sora-chip-model" });
  const sizeChip = h("span", { class: "sora-chip" });
  const secondsChip = h("span", { class: "sora-chip" });
  const costChip = h("span", { class: "sora-chip sora-chip-cost" });
  const tookChip = h("span", { class: "sora-chip sora-chip-took" });
  chips.append(modelChip, sizeChip, secondsChip, costChip, tookChip);
  const head = h("div", { class: "sora-card-head" }, statusBadge, chips);

  const promptEl = h("p", { class: "sora-prompt" });
  const remixNote = h("p", { class: "sora-note sora-remix-of" });

  const bar = h("div", { class: "sora-progress", role: "progressbar", "aria-label": "Progress" });
  const barFill = h("div", { class: "sora-progress-fill" });
  bar.append(barFill);
  const progressLine = h("p", { class: "sora-progress-text" });
  const progressWrap = h("div", { class: "sora-progress-wrap" }, bar, progressLine);

  const errorEl = h("p", { class: "sora-error", role: "alert" });

  const dl = actionButton("download", "Download");
  const remixBtn = actionButton("remix", "Remix");
  const delBtn = actionButton("delete", "Delete", "sora-btn-danger-ghost", true);
  const copyBtn = actionButton("copy", "Copy prompt", "sora-push-right", true);
  const retryBtn = actionButton("retry", "Retry");
  const actions = h("div", { class: "sora-actions" }, dl, remixBtn, retryBtn, copyBtn, delBtn);

  const remixId = nextId("remix");
  const remixArea = h("textarea", { id: remixId, class: "sora-input sora-remix-input", rows: "3", "aria-label": "Remix prompt" });
  const remixGo = h("button", { type: "button", class: "sora-btn sora-btn-primary", text: "Create remix" });
  const remixCancel = h("button", { type: "button", class: "sora-btn sora-btn-ghost", text: "Cancel" });
  const remixForm = h(
    "div",
    { class: "sora-inline-form sora-remix-form", hidden: true },
    h("label", { for: remixId, class: "sora-label", text: "Describe the change" }),
    remixArea,
    h("div", { class: "sora-row" }, remixGo, remixCancel),
  );

  const confirmGo = h("button", { type: "button", class: "sora-btn sora-btn-danger", text: "Confirm delete" });
  const confirmCancel = h("button", { type: "button", class: "sora-btn sora-btn-ghost", text: "Keep it" });
  const confirmBox = h(
    "div",
    { class: "sora-inline-form sora-confirm", hidden: true, role: "group", "aria-label": "Delete this video?" },
    h("span", { class: "sora-confirm-text", text: "Delete this video from the backend? This cannot be undone." }),
    h("div", { class: "sora-row" }, confirmGo, confirmCancel),
  );

  const note = h("p", { class: "sora-note sora-action-note", role: "status", "aria-live": "polite" });
  const body = h("div", { class: "sora-card-body" }, head, promptEl, remixNote, progressWrap, errorEl, actions, remixForm, confirmBox, note);
  root.append(media, body);

  // ---- behaviour ------------------------------------------------------------------------------------------

  let noteTimer = null;
  // a job this card started (remix, retry) whose note stays until the host reports it finished
  let watching = null;
  const say = (text, isError = false, sticky = false) => {
    note.textContent = text;
    note.classList.toggle("sora-note-error", isError);
    watching = null;
    // confirmations fade after a while; errors stay until the next action
    if (noteTimer) clearTimeout(noteTimer);
    noteTimer = isError || sticky ? null : setTimeout(() => (note.textContent = ""), 8000);
  };
  const sayStarted = (text, jobId) => {
    const sticky = !!(host.tracksJobs && jobId);
    say(text, false, sticky);
    if (sticky) watching = jobId;
  };

  const busy = async (button, work) => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      return await work();
    } catch (err) {
      if (!destroyed) say(String(err?.message || err), true);
      return undefined;
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  };

  const showFrame = (f) => {
    frame = f;
    root.dataset.scrubFrame = String(f);
    const geom = current.sprite;
    const on = f >= 0 && geom && loaded.spritesheet;
    sprite.classList.toggle("sora-sprite-on", !!on);
    if (on) {
      const st = spriteStyle(geom, f);
      sprite.style.backgroundSize = st.size;
      sprite.style.backgroundPosition = st.position;
      timeChip.textContent = `${formatClock(frameTime(geom, f))} / ${formatClock(geom.duration_s)}`;
      scrubLine.style.width = `${((f + 1) / geom.frames) * 100}%`;
    } else {
      scrubLine.style.width = "0";
      timeChip.textContent = current.seconds ? formatClock(Number(current.seconds)) : "";
    }
  };

  // where the pointer rests (0..1 across the thumbnail), so geometry arriving under a still pointer applies
  let hoverFraction = null;
  const scrubToHover = () => {
    if (playing || hoverFraction == null || !current.sprite) return;
    showFrame(frameFromPointer(hoverFraction, 1, current.sprite.frames));
  };
  const onPointerMove = (ev) => {
    const rect = thumbButton.getBoundingClientRect();
    if (!(rect.width > 0)) return;
    hoverFraction = clamp((ev.clientX - rect.left) / rect.width, 0, 0.999999);
    scrubToHover();
  };
  const onPointerLeave = () => {
    hoverFraction = null;
    if (!playing) showFrame(-1);
  };
  const onKey = (ev) => {
    if (!current.sprite || playing) return;
    if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") {
      ev.preventDefault();
      showFrame(stepFrame(frame, ev.key === "ArrowRight" ? 1 : -1, current.sprite.frames));
    } else if (ev.key === "Escape") {
      showFrame(-1);
    }
  };
  const onBlur = () => {
    if (!playing) showFrame(-1);
  };

  const play = async () => {
    if (playing || current.status !== "completed") return;
    thumbButton.setAttribute("aria-busy", "true");
    root.classList.add("sora-loading-video");
    try {
      const url = await host.media(current, "video");
      if (destroyed || !url) return;
      const startAt = frame >= 0 && current.sprite ? frameTime(current.sprite, frame) : 0;
      const video = h("video", { class: "sora-video", controls: true, playsinline: true, preload: "auto" });
      video.src = url;
      if (loaded.thumbnail) video.poster = loaded.thumbnail;
      if (startAt > 0) video.addEventListener("loadedmetadata", () => (video.currentTime = startAt), { once: true });
      playing = true;
      showFrame(-1);
      thumbButton.hidden = true;
      frameBox.append(video);
      video.play().catch(() => {
        /* autoplay may be refused; the controls are there */
      });
      video.focus({ preventScroll: true });
    } catch (err) {
      if (!destroyed) say(String(err?.message || err), true);
    } finally {
      thumbButton.removeAttribute("aria-busy");
      root.classList.remove("sora-loading-video");
    }
  };

  const loadMedia = (variant) => {
    if (loaded[variant] || loading.has(variant)) return;
    loading.add(variant);
    host
      .media(current, variant)
      .then((url) => {
        if (destroyed || !url) return;
        loaded[variant] = url;
        if (variant === "thumbnail") {
          thumbImg.src = url;
          backdrop.style.backgroundImage = `url("${url}")`;
          root.classList.add("sora-has-thumb");
        } else {
          sprite.style.backgroundImage = `url("${url}")`;
          if (frame >= 0) showFrame(frame);
        }
      })
      .catch(() => {
        /* media missing (expired, backend without variants): the placeholder stays */
      })
      .finally(() => loading.delete(variant));
  };

  thumbButton.addEventListener("pointermove", onPointerMove);
  thumbButton.addEventListener("pointerleave", onPointerLeave);
  thumbButton.addEventListener("keydown", onKey);
  thumbButton.addEventListener("blur", onBlur);
  thumbButton.addEventListener("click", play);

  dl.addEventListener("click", () =>
    busy(dl, async () => {
      say("Preparing the download…");
      const { result, buffers } = await host.request("download", { job_id: current.job_id }, { timeoutMs: 120000 });
      if (destroyed) return;
      const filename = result?.filename || downloadName(current);
      if (buffers && buffers[0]) {
        const url = blobUrl(buffers[0], result?.mime || "video/mp4");
        saveBlob(url, filename);
        setTimeout(() => URL.revokeObjectURL(url), 30000);
      }
      say(result?.path ? `Saved ${result.path} next to the notebook and downloaded ${filename}` : `Downloaded ${filename}`);
    }),
  );

  remixBtn.addEventListener("click", () => {
    const open = remixForm.hidden;
    setHidden(remixForm, !open);
    setHidden(confirmBox, true);
    if (open) {
      remixArea.value = current.prompt || "";
      remixArea.focus();
      remixArea.select();
    }
  });
  remixCancel.addEventListener("click", () => setHidden(remixForm, true));
  const submitRemix = () =>
    busy(remixGo, async () => {
      const prompt = remixArea.value.trim();
      if (!prompt) {
        say("Describe the change first", true);
        return;
      }
      const { result } = await host.request("remix", { job_id: current.job_id, prompt });
      if (destroyed) return;
      setHidden(remixForm, true);
      sayStarted(`Remix started (${result?.job_id || "new job"})`, result?.job_id);
      host.announce?.("Remix started");
    });
  remixGo.addEventListener("click", submitRemix);
  remixArea.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      submitRemix();
    } else if (ev.key === "Escape") {
      setHidden(remixForm, true);
    }
  });

  delBtn.addEventListener("click", () => {
    setHidden(confirmBox, !confirmBox.hidden);
    setHidden(remixForm, true);
    if (!confirmBox.hidden) confirmGo.focus();
  });
  confirmCancel.addEventListener("click", () => setHidden(confirmBox, true));
  confirmGo.addEventListener("click", () =>
    busy(confirmGo, async () => {
      await host.request("delete", { job_id: current.job_id });
      if (destroyed) return;
      setHidden(confirmBox, true);
      say("Deleted");
    }),
  );

  copyBtn.addEventListener("click", async () => {
    const ok = await copyText(current.prompt || "");
    if (!destroyed) say(ok ? "Prompt copied" : "Could not reach the clipboard", !ok);
  });

  retryBtn.addEventListener("click", () =>
    busy(retryBtn, async () => {
      const { result } = await host.request("retry", { job_id: current.job_id });
      if (!destroyed) sayStarted(`Retrying as ${result?.job_id || "a new job"}`, result?.job_id);
    }),
  );

  const renderElapsed = () => {
    const live = elapsedBase.value + (isTerminal(current.status) ? 0 : (Date.now() - elapsedBase.at) / 1000);
    progressLine.textContent = progressText(current, live);
  };

  /** @param {Item} next */
  function update(next) {
    const prev = current;
    current = next;
    const s = next.status;
    root.dataset.status = s;
    root.dataset.jobId = next.job_id;
    root.className = `sora-card sora-status-${s.replace(/[^a-z_]/gi, "")}${loaded.thumbnail ? " sora-has-thumb" : ""}`;
    statusBadge.textContent = statusLabel(s);
    statusBadge.className = `sora-status sora-status-badge-${s.replace(/[^a-z_]/gi, "")}`;
    modelChip.textContent = next.model || "";
    modelChip.title = "Model";
    sizeChip.textContent = formatSize(next.size);
    sizeChip.title = "Size";
    secondsChip.textContent = formatSeconds(next.seconds);
    secondsChip.title = "Duration";
    costChip.textContent = formatCost(next.cost_usd);
    costChip.title = "Estimated cost";
    setHidden(costChip, next.cost_usd == null);
    const took = s === "completed" && next.completed_at && next.created_at ? next.completed_at - next.created_at : null;
    tookChip.textContent = took != null && took >= 0 ? `rendered in ${formatClock(took)}` : "";
    tookChip.title = "Time from submission to completion";
    promptEl.textContent = next.prompt || "";
    promptEl.title = next.prompt || "";
    remixNote.textContent = next.remixed_from ? `Remix of ${next.remixed_from}` : "";
    setHidden(remixNote, !next.remixed_from);

    const parts = parseSize(next.size);
    if (parts) frameBox.style.aspectRatio = `${parts.width} / ${parts.height}`;
    media.dataset.orientation = !parts ? "landscape" : parts.height > parts.width ? "portrait" : parts.height === parts.width ? "square" : "landscape";

    // progress
    const running = !isTerminal(s);
    setHidden(progressWrap, !running);
    if (prev !== next && (prev.elapsed_s !== next.elapsed_s || prev.status !== next.status)) {
      elapsedBase = { value: next.elapsed_s ?? 0, at: Date.now() };
    }
    // determinate whenever the backend reports progress (a queued job's 0 included); indeterminate otherwise
    if (running && next.progress != null && s !== "pending") {
      const v = clamp(Math.round(next.progress), 0, 100);
      bar.setAttribute("aria-valuenow", String(v));
      bar.setAttribute("aria-valuemin", "0");
      bar.setAttribute("aria-valuemax", "100");
      bar.classList.remove("sora-indeterminate");
      bar.classList.toggle("sora-waiting", s === "queued");
      barFill.style.width = `${clamp(next.progress, 0, 100)}%`;
    } else {
      bar.removeAttribute("aria-valuenow");
      bar.classList.remove("sora-waiting");
      bar.classList.add("sora-indeterminate");
      barFill.style.width = "";
    }
    renderElapsed();
    if (running && !tick) tick = setInterval(renderElapsed, 1000);
    if (!running && tick) {
      clearInterval(tick);
      tick = null;
    }

    // placeholder words
    placeholderText.textContent =
      s === "completed" ? "" : s === "failed" ? "No video" : s === "expired" ? "Expired on the backend" : s === "deleted" ? "Deleted" : statusLabel(s) + "…";
    const canPlay = s === "completed";
    setHidden(thumbButton, !canPlay || playing);
    if (!canPlay && playing) {
      frameBox.querySelector("video")?.remove();
      playing = false;
    }
    if (canPlay && next.has_thumbnail) loadMedia("thumbnail");
    if (canPlay && next.has_spritesheet && next.sprite) loadMedia("spritesheet");
    if (hoverFraction != null && canPlay) scrubToHover();
    else if (frame < 0) showFrame(-1);

    // failure
    const failed = s === "failed" && next.error;
    errorEl.textContent = failed ? errorText(next.error) : "";
    setHidden(errorEl, !failed);

    // actions
    setHidden(dl, s !== "completed");
    setHidden(remixBtn, !(s === "completed" && next.can_remix));
    setHidden(retryBtn, !(s === "failed" && next.error && next.error.retryable));
    setHidden(delBtn, !next.can_delete || s === "deleted");
    if (s === "deleted") {
      setHidden(confirmBox, true);
      setHidden(remixForm, true);
    }
  }

  update(item);

  return {
    el: root,
    update,
    get item() {
      return current;
    },
    /** Job id of a remix/retry started here that the host should report on (null when none). */
    get watching() {
      return watching;
    },
    /** The host saw `jobId` (started from this card) reach `status`: a finished job clears the note. */
    settle(jobId, status) {
      if (destroyed || jobId !== watching || !isTerminal(status)) return;
      watching = null;
      note.textContent = "";
    },
    destroy() {
      destroyed = true;
      if (tick) clearInterval(tick);
      if (noteTimer) clearTimeout(noteTimer);
      const video = frameBox.querySelector("video");
      if (video) {
        video.pause();
        video.removeAttribute("src");
        video.load();
      }
      root.remove();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Shared view plumbing
// ---------------------------------------------------------------------------------------------------------

/**
 * URLs for job media, fetched once. Thumbnails and spritesheets come in batches (`previews`, see
 * createPreviewBatcher); the MP4 alone, on play. Small thumbnails become `data:` URLs: a page of them arrives at
 * once, and each object URL costs a round trip to the browser's blob registry (profiled: 200 thumbnails as object
 * URLs kept the page's main thread busy for ~0.25 s of the benchmark's ~1 s), while a data URL is a plain string
 * with nothing to revoke. Spritesheets, big thumbnails and the MP4 are object URLs, revoked when the view goes
 * (synchronously, in the cleanup).
 */
function createMediaCache(requester) {
  const promises = new Map(); // key -> Promise<url|null>
  const made = new Map(); // key -> url, once resolved
  const batcher = createPreviewBatcher((cmd, args, opts) => requester.request(cmd, args, opts));
  let disposed = false;
  const fetchVideo = (item) =>
    requester.request("media", { job_id: item.job_id, variant: "video" }, { timeoutMs: 120000 }).then(({ result, buffers }) => ({
      buffer: buffers && buffers[0],
      mime: result?.mime || "video/mp4",
    }));
  const load = (item, variant, priority) => {
    const key = `${item.job_id}:${variant}`;
    if (promises.has(key)) {
      if (priority === "high" && variant === "thumbnail") batcher.promote(item.job_id);
      return promises.get(key);
    }
    const p = (variant === "video" ? fetchVideo(item) : batcher.get(item.job_id, variant, priority)).then(({ buffer, mime }) => {
      if (disposed || !buffer) return null;
      if (variant === "thumbnail" && buffer.byteLength <= DATA_URL_MAX_BYTES) return bytesToDataUrl(buffer, mime || "image/webp");
      const url = blobUrl(buffer, mime || "application/octet-stream");
      made.set(key, url);
      return url;
    });
    // a failed fetch is forgotten, so the next summary update (e.g. has_thumbnail turning true) asks again
    p.catch(() => promises.delete(key));
    promises.set(key, p);
    return p;
  };
  return {
    /** @param {Item} item @param {string} variant */
    get: (item, variant) => load(item, variant, "high"),
    /** Thumbnails of cards about to be shown (the next page), after the thumbnails on screen. */
    prefetch(items) {
      for (const item of items) {
        if (item.status === "completed" && item.has_thumbnail) load(item, "thumbnail", "low").catch(() => {});
      }
    },
    /** Forget (and revoke) everything for one job. */
    drop(jobId) {
      for (const key of [...promises.keys()]) {
        if (!key.startsWith(`${jobId}:`)) continue;
        promises.delete(key);
        const url = made.get(key);
        if (url) URL.revokeObjectURL(url);
        made.delete(key);
      }
    },
    dispose() {
      disposed = true;
      batcher.dispose();
      for (const url of made.values()) URL.revokeObjectURL(url);
      made.clear();
      promises.clear();
    },
  };
}

/** Shows callback errors the kernel reports (trait `last_error`). */
function errorBanner(model, cleanups) {
  const el = h("div", { class: "sora-alert", role: "alert", hidden: true });
  const text = h("span", { class: "sora-alert-text" });
  const close = h("button", { type: "button", class: "sora-btn sora-btn-ghost sora-alert-close", "aria-label": "Dismiss error", text: "×" });
  el.append(text, close);
  const sync = () => {
    const msg = model.get("last_error") || "";
    text.textContent = msg;
    el.hidden = !msg;
  };
  close.addEventListener("click", () => {
    el.hidden = true;
  });
  model.on("change:last_error", sync);
  cleanups.push(() => model.off("change:last_error", sync));
  sync();
  return el;
}

/** Items of a collection widget: the `items` list, overlaid with the throttled `live` updates. */
function collectionItems(model) {
  const live = model.get("live") || {};
  return (model.get("items") || []).map((it) => (live[it.job_id] ? { ...it, ...live[it.job_id] } : it));
}

/**
 * Keep `container`'s cards in the order of `items`, creating/updating/removing by job id. `allItems`: every
 * item of the view (the gallery shows one page), where the jobs the cards started are looked up.
 */
function reconcileCards(container, cards, items, host, allItems = null) {
  const seen = new Set();
  let anchor = null;
  for (const item of items) {
    seen.add(item.job_id);
    let card = cards.get(item.job_id);
    if (!card) {
      card = mountCard(item, host);
      cards.set(item.job_id, card);
    } else if (card.item !== item) {
      card.update(item);
    }
    const want = anchor ? anchor.nextSibling : container.firstChild;
    if (want !== card.el) container.insertBefore(card.el, want);
    anchor = card.el;
  }
  for (const [id, card] of cards) {
    if (!seen.has(id)) {
      card.destroy();
      cards.delete(id);
    }
  }
  // cards waiting on a remix/retry they started: tell them once it finished (it may be on another page)
  let statusOf = null;
  for (const card of cards.values()) {
    if (!card.watching) continue;
    statusOf ||= new Map((allItems || items).map((it) => [it.job_id, it.status]));
    const status = statusOf.get(card.watching);
    if (status) card.settle(card.watching, status);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------------------

const CARD_FIELDS = [
  "job_id", "video_id", "status", "progress", "eta_s", "elapsed_s", "prompt", "model", "size", "seconds",
  "cost_usd", "error", "sprite", "remixed_from", "created_at", "completed_at", "has_video", "can_remix", "can_delete",
];

function renderCardView({ model, el }) {
  const cleanups = [];
  const requester = createRequester(model);
  const traitUrls = { thumbnail: null, spritesheet: null };
  const videoUrls = [];
  const bytesOf = (name) => {
    const v = model.get(name);
    return v && v.byteLength ? v : null;
  };
  const readItem = () => {
    const item = Object.fromEntries(CARD_FIELDS.map((f) => [f, model.get(f)]));
    item.has_thumbnail = !!bytesOf("_thumbnail");
    item.has_spritesheet = !!bytesOf("_spritesheet");
    return item;
  };
  const host = {
    request: (cmd, args, opts) => requester.request(cmd, args, opts),
    async media(item, variant) {
      if (variant === "video") {
        const { result, buffers } = await requester.request("media", { job_id: item.job_id, variant }, { timeoutMs: 120000 });
        if (!buffers[0]) return null;
        const url = blobUrl(buffers[0], result?.mime || "video/mp4");
        videoUrls.push(url);
        return url;
      }
      // thumbnail and spritesheet are Bytes traits: they arrive with the state, even while a cell blocks
      const trait = variant === "thumbnail" ? "_thumbnail" : "_spritesheet";
      const bytes = bytesOf(trait);
      if (!bytes) return null;
      if (traitUrls[variant]) URL.revokeObjectURL(traitUrls[variant]);
      traitUrls[variant] = blobUrl(bytes, variant === "thumbnail" ? model.get("_thumbnail_mime") || "image/webp" : "image/jpeg");
      return traitUrls[variant];
    },
  };
  const card = mountCard(readItem(), host);
  const wrap = h("div", { class: "sora-root sora-card-view" }, card.el, errorBanner(model, cleanups));
  el.append(wrap);
  const sync = () => card.update(readItem());
  const names = [...CARD_FIELDS, "_thumbnail", "_spritesheet"].map((f) => `change:${f}`).join(" ");
  model.on(names, sync);
  cleanups.push(() => model.off(names, sync));
  return () => {
    for (const fn of cleanups) fn();
    card.destroy();
    requester.dispose();
    for (const u of [...Object.values(traitUrls), ...videoUrls]) if (u) URL.revokeObjectURL(u);
    wrap.remove();
  };
}

function select(label, id) {
  const sel = h("select", { id, class: "sora-input sora-select" });
  return { sel, field: h("div", { class: "sora-field" }, h("label", { for: id, class: "sora-label", text: label }), sel) };
}

function fillOptions(sel, values, wanted, labelOf = (v) => v) {
  const keep = values.includes(wanted) ? wanted : values.includes(sel.value) ? sel.value : values[0];
  sel.replaceChildren(...values.map((v) => h("option", { value: v, text: labelOf(v) })));
  if (keep != null) sel.value = keep;
}

function renderPanelView({ model, el }) {
  const cleanups = [];
  const requester = createRequester(model);
  const cache = createMediaCache(requester);
  const cards = new Map();
  let reference = null; // {file, bytes, url, width, height}

  const root = h("section", { class: "sora-root sora-panel", "aria-label": "Video generator" });

  // header: title + backend badge + budget
  const backend = h("span", { class: "sora-backend" });
  const budget = h("span", { class: "sora-budget" });
  const header = h("div", { class: "sora-panel-head" }, h("span", { class: "sora-title", text: "Sora" }), backend, h("span", { class: "sora-spacer" }), budget);

  // prompt
  const promptId = nextId("prompt");
  const prompt = h("textarea", { id: promptId, class: "sora-input sora-prompt-input", rows: "4", placeholder: "Shot type, subject, action, setting, lighting…  (Ctrl/Cmd+Enter to generate)" });
  const promptField = h("div", { class: "sora-field sora-field-prompt" }, h("label", { for: promptId, class: "sora-label", text: "Prompt" }), prompt);

  // coach
  const coachList = h("ul", { class: "sora-coach-list", "aria-label": "Prompt coach" });
  const templates = h("div", { class: "sora-templates" });
  const coach = h("div", { class: "sora-coach" }, coachList, templates);

  // selects
  const m = select("Model", nextId("model"));
  const s = select("Size", nextId("size"));
  const sec = select("Seconds", nextId("seconds"));

  // reference image
  const fileId = nextId("ref");
  const fileInput = h("input", { id: fileId, type: "file", accept: "image/png,image/jpeg,image/webp", class: "sora-file" });
  const dropText = h("span", { class: "sora-drop-text", text: "Drop an image or choose a file" });
  const dropLabel = h("label", { for: fileId, class: "sora-drop" });
  dropLabel.append(icon("image"), dropText);
  const refLabel = h("span", { class: "sora-label", text: "Reference image" });
  const preview = h("canvas", { class: "sora-ref-preview", hidden: true, "aria-label": "Fitted reference preview", role: "img" });
  const refInfo = h("span", { class: "sora-note sora-ref-info" });
  const refClear = h("button", { type: "button", class: "sora-btn sora-btn-ghost", text: "Remove image", hidden: true });
  fileInput.setAttribute("aria-label", "Reference image");
  const refField = h("div", { class: "sora-field sora-field-ref" }, refLabel, h("div", { class: "sora-ref-row" }, dropLabel, fileInput, preview, h("div", { class: "sora-ref-side" }, refInfo, refClear)));

  // footer: cost + generate
  const cost = h("span", { class: "sora-cost", "aria-live": "polite" });
  const generate = h("button", { type: "button", class: "sora-btn sora-btn-primary sora-generate", text: "Generate" });
  const formError = h("p", { class: "sora-form-error", role: "alert", hidden: true });
  const footer = h("div", { class: "sora-panel-foot" }, cost, h("span", { class: "sora-spacer" }), generate);

  const options = h("div", { class: "sora-options" }, m.field, s.field, sec.field);
  const form = h("div", { class: "sora-form" }, promptField, coach, options, refField, formError, footer);
  const cardsEl = h("div", { class: "sora-cards", "aria-live": "polite" });
  root.append(header, form, cardsEl, errorBanner(model, cleanups));
  el.append(root);

  const profile = () => model.get("_profile") || { models: [] };
  const specOf = (name) => profile().models.find((x) => x.name === name) || profile().models[0];

  const refreshCost = () => {
    const table = model.get("_costs") || {};
    const value = table[costKey(m.sel.value, s.sel.value, sec.sel.value)];
    const remaining = model.get("budget_remaining_usd");
    cost.textContent = value == null ? "Cost unknown for this backend" : `Estimated ${formatCost(value)}`;
    const over = value != null && remaining != null && value > remaining + 1e-9;
    cost.classList.toggle("sora-over-budget", over);
    if (over) cost.textContent += " · over the remaining budget";
    budget.textContent = remaining == null ? `Spent ${formatCost(model.get("spend_usd") || 0)}` : `Budget left ${formatCost(remaining)}`;
  };

  const refreshOptions = () => {
    const p = profile();
    const names = p.models.map((x) => x.name);
    fillOptions(m.sel, names, model.get("model") || p.default_model, (n) => {
      const spec = specOf(n);
      return spec?.label ? `${spec.label} (${n})` : n;
    });
    const spec = specOf(m.sel.value);
    fillOptions(s.sel, spec ? spec.sizes : [], model.get("size"), formatSize);
    fillOptions(sec.sel, spec ? spec.seconds : [], model.get("seconds"), formatSeconds);
    drawPreview();
    refreshCost();
  };

  const refreshBackend = () => {
    const label = model.get("backend_label") || "backend";
    backend.textContent = model.get("backend_is_emulator") ? "local emulator" : label;
    backend.title = `Videos API backend: ${label}`;
    backend.classList.toggle("sora-backend-local", !!model.get("backend_is_emulator"));
  };

  const refreshCoach = () => {
    const rules = model.get("_coach");
    if (!rules) return;
    const ruleset = reference ? rules.image : rules.text;
    const result = analyzePrompt(prompt.value, ruleset);
    coachList.replaceChildren(
      ...result.checks.map((c) =>
        h("li", { class: `sora-coach-item ${c.present ? "sora-coach-ok" : "sora-coach-missing"}`, title: c.hint, text: `${c.present ? "✓" : "+"} ${c.label}` }),
      ),
    );
    coachList.setAttribute("aria-label", result.missing.length ? `Prompt coach: missing ${result.checks.filter((c) => !c.present).map((c) => c.label.toLowerCase()).join(", ")}` : "Prompt coach: all covered");
  };

  const refreshTemplates = () => {
    const rules = model.get("_coach");
    if (!rules) return;
    templates.replaceChildren(
      h("span", { class: "sora-label", text: "Examples" }),
      ...rules.templates.map((t) => {
        const b = h("button", { type: "button", class: "sora-btn sora-chip-btn", title: t.prompt, text: t.name });
        b.addEventListener("click", () => {
          prompt.value = t.prompt;
          refreshCoach();
          prompt.focus();
        });
        return b;
      }),
    );
  };

  function drawPreview() {
    if (!reference || !reference.bitmap) {
      preview.hidden = true;
      return;
    }
    const dims = parseSize(s.sel.value) || { width: 16, height: 9 };
    const maxH = 96;
    const scale = maxH / dims.height;
    preview.width = Math.round(dims.width * scale);
    preview.height = maxH;
    const crop = coverCrop(reference.width, reference.height, dims.width, dims.height);
    const ctx = preview.getContext("2d");
    if (ctx) ctx.drawImage(reference.bitmap, crop.sx, crop.sy, crop.sw, crop.sh, 0, 0, preview.width, preview.height);
    preview.hidden = false;
    const cropped = crop.sw < reference.width - 0.5 || crop.sh < reference.height - 0.5;
    refInfo.textContent = `${reference.name}: ${reference.width}×${reference.height}${cropped ? `, centre-cropped to ${formatSize(s.sel.value)}` : `, scaled to ${formatSize(s.sel.value)}`}`;
  }

  const clearReference = () => {
    if (reference?.bitmap?.close) reference.bitmap.close();
    reference = null;
    fileInput.value = "";
    refInfo.textContent = "";
    refClear.hidden = true;
    drawPreview();
    refreshCoach();
  };

  const setReference = async (file) => {
    if (!file) return;
    if (!/^image\/(png|jpeg|webp)$/.test(file.type)) {
      showFormError(`${file.name}: use a PNG, JPEG or WebP image`);
      return;
    }
    try {
      const bytes = await file.arrayBuffer();
      const bitmap = await createImageBitmap(new Blob([bytes], { type: file.type }));
      if (reference?.bitmap?.close) reference.bitmap.close();
      reference = { name: file.name, type: file.type, bytes, bitmap, width: bitmap.width, height: bitmap.height };
      refClear.hidden = false;
      showFormError("");
      drawPreview();
      refreshCoach();
    } catch (err) {
      showFormError(`${file.name}: could not read this image (${err?.message || err})`);
    }
  };

  function showFormError(text) {
    formError.textContent = text;
    formError.hidden = !text;
  }

  const submit = async () => {
    if (generate.disabled) return;
    const text = prompt.value.trim();
    if (!text) {
      showFormError("Write a prompt first: the coach above lists what a good one covers.");
      prompt.focus();
      return;
    }
    generate.disabled = true;
    generate.setAttribute("aria-busy", "true");
    generate.textContent = "Submitting…";
    showFormError("");
    try {
      const args = { prompt: text, model: m.sel.value, size: s.sel.value, seconds: sec.sel.value };
      const buffers = [];
      if (reference) {
        args.reference_mime = reference.type;
        args.reference_name = reference.name;
        buffers.push(reference.bytes);
      }
      await requester.request("submit", args, { buffers, timeoutMs: 60000 });
    } catch (err) {
      showFormError(String(err?.message || err));
    } finally {
      generate.disabled = false;
      generate.removeAttribute("aria-busy");
      generate.textContent = "Generate";
    }
  };

  const host = {
    request: (cmd, args, opts) => requester.request(cmd, args, opts),
    media: (item, variant) => cache.get(item, variant),
    tracksJobs: true,
  };
  const refreshCards = () => reconcileCards(cardsEl, cards, collectionItems(model), host);

  // events
  prompt.addEventListener("input", refreshCoach);
  prompt.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      submit();
    }
  });
  generate.addEventListener("click", submit);
  m.sel.addEventListener("change", () => {
    const spec = specOf(m.sel.value);
    fillOptions(s.sel, spec ? spec.sizes : [], s.sel.value, formatSize);
    fillOptions(sec.sel, spec ? spec.seconds : [], sec.sel.value, formatSeconds);
    drawPreview();
    refreshCost();
  });
  s.sel.addEventListener("change", () => {
    drawPreview();
    refreshCost();
  });
  sec.sel.addEventListener("change", refreshCost);
  fileInput.addEventListener("change", () => setReference(fileInput.files && fileInput.files[0]));
  refClear.addEventListener("click", clearReference);
  const onDragOver = (ev) => {
    ev.preventDefault();
    form.classList.add("sora-dragging");
  };
  const onDragLeave = () => form.classList.remove("sora-dragging");
  const onDrop = (ev) => {
    ev.preventDefault();
    form.classList.remove("sora-dragging");
    const file = ev.dataTransfer?.files?.[0];
    if (file) setReference(file);
  };
  form.addEventListener("dragover", onDragOver);
  form.addEventListener("dragleave", onDragLeave);
  form.addEventListener("drop", onDrop);

  const onPromptTrait = () => {
    prompt.value = model.get("prompt") || "";
    refreshCoach();
  };
  const bindings = [
    ["change:_profile change:model change:size change:seconds", refreshOptions],
    ["change:_costs change:budget_remaining_usd change:spend_usd", refreshCost],
    ["change:backend_label change:backend_is_emulator", refreshBackend],
    ["change:_coach", () => (refreshTemplates(), refreshCoach())],
    ["change:prompt", onPromptTrait],
    ["change:items change:live", refreshCards],
  ];
  for (const [names, fn] of bindings) {
    model.on(names, fn);
    cleanups.push(() => model.off(names, fn));
  }

  prompt.value = model.get("prompt") || "";
  refreshOptions();
  refreshBackend();
  refreshTemplates();
  refreshCoach();
  refreshCards();

  return () => {
    for (const fn of cleanups) fn();
    for (const card of cards.values()) card.destroy();
    cards.clear();
    if (reference?.bitmap?.close) reference.bitmap.close();
    requester.dispose();
    cache.dispose();
    root.remove();
  };
}

const STATUS_FILTERS = [
  ["all", "All statuses"],
  ["running", "In progress"],
  ["completed", "Ready"],
  ["failed", "Failed"],
  ["expired", "Expired"],
];

function renderGalleryView({ model, el }) {
  const cleanups = [];
  const requester = createRequester(model);
  const cache = createMediaCache(requester);
  const cards = new Map();
  let page = 0;

  const root = h("section", { class: "sora-root sora-gallery", "aria-label": "Video gallery" });
  const searchId = nextId("search");
  const search = h("input", { id: searchId, type: "search", class: "sora-input sora-search", placeholder: "Search prompts", "aria-label": "Search prompts" });
  const st = select("Status", nextId("status"));
  const md = select("Model", nextId("gmodel"));
  const count = h("span", { class: "sora-count", "aria-live": "polite" });
  const toolbar = h("div", { class: "sora-toolbar" }, h("div", { class: "sora-field sora-field-search" }, h("label", { for: searchId, class: "sora-label", text: "Search" }), search), st.field, md.field, h("span", { class: "sora-spacer" }), count);
  const cardsEl = h("div", { class: "sora-cards sora-grid" });
  const empty = h("p", { class: "sora-empty", hidden: true });
  const prev = h("button", { type: "button", class: "sora-btn sora-btn-ghost", text: "‹ Newer" });
  const next = h("button", { type: "button", class: "sora-btn sora-btn-ghost", text: "Older ›" });
  const pageText = h("span", { class: "sora-page-text" });
  const pager = h("nav", { class: "sora-pager", "aria-label": "Pages" }, prev, pageText, next);
  root.append(toolbar, cardsEl, empty, pager, errorBanner(model, cleanups));
  el.append(root);

  st.sel.replaceChildren(...STATUS_FILTERS.map(([v, label]) => h("option", { value: v, text: label })));
  st.sel.value = model.get("status_filter") || "all";
  search.value = model.get("search") || "";

  const host = {
    request: (cmd, args, opts) => requester.request(cmd, args, opts),
    media: (item, variant) => cache.get(item, variant),
    tracksJobs: true,
  };

  const refresh = () => {
    const all = collectionItems(model);
    const models = distinct(all, "model");
    const wantedModel = md.sel.value || model.get("model_filter") || "all";
    md.sel.replaceChildren(h("option", { value: "all", text: "All models" }), ...models.map((v) => h("option", { value: v, text: v })));
    md.sel.value = models.includes(wantedModel) ? wantedModel : "all";
    const filtered = filterItems(all, { status: st.sel.value, model: md.sel.value, query: search.value });
    const pageSize = model.get("page_size") || 24;
    const view = pageOf(filtered, page, pageSize);
    page = view.page;
    root.dataset.count = String(filtered.length);
    count.textContent = filtered.length === all.length ? `${all.length} video${all.length === 1 ? "" : "s"}` : `${filtered.length} of ${all.length}`;
    // only the visible page has cards (and fetches media); the others cost nothing
    reconcileCards(cardsEl, cards, view.items, host, all);
    // the next page's thumbnails, after everything on this one: paging on shows them at once
    if (view.page + 1 < view.pages) cache.prefetch(pageOf(filtered, view.page + 1, pageSize).items);
    empty.hidden = filtered.length > 0;
    empty.textContent = all.length ? "Nothing matches these filters." : "No videos yet. Generate one with sw.GeneratorPanel() or %sora.";
    pager.hidden = view.pages <= 1;
    pageText.textContent = `Page ${view.page + 1} of ${view.pages}`;
    prev.disabled = view.page === 0;
    next.disabled = view.page >= view.pages - 1;
  };

  const resetAndRefresh = () => {
    page = 0;
    refresh();
  };
  search.addEventListener("input", resetAndRefresh);
  st.sel.addEventListener("change", resetAndRefresh);
  md.sel.addEventListener("change", resetAndRefresh);
  prev.addEventListener("click", () => {
    page -= 1;
    refresh();
    root.scrollIntoView({ block: "nearest" });
  });
  next.addEventListener("click", () => {
    page += 1;
    refresh();
    root.scrollIntoView({ block: "nearest" });
  });
  const onItems = () => {
    // forget media of jobs that left the list (deleted)
    const ids = new Set((model.get("items") || []).map((it) => it.job_id));
    for (const id of cards.keys()) if (!ids.has(id)) cache.drop(id);
    refresh();
  };
  model.on("change:items change:live change:page_size", onItems);
  cleanups.push(() => model.off("change:items change:live change:page_size", onItems));
  refresh();

  return () => {
    for (const fn of cleanups) fn();
    for (const card of cards.values()) card.destroy();
    cards.clear();
    requester.dispose();
    cache.dispose();
    root.remove();
  };
}

const VIEWS = { card: renderCardView, panel: renderPanelView, gallery: renderGalleryView };

/** @type {import("@anywidget/types").Render<any>} */
function render({ model, el }) {
  const view = VIEWS[model.get("_view")];
  if (!view) {
    el.textContent = `sora_widgets: unknown view ${JSON.stringify(model.get("_view"))}`;
    return () => {};
  }
  return view({ model, el });
}

export default { render };
