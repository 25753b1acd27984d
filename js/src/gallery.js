// @ts-check
// sw.Gallery: every journaled job, filtered and paged. Only the page on screen has cards (and fetches
// media). Columns follow the width (gridLayout: no half-empty rows on a full page); paging keeps the
// gallery's top in view; cards have a stable estimated height so off-screen ones do not shift the page.

import { collectionItems, errorBanner, itemLookup, reconcileCards } from "./collection.js";
import { h, liveRegion, nextId, select } from "./dom.js";
import { distinct, filterItems, gridLayout, pageOf } from "./layout.js";
import { createMediaCache } from "./media.js";
import { createRequester } from "./protocol.js";
import { createTicker } from "./progress.js";

/** @typedef {import("./types.js").Model} Model */

const STATUS_FILTERS = [
  ["all", "All statuses"],
  ["running", "In progress"],
  ["completed", "Ready"],
  ["failed", "Failed"],
  ["expired", "Expired"],
];

/** Narrowest card that keeps its actions usable (the grid's min column), and the gap between cards. */
const MIN_CARD_PX = 260;
const GAP_PX = 12;

/** @param {{model: Model, el: HTMLElement}} ctx */
export function renderGalleryView({ model, el }) {
  /** @type {Array<() => void>} */
  const cleanups = [];
  const requester = createRequester(model);
  const cache = createMediaCache(requester);
  const ticker = createTicker();
  const live = liveRegion();
  /** @type {Map<string, import("./card.js").Card>} */
  const cards = new Map();
  let page = 0;
  let width = 0;

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
  root.append(toolbar, cardsEl, empty, pager, errorBanner(model, cleanups), live.el);
  el.append(root);

  st.sel.replaceChildren(...STATUS_FILTERS.map(([v, label]) => h("option", { value: v, text: label })));
  st.sel.value = model.get("status_filter") || "all";
  search.value = model.get("search") || "";

  const lookup = itemLookup(() => collectionItems(model));
  /** @type {import("./types.js").CardHost} */
  const host = {
    request: (cmd, args, opts) => requester.request(cmd, args, opts),
    media: (item, variant) => cache.get(item, variant),
    ticker,
    announce: live.say,
    lookup: lookup.get,
    tracksJobs: true,
  };

  /** Columns and the effective page size for the current width (before the first measure: the trait's). */
  const layout = () => {
    const wanted = model.get("page_size") || 24;
    return width > 0 ? gridLayout(width, wanted, { minCard: MIN_CARD_PX, gap: GAP_PX }) : { columns: 0, pageSize: wanted };
  };
  let pageSize = layout().pageSize;

  // a card's height, measured on laid-out cards (the median of the first few): the estimate the off-screen
  // cards of a big page keep (content-visibility), so scrolling does not shift the page when they render
  let measured = 0;
  const measureCard = () => {
    const heights = [];
    for (const c of [...cardsEl.children].slice(0, 12)) {
      // a skipped card (content-visibility) reports the estimate itself, not its height
      const shown = typeof c.checkVisibility === "function" ? c.checkVisibility({ contentVisibilityAuto: true }) : true;
      const hgt = c.getBoundingClientRect().height;
      if (shown && hgt > 0) heights.push(hgt);
    }
    if (!heights.length) return;
    heights.sort((x, y) => x - y);
    const median = heights[Math.floor(heights.length / 2)];
    if (Math.abs(median - measured) > 1) {
      measured = median;
      cardsEl.style.setProperty("--sora-card-h", `${Math.round(median)}px`);
    }
  };
  // a gallery rendered below the fold has no laid-out card yet: measure when it scrolls into view
  const seen = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) requestAnimationFrame(measureCard);
  });
  seen.observe(cardsEl);
  cleanups.push(() => seen.disconnect());

  const refresh = () => {
    lookup.invalidate();
    const all = collectionItems(model);
    const models = distinct(all, "model");
    const wantedModel = md.sel.value || model.get("model_filter") || "all";
    md.sel.replaceChildren(h("option", { value: "all", text: "All models" }), ...models.map((v) => h("option", { value: v, text: v })));
    md.sel.value = models.includes(wantedModel) ? wantedModel : "all";
    const filtered = filterItems(all, { status: st.sel.value, model: md.sel.value, query: search.value });
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
    if (!measured) requestAnimationFrame(measureCard);
  };

  const applyLayout = () => {
    const { columns, pageSize: size } = layout();
    if (columns > 0) {
      cardsEl.style.setProperty("--sora-columns", String(columns));
      cardsEl.dataset.columns = String(columns);
    }
    if (size !== pageSize) {
      // keep the first card shown on screen when the page size follows the width
      page = Math.floor((page * pageSize) / size);
      pageSize = size;
      refresh();
    }
    measured = 0;
    requestAnimationFrame(measureCard);
  };
  const resize = new ResizeObserver((entries) => {
    const w = entries[entries.length - 1].contentRect.width;
    if (!(w > 0) || Math.abs(w - width) < 1) return;
    width = w;
    applyLayout();
  });
  resize.observe(root);
  cleanups.push(() => resize.disconnect());

  /** Page by `delta`, then bring the gallery's top into view (the pager sits at the bottom of a long page). @param {number} delta */
  const turn = (delta) => {
    page += delta;
    refresh();
    const top = root.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight) root.scrollIntoView({ block: "start" });
  };

  const resetAndRefresh = () => {
    page = 0;
    refresh();
  };
  search.addEventListener("input", resetAndRefresh);
  st.sel.addEventListener("change", resetAndRefresh);
  md.sel.addEventListener("change", resetAndRefresh);
  prev.addEventListener("click", () => turn(-1));
  next.addEventListener("click", () => turn(1));
  const onItems = () => {
    // forget media of jobs that left the list (deleted)
    const ids = new Set((model.get("items") || []).map((/** @type {{job_id: string}} */ it) => it.job_id));
    for (const id of cards.keys()) if (!ids.has(id)) cache.drop(id);
    refresh();
  };
  const onPageSize = () => {
    pageSize = layout().pageSize;
    applyLayout();
    refresh();
  };
  model.on("change:items change:live", onItems);
  model.on("change:page_size", onPageSize);
  cleanups.push(() => model.off("change:items change:live", onItems), () => model.off("change:page_size", onPageSize));
  refresh();

  return () => {
    for (const fn of cleanups) fn();
    for (const card of cards.values()) card.destroy();
    cards.clear();
    ticker.dispose();
    requester.dispose();
    cache.dispose();
    root.remove();
  };
}
