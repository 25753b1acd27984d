// @ts-check
// Gallery arithmetic: filters, pages, columns that fit the width, and the reference image's crop. Pure.

import { clamp, isTerminal } from "./format.js";

/** @typedef {import("./types.js").Item} Item */

/**
 * Items matching the filters, newest first.
 * @template {{job_id: string, status: string, model: string, prompt: string, video_id?: string | null, created_at?: number | null}} T
 * @param {T[]} items
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

/**
 * Columns (and the page size) for a grid `width` px wide: as many columns of at least `minCard` px as fit,
 * preferring a column count that divides the page size, so a full page has no half-empty last row. When
 * no count near the most that fit divides it, the page grows or shrinks to whole rows instead.
 * @param {number} width px available @param {number} pageSize wanted cards per page
 * @param {{minCard?: number, maxCard?: number, gap?: number}} [options]
 * @returns {{columns: number, pageSize: number}}
 */
export function gridLayout(width, pageSize, { minCard = 260, maxCard = 560, gap = 12 } = {}) {
  const size = Math.max(1, pageSize | 0);
  const fit = Math.max(1, Math.floor((Math.max(0, width) + gap) / (minCard + gap)));
  if (size <= fit) {
    // one row holds the page: as wide as allowed, never wider than maxCard
    const atLeast = Math.max(1, Math.ceil((width + gap) / (maxCard + gap)));
    const columns = Math.min(fit, Math.max(size, atLeast));
    return { columns, pageSize: size };
  }
  for (let c = fit; c >= Math.max(1, Math.ceil(fit * 0.6)); c -= 1) {
    if (size % c === 0) return { columns: c, pageSize: size };
  }
  return { columns: fit, pageSize: fit * Math.max(1, Math.round(size / fit)) };
}

/**
 * The centred crop that makes an image of `srcW x srcH` cover `dstW x dstH` (what the kernel's
 * fit="cover" does with the reference image), in source pixels.
 * @param {number} srcW @param {number} srcH @param {number} dstW @param {number} dstH
 */
export function coverCrop(srcW, srcH, dstW, dstH) {
  const scale = Math.max(dstW / srcW, dstH / srcH);
  const sw = Math.min(srcW, dstW / scale);
  const sh = Math.min(srcH, dstH / scale);
  return { sx: (srcW - sw) / 2, sy: (srcH - sh) / 2, sw, sh };
}
