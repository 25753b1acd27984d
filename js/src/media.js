// @ts-check
// Media bytes from the kernel -> URLs the page can show: the per-view cache (previews batched, the MP4 on
// play), data: URLs for small thumbnails, object URLs for the rest (revoked by the view's cleanup), and
// saving a download in the browser.

import { downloadName } from "./format.js";
import { createPreviewBatcher } from "./protocol.js";

/** @typedef {import("./types.js").Item} Item */

/** Thumbnails up to this size become `data:` URLs rather than object URLs (see createMediaCache). */
export const DATA_URL_MAX_BYTES = 64 * 1024;

/**
 * `data:<mime>;base64,...` of the bytes of `view` (a DataView, typed array or ArrayBuffer).
 * @param {ArrayBuffer | ArrayBufferView} view @param {string} mime
 */
export function bytesToDataUrl(view, mime) {
  const u8 = ArrayBuffer.isView(view) ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : new Uint8Array(view);
  let bin = "";
  for (let i = 0; i < u8.length; i += 0x8000) bin += String.fromCharCode.apply(null, /** @type {any} */ (u8.subarray(i, i + 0x8000)));
  return `data:${mime};base64,${btoa(bin)}`;
}

/** @param {ArrayBuffer | ArrayBufferView} buffer @param {string} mime */
export function blobUrl(buffer, mime) {
  return URL.createObjectURL(new Blob([/** @type {BlobPart} */ (buffer)], { type: mime }));
}

/**
 * What a `download` reply asks the browser to save. Today's contract: `result = {filename, mime, size}` and
 * buffers[0] = the file's bytes. The older reply also carried `path` (a copy the kernel kept next to the
 * notebook): still understood until both sides are merged.
 * @param {any} result @param {DataView[]} buffers @param {{video_id?: string | null, job_id?: string}} item
 * @returns {{filename: string, mime: string, bytes: DataView | null, size: number | null, keptAt: string | null}}
 */
export function readDownloadReply(result, buffers, item) {
  const bytes = buffers && buffers[0] ? buffers[0] : null;
  const raw = typeof result?.filename === "string" && result.filename ? result.filename : downloadName(item);
  // a name, never a path: the browser decides the folder
  const filename = raw.split(/[\\/]/).pop() || downloadName(item);
  const size = Number.isFinite(result?.size) ? Number(result.size) : bytes ? bytes.byteLength : null;
  const keptAt = typeof result?.path === "string" && result.path ? result.path : null;
  return { filename, mime: typeof result?.mime === "string" && result.mime ? result.mime : "video/mp4", bytes, size, keptAt };
}

/**
 * Save bytes as a file: Blob + object URL + <a download>, the URL revoked once the click has been handled.
 * @param {ArrayBuffer | ArrayBufferView} bytes @param {string} filename @param {string} mime
 */
export function saveFile(bytes, filename, mime) {
  const url = blobUrl(bytes, mime);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.className = "sora-offscreen";
  document.body.append(a);
  a.click();
  a.remove();
  // the download has started from the click; give the browser a moment to read the blob before revoking
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * URLs for job media, fetched once. Thumbnails and spritesheets come in batches (`previews`, see
 * createPreviewBatcher); the MP4 alone, on play. Small thumbnails become `data:` URLs: a page of them arrives at
 * once, and each object URL costs a round trip to the browser's blob registry (profiled: 200 thumbnails as object
 * URLs kept the page's main thread busy for ~0.25 s of the benchmark's ~1 s), while a data URL is a plain string
 * with nothing to revoke. Spritesheets, big thumbnails and the MP4 are object URLs, revoked when the view goes
 * (synchronously, in the cleanup).
 * @param {{request: import("./types.js").Request}} requester
 */
export function createMediaCache(requester) {
  /** @type {Map<string, Promise<string | null>>} key -> url */
  const promises = new Map();
  /** @type {Map<string, string>} key -> object URL, once resolved */
  const made = new Map();
  const batcher = createPreviewBatcher((cmd, args, opts) => requester.request(cmd, args, opts));
  let disposed = false;
  /** @param {Item} item */
  const fetchVideo = (item) =>
    requester.request("media", { job_id: item.job_id, variant: "video" }, { timeoutMs: 120000 }).then(({ result, buffers }) => ({
      buffer: buffers && buffers[0],
      mime: result?.mime || "video/mp4",
    }));
  /** @param {Item} item @param {string} variant @param {"high" | "low"} priority */
  const load = (item, variant, priority) => {
    const key = `${item.job_id}:${variant}`;
    const known = promises.get(key);
    if (known) {
      if (priority === "high" && variant === "thumbnail") batcher.promote(item.job_id);
      return known;
    }
    const source = variant === "video" ? fetchVideo(item) : batcher.get(item.job_id, /** @type {any} */ (variant), priority);
    const p = source.then(({ buffer, mime }) => {
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
    /** Thumbnails of cards about to be shown (the next page), after the thumbnails on screen. @param {Item[]} items */
    prefetch(items) {
      for (const item of items) {
        if (item.status === "completed" && item.has_thumbnail) load(item, "thumbnail", "low").catch(() => {});
      }
    },
    /** Forget (and revoke) everything for one job. @param {string} jobId */
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
