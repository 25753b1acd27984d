// The static harness's stand-in for the kernel's catalog (sora_widgets/catalog.py + widgets/gallery.py):
// the gallery's query traits over an in-memory list of summaries -> total, all_count, facets, the first
// page_size rows (`items`), a new revision; and the `window` / `locate` commands. Same semantics as the
// kernel where the tests look: "running" is every status in flight, facets count each filter under the
// others, search matches every word (the last as a prefix) or a job / backend id, newest first by default.

const IN_FLIGHT = new Set(["queued", "in_progress"]);
const STATUS_WORDS = ["completed", "failed", "expired"];
/** As widgets/gallery.py::MAX_WINDOW. */
export const MAX_WINDOW = 500;

/** Lower-case words, as FTS5's unicode61 tokenizer splits them. @param {string} text */
const words = (text) => (String(text || "").toLowerCase().match(/[\p{L}\p{N}]+/gu) || []);

/** catalog.fts_query: each typed term a phrase, the last one's last word a prefix. @param {string} text */
function searchMatcher(text) {
  const terms = text.split(/\s+/).map(words).filter((t) => t.length);
  if (!terms.length) return null;
  return (/** @type {string[]} */ tokens) =>
    terms.every((phrase, k) => {
      const prefix = k === terms.length - 1;
      for (let i = 0; i + phrase.length <= tokens.length; i += 1) {
        const ok = phrase.every((w, j) => (prefix && j === phrase.length - 1 ? tokens[i + j].startsWith(w) : tokens[i + j] === w));
        if (ok) return true;
      }
      return false;
    });
}

const SORT_KEY = {
  date: (/** @type {any} */ it) => it.created_at,
  cost: (/** @type {any} */ it) => (it.cost_usd == null ? -1 : it.cost_usd),
  duration: (/** @type {any} */ it) => Number(it.seconds),
};

/** @param {any[]} items every summary (the journal) */
export function createFakeCatalog(items) {
  const tokens = new Map(items.map((it) => [it.job_id, words(it.prompt)]));
  /** @param {Record<string, any>} q the gallery's traits @param {string} [skip] a filter left out (its facet) */
  const matching = (q, skip = "") => {
    const text = String(q.search || "").trim();
    const match = text ? searchMatcher(text) : null;
    return items.filter((it) => {
      if (it.status === "deleted") return false;
      const status = q.status_filter || "all";
      if (skip !== "status" && status !== "all" && (status === "running" ? !IN_FLIGHT.has(it.status) : it.status !== status)) return false;
      if (skip !== "model" && !["", "all", undefined].includes(q.model_filter) && it.model !== q.model_filter) return false;
      if (skip !== "backend" && !["", "all", undefined].includes(q.backend_filter) && it.backend !== q.backend_filter) return false;
      if (q.created_from != null && !(it.created_at >= q.created_from)) return false;
      if (q.created_to != null && !(it.created_at < q.created_to)) return false;
      if (q.cost_min != null && !(it.cost_usd >= q.cost_min)) return false;
      if (q.cost_max != null && !(it.cost_usd <= q.cost_max)) return false;
      if (text && !(it.job_id === text || it.video_id === text || (match && match(tokens.get(it.job_id) || [])))) return false;
      return true;
    });
  };
  /** @param {Record<string, any>} q */
  const ordered = (q) => {
    const key = SORT_KEY[/** @type {keyof typeof SORT_KEY} */ (q.sort_by)] || SORT_KEY.date;
    const way = q.sort_desc === false ? 1 : -1;
    const cmp = (/** @type {any} */ a, /** @type {any} */ b) => (a < b ? -1 : a > b ? 1 : 0);
    return matching(q).sort((a, b) => way * (cmp(key(a), key(b)) || cmp(a.created_at, b.created_at) || cmp(a.job_id, b.job_id)));
  };
  /** @param {Record<string, any>} q */
  const facets = (q) => {
    const byStatus = new Map();
    for (const it of matching(q, "status")) byStatus.set(it.status, (byStatus.get(it.status) || 0) + 1);
    const status = { all: [...byStatus.values()].reduce((a, b) => a + b, 0), running: 0 };
    for (const [s, n] of byStatus) if (IN_FLIGHT.has(s)) status.running += n;
    for (const w of STATUS_WORDS) status[w] = byStatus.get(w) || 0;
    /** @param {string} skip @param {string} field */
    const count = (skip, field) => {
      /** @type {Record<string, number>} */
      const out = {};
      for (const it of matching(q, skip)) if (it[field] != null) out[it[field]] = (out[it[field]] || 0) + 1;
      return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
    };
    return { status, model: count("model", "model"), backend: count("backend", "backend") };
  };
  return {
    /** The traits widgets/gallery.py::_refresh sets for query `q` (revision: the caller's). @param {Record<string, any>} q */
    traits(q) {
      const rows = ordered(q);
      return { total: rows.length, all_count: matching({}).length, facets: facets(q), items: rows.slice(0, q.page_size || 24) };
    },
    /** `window {offset, limit}` -> {total, offset, items}, or an error string as the kernel's. @param {Record<string, any>} q @param {any} args */
    window(q, { offset = 0, limit = q.page_size || 24 } = {}) {
      if (!Number.isInteger(offset) || !Number.isInteger(limit) || offset < 0 || !(limit > 0 && limit <= MAX_WINDOW)) {
        return { error: `window needs offset >= 0 and 1 <= limit <= ${MAX_WINDOW} (whole numbers)` };
      }
      const rows = ordered(q);
      return { total: rows.length, offset, items: rows.slice(offset, offset + limit) };
    },
    /** `locate {job_id}` -> {index} (null: not in the current order). @param {Record<string, any>} q @param {any} args */
    locate(q, { job_id: jobId } = {}) {
      if (typeof jobId !== "string") return { error: "locate needs a job_id string" };
      const i = ordered(q).findIndex((it) => it.job_id === jobId);
      return { index: i < 0 ? null : i };
    },
    /** Job ids in the order of query `q` (for the tests). @param {Record<string, any>} q */
    order: (q) => ordered(q).map((it) => it.job_id),
  };
}
