// @ts-check
// Virtual grid arithmetic and the window cache of the gallery (10,000 videos: only what is on screen is in
// the DOM, only the summaries near it are held). Pure (no DOM).

/** @typedef {import("./types.js").Item} Item */

/**
 * Columns of at least `minCard` px that fit `width`.
 * @param {number} width @param {number} minCard @param {number} gap
 */
export function columnsFor(width, minCard, gap) {
  return Math.max(1, Math.floor((Math.max(0, width) + gap) / (minCard + gap)));
}

/**
 * Which items a scroll position shows: rows [firstRow, lastRow) with `margin` rows either side, as item
 * indices [from, to).
 * @param {{scrollTop: number, viewport: number, rowHeight: number, columns: number, total: number, margin?: number}} g
 */
export function visibleRange({ scrollTop, viewport, rowHeight, columns, total, margin = 1 }) {
  const rows = Math.ceil(total / Math.max(1, columns));
  const h = Math.max(1, rowHeight);
  const firstRow = Math.max(0, Math.min(rows, Math.floor(scrollTop / h) - margin));
  const lastRow = Math.max(firstRow, Math.min(rows, Math.ceil((scrollTop + viewport) / h) + margin));
  return { firstRow, lastRow, rows, from: firstRow * columns, to: Math.min(total, lastRow * columns) };
}

/**
 * Where keyboard navigation goes from `index` (-1: none yet): arrows by one card or one row, Page keys by a
 * screen, Home/End to the ends. null: not a navigation key.
 * @param {string} key @param {number} index @param {{columns: number, total: number, perPage: number}} g
 */
export function navigate(key, index, { columns, total, perPage }) {
  if (total <= 0) return null;
  const at = index < 0 ? 0 : index;
  const moves = {
    ArrowRight: at + 1,
    ArrowLeft: at - 1,
    ArrowDown: at + columns,
    ArrowUp: at - columns,
    PageDown: at + Math.max(columns, perPage),
    PageUp: at - Math.max(columns, perPage),
    Home: 0,
    End: total - 1,
  };
  if (!(key in moves)) return null;
  if (index < 0 && key !== "End") return 0;
  return Math.max(0, Math.min(total - 1, /** @type {Record<string, number>} */ (moves)[key]));
}

/**
 * Summaries by index, fetched in blocks through `fetch(offset, limit)` (the gallery's `window` command) and
 * dropped when far from what is shown. `reset(revision, total, head)` starts over for a new result set (the
 * `items` trait holds its first rows); replies for an older revision are ignored. At most `maxLoading` blocks
 * are asked at a time: a fast scroll passes blocks faster than they come, so the ones asked for are those wanted
 * when a request ends (`onLoad` then runs, and the next `ensure` asks for what is wanted by then).
 * @param {{fetch: (offset: number, limit: number) => Promise<{revision: number, total: number, offset: number, items: Item[]}>,
 *          onLoad: () => void, block?: number, keepBlocks?: number, maxLoading?: number}} options
 */
export function createWindowCache({ fetch, onLoad, block = 48, keepBlocks = 12, maxLoading = Infinity }) {
  /** @type {Map<number, Item[]>} block number -> its items */
  let blocks = new Map();
  /** @type {Set<number>} */
  let loading = new Set();
  let revision = -1;
  let total = 0;
  let closed = false;
  let shown = [0, 0]; // the blocks the last `ensure` wanted
  let skipped = false; // an `ensure` left blocks unasked (too many in flight)
  /** Forget the blocks farthest from what is shown, beyond `keepBlocks`. */
  const evict = () => {
    if (blocks.size <= keepBlocks) return;
    const [first, last] = shown;
    const mid = (first + last) / 2;
    const far = [...blocks.keys()].filter((b) => b < first || b > last).sort((a, c) => Math.abs(c - mid) - Math.abs(a - mid));
    for (const b of far.slice(0, blocks.size - keepBlocks)) blocks.delete(b);
  };

  /** @param {number} b */
  const complete = (b) => (blocks.get(b)?.length ?? -1) >= Math.min(block, total - b * block);
  /** @param {number} b */
  const load = (b) => {
    if (loading.has(b) || complete(b) || closed) return;
    if (loading.size >= maxLoading) {
      skipped = true;
      return;
    }
    loading.add(b);
    const asked = revision;
    const mine = loading;
    fetch(b * block, block)
      .then((reply) => {
        if (closed || asked !== revision || reply.revision !== revision) return; // a newer result set
        total = reply.total;
        blocks.set(b, reply.items || []);
        evict();
        onLoad();
      })
      .catch(() => {})
      .finally(() => {
        mine.delete(b);
        if (skipped && !closed) {
          skipped = false;
          onLoad(); // ask again for what is wanted now
        }
      });
  };
  return {
    get revision() {
      return revision;
    },
    get size() {
      let n = 0;
      for (const items of blocks.values()) n += items.length;
      return n;
    },
    /** @param {number} rev @param {number} count @param {Item[]} head the first rows of the new result set */
    reset(rev, count, head) {
      revision = rev;
      total = count;
      blocks = new Map();
      loading = new Set();
      // the head (the first screen) is block 0, maybe partial: `ensure` completes it
      for (let b = 0; b * block < head.length; b += 1) blocks.set(b, head.slice(b * block, (b + 1) * block));
    },
    /** @param {number} i @returns {Item | undefined} */
    get(i) {
      return blocks.get(Math.floor(i / block))?.[i % block];
    },
    /** Fetch what [from, to) needs; forget blocks far from it. @param {number} from @param {number} to */
    ensure(from, to) {
      if (to <= from) return;
      const first = Math.floor(from / block);
      const last = Math.floor((Math.min(to, total) - 1) / block);
      shown = [first, last];
      for (let b = first; b <= last; b += 1) load(b);
      evict();
    },
    /** The index of `jobId` among the held items (-1: not held). @param {string} jobId */
    indexOf(jobId) {
      for (const [b, items] of blocks) {
        const k = items.findIndex((it) => it.job_id === jobId);
        if (k >= 0) return b * block + k;
      }
      return -1;
    },
    dispose() {
      closed = true;
      blocks.clear();
    },
  };
}
