// @ts-check
// sw.Gallery: every journaled job (10,000 and more) in one virtual, scrolling grid. The kernel searches,
// filters and sorts in the journal; the view holds only the summaries near what is shown (virtual.js's window
// cache, filled by the `window` command) and has cards only for the rows on screen plus a margin. Every row has
// the same height (measured once per width), so the scrollbar is exact and nothing jumps; previews are asked
// for the cards on screen and the rows just ahead, and dropped (object URLs revoked) once they scroll away.
// Keyboard: arrows, Page Up/Down, Home/End move across the whole list; Enter plays the current card.

import { errorBanner } from "./collection.js";
import { listen, listenTogether } from "./events.js";
import { mountCard } from "./card.js";
import { createLightPool } from "./card-light.js";
import { h, liveRegion } from "./dom.js";
import { mountToolbar } from "./gallery-toolbar.js";
import { createMediaCache } from "./media.js";
import { createRequester } from "./protocol.js";
import { createTicker } from "./progress.js";
import { columnsFor, createWindowCache, navigate, visibleRange } from "./virtual.js";

/** @typedef {import("./types.js").Model} Model */
/** @typedef {import("./types.js").Item} Item */
/** @typedef {import("./card.js").Card} Card */

/** Narrowest card that keeps its actions usable, and the gap between cards. */
const MIN_CARD_PX = 260;
const GAP_PX = 12;
/** Rows kept in the DOM above and below the viewport, and rows whose thumbnails are fetched ahead. */
const MARGIN_ROWS = 1;
const AHEAD_ROWS = 2;
/** A card's height before one was measured. */
const ESTIMATE_PX = 360;
/** While the list scrolls (a scroll event less than this ago), new rows get light cards (card-light.js). */
const SCROLL_IDLE_MS = 150;
/** While scrolling fast, summaries are asked for at most this often. */
const FAST_ENSURE_MS = 100;

/** @param {{model: Model, el: HTMLElement}} ctx */
export function renderGalleryView({ model, el }) {
  /** @type {Array<() => void>} */
  const cleanups = [];
  const requester = createRequester(model);
  const cache = createMediaCache(requester);
  const ticker = createTicker();
  const live = liveRegion();
  /** @type {Map<string, Card>} job id -> its card (only the rows near the viewport) */
  const cards = new Map();
  /** @type {Set<string>} jobs whose thumbnails were asked ahead of their cards */
  let ahead = new Set();
  let width = 0;
  let columns = 1;
  let rowHeight = ESTIMATE_PX + GAP_PX;
  let measured = false;
  let active = -1; // keyboard position in the whole list
  let focusWanted = false;
  let frame = 0;
  let lastScroll = -Infinity;
  let lastEnsure = -Infinity;
  /** @type {ReturnType<typeof setTimeout> | null} */
  let idleTimer = null;
  const lightPool = createLightPool();
  /** @type {Map<string, HTMLElement>} job id -> its light card (rows that came into view while scrolling) */
  const lights = new Map();
  /** @type {Set<string>} light cards the pointer or focus reached: full cards at the next render */
  const upgrade = new Set();

  const root = h("section", { class: "sora-root sora-gallery", "aria-label": "Video gallery" });
  const toolbar = mountToolbar(model);
  const scroller = h("div", { class: "sora-scroller", tabindex: "0", role: "feed", "aria-label": "Videos",
    "data-lm-suppress-shortcuts": "true" }); // Lumino: no notebook shortcuts for keys typed in the list
  const space = h("div", { class: "sora-vspace" });
  const slab = h("div", { class: "sora-cards sora-grid sora-vgrid" });
  space.append(slab);
  scroller.append(space);
  const empty = h("p", { class: "sora-empty", hidden: true });
  root.append(toolbar.el, scroller, empty, errorBanner(model, cleanups), live.el);
  el.append(root);

  const windows = createWindowCache({
    fetch: (offset, limit) => requester.request("window", { offset, limit }).then(({ result }) => result),
    onLoad: () => schedule(),
    maxLoading: 2, // a fast scroll asks for the rows where it is, not for every block it passed
  });
  /** @param {number} i @returns {Item | undefined} */
  const itemAt = (i) => {
    const it = windows.get(i);
    if (!it) return undefined;
    const upd = (model.get("live") || {})[it.job_id];
    return upd ? { ...it, ...upd } : it;
  };
  /** @type {import("./types.js").CardHost} */
  const host = {
    request: (cmd, args, opts) => requester.request(cmd, args, opts),
    media: (item, variant) => cache.get(item, variant),
    ticker,
    announce: live.say,
    lookup: (jobId) => {
      const i = windows.indexOf(jobId);
      return i >= 0 ? itemAt(i) : undefined;
    },
    tracksJobs: true,
  };

  const total = () => Math.max(0, model.get("total") || 0);

  /** Every row the same height: the tallest card of the first screen, measured unconstrained. */
  const measure = () => {
    if (measured || !cards.size) return;
    slab.classList.add("sora-measuring");
    let tallest = 0;
    for (const card of cards.values()) tallest = Math.max(tallest, card.el.getBoundingClientRect().height);
    slab.classList.remove("sora-measuring");
    if (tallest > 0) {
      measured = true;
      rowHeight = Math.ceil(tallest) + GAP_PX;
      slab.style.setProperty("--sora-card-h", `${Math.ceil(tallest)}px`);
      render();
    }
  };

  const placeholder = () => h("div", { class: "sora-card sora-card-slot", "aria-hidden": "true" });
  /** @type {HTMLElement[]} */
  let slots = [];

  const render = () => {
    frame = 0;
    const count = total();
    root.dataset.count = String(count);
    root.dataset.revision = String(windows.revision);
    const range = visibleRange({ scrollTop: scroller.scrollTop, viewport: scroller.clientHeight || 800, rowHeight, columns, total: count, margin: MARGIN_ROWS });
    space.style.height = `${Math.max(0, range.rows * rowHeight - GAP_PX)}px`;
    slab.style.transform = `translateY(${range.firstRow * rowHeight}px)`;
    const now = performance.now();
    const fast = measured && now - lastScroll < SCROLL_IDLE_MS;
    // While the list flies past, ask the kernel for the rows where it is now and then, not at every frame: the
    // kernel shares the machine with the browser, and the blocks passed on the way are never looked at. The
    // pause (the idle timer) asks for what is on screen.
    if (!fast || now - lastEnsure >= FAST_ENSURE_MS) {
      lastEnsure = now;
      windows.ensure(range.from, Math.min(count, range.to + AHEAD_ROWS * columns));
    }
    // cards for the loaded items of the range, slots (same size) for the rest
    /** @type {HTMLElement[]} */
    const want = [];
    const seen = new Set();
    let slotNo = 0;
    for (let i = range.from; i < range.to; i += 1) {
      const item = itemAt(i);
      if (!item || seen.has(item.job_id)) {
        slots[slotNo] ||= placeholder();
        want.push(slots[slotNo]);
        slotNo += 1;
        continue;
      }
      seen.add(item.job_id);
      let card = cards.get(item.job_id);
      if (!card && fast && i !== active && !upgrade.has(item.job_id)) {
        const light = lightPool.take(item, lights.get(item.job_id));
        lights.set(item.job_id, light);
        light.dataset.index = String(i);
        light.setAttribute("aria-posinset", String(i + 1));
        light.setAttribute("aria-setsize", String(count));
        light.classList.toggle("sora-active", i === active);
        want.push(light);
        continue;
      }
      if (!card) {
        card = mountCard(item, host);
        card.el.tabIndex = -1;
        cards.set(item.job_id, card);
      } else if (card.item !== item && JSON.stringify(card.item) !== JSON.stringify(item)) {
        card.update(item);
      }
      card.el.setAttribute("aria-posinset", String(i + 1));
      card.el.setAttribute("aria-setsize", String(count));
      card.el.dataset.index = String(i);
      card.el.classList.toggle("sora-active", i === active);
      want.push(card.el);
    }
    slots = slots.slice(0, Math.max(slotNo, 8));
    // in order, moving only what is out of place (a playing video is never taken out of the DOM)
    /** @type {Element | null} */
    let anchor = null;
    for (const node of want) {
      const next = anchor ? anchor.nextSibling : slab.firstChild;
      if (next !== node) slab.insertBefore(node, next);
      anchor = node;
    }
    while (anchor && anchor.nextSibling) anchor.nextSibling.remove();
    if (!anchor) slab.replaceChildren();
    for (const [id, light] of lights) {
      if (light.parentNode === slab) continue;
      lights.delete(id);
      upgrade.delete(id);
      lightPool.give(light);
    }
    for (const id of upgrade) if (!lights.has(id)) upgrade.delete(id);
    // thumbnails of the rows just below (and above) the range, after those on screen; the rest let go (a card
    // that left the screen for the rows ahead keeps its previews: a row height measured or a small scroll)
    const nextAhead = new Set();
    /** @type {Item[]} */
    const soon = [];
    const edges = [range.to, Math.min(count, range.to + AHEAD_ROWS * columns), Math.max(0, range.from - columns), range.from];
    for (const [a, b] of [[edges[0], edges[1]], [edges[2], edges[3]]]) {
      for (let i = a; i < b; i += 1) {
        const it = itemAt(i);
        if (it && !seen.has(it.job_id)) {
          soon.push(it);
          nextAhead.add(it.job_id);
        }
      }
    }
    for (const [id, card] of cards) {
      if (seen.has(id)) continue;
      card.destroy();
      cards.delete(id);
      if (!nextAhead.has(id)) cache.drop(id);
    }
    if (!fast) cache.prefetch(soon); // while scrolling fast, rows fly past: previews wait for the pause
    for (const id of ahead) if (!nextAhead.has(id) && !seen.has(id)) cache.drop(id);
    ahead = nextAhead;
    empty.hidden = count > 0;
    scroller.hidden = count === 0;
    empty.textContent = (model.get("all_count") || 0) > 0 ? "Nothing matches these filters." : "No videos yet. Generate one with sw.GeneratorPanel() or %sora.";
    if (focusWanted && active >= 0) {
      const card = [...cards.values()].find((c) => c.el.dataset.index === String(active));
      if (card) {
        focusWanted = false;
        card.el.focus(); // the page scrolls too when the list is partly off screen
      }
    }
    if (!measured) requestAnimationFrame(measure);
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(render);
  };

  const restart = () => {
    windows.reset(model.get("revision") || 0, total(), model.get("items") || []);
    toolbar.sync();
    render();
  };

  /** Scroll so that item `i`'s row is in view (the least movement). @param {number} i */
  const reveal = (i) => {
    const top = Math.floor(i / columns) * rowHeight;
    const view = scroller.clientHeight;
    if (top < scroller.scrollTop) scroller.scrollTop = top;
    else if (top + rowHeight > scroller.scrollTop + view) scroller.scrollTop = top + rowHeight - view;
  };

  // while scrolling, rows coming into view get light cards; once it pauses, the rows on screen get full ones
  const onScroll = () => {
    lastScroll = performance.now();
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      idleTimer = null;
      schedule();
    }, SCROLL_IDLE_MS + 10);
    schedule();
  };
  scroller.addEventListener("scroll", onScroll, { passive: true });
  // the pointer or focus reaching a light card makes it a full card at once
  const toFull = (/** @type {Event} */ ev) => {
    const light = /** @type {HTMLElement} */ (ev.target).closest?.(".sora-card-light[data-job-id]");
    if (!(light instanceof HTMLElement) || !light.dataset.jobId) return;
    upgrade.add(light.dataset.jobId);
    render();
  };
  scroller.addEventListener("pointerover", toFull);
  // Listened for on the window in the capture phase: the host page's own key handling (Lumino's, on the
  // document, capture phase; Notebook 7 takes ArrowRight/ArrowLeft there) would otherwise see the list's keys
  // first. Only keys the list uses, typed on the list or a card, are taken (and stopped).
  /** @param {KeyboardEvent} ev */
  const onKey = (ev) => {
    const target = /** @type {HTMLElement} */ (ev.target);
    if (!(target instanceof HTMLElement) || !scroller.contains(target)) return;
    // keys typed into a card's own controls (remix box, buttons) stay theirs
    if (target !== scroller && !target.classList.contains("sora-card")) return;
    if (ev.key === "Enter" && active >= 0) {
      const card = [...cards.values()].find((c) => c.el.dataset.index === String(active));
      const play = /** @type {HTMLButtonElement | null | undefined} */ (card?.el.querySelector(".sora-media button[aria-label='Play video'], .sora-media button"));
      if (play) {
        ev.preventDefault();
        ev.stopPropagation();
        play.click();
      }
      return;
    }
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const perPage = Math.max(1, Math.floor(scroller.clientHeight / rowHeight)) * columns;
    const to = navigate(ev.key, active, { columns, total: total(), perPage });
    if (to == null) return;
    ev.preventDefault();
    ev.stopPropagation();
    active = to;
    focusWanted = true;
    reveal(to);
    render();
  };
  window.addEventListener("keydown", onKey, true);
  cleanups.push(() => window.removeEventListener("keydown", onKey, true));
  // clicking or tabbing into a card makes it the keyboard position
  scroller.addEventListener("focusin", (ev) => {
    const card = /** @type {HTMLElement} */ (ev.target).closest?.(".sora-card[data-index]");
    if (card instanceof HTMLElement) active = Number(card.dataset.index);
    toFull(ev);
  });

  /** Columns for the scroller's content width `w`; false when nothing changed. @param {number} w */
  const applyWidth = (w) => {
    if (!(w > 0) || Math.abs(w - width) < 1) return false;
    width = w;
    columns = columnsFor(w, MIN_CARD_PX, GAP_PX);
    slab.style.setProperty("--sora-columns", String(columns));
    slab.dataset.columns = String(columns);
    measured = false;
    return true;
  };
  const resize = new ResizeObserver((entries) => {
    const first = Math.floor(scroller.scrollTop / rowHeight) * columns; // keep the first card shown in view
    if (!applyWidth(entries[entries.length - 1].contentRect.width)) return;
    render();
    scroller.scrollTop = Math.floor(first / columns) * rowHeight;
  });
  resize.observe(scroller);
  cleanups.push(() => resize.disconnect());

  const onFacets = () => toolbar.sync();
  cleanups.push(
    // a new result set: its revision, total and first rows arrive together, read them once all are set
    listenTogether(model, "change:revision change:total change:items", restart),
    listen(model, "change:live", () => schedule()),
    listen(model, "change:facets change:search change:status_filter change:model_filter change:backend_filter change:sort_by change:sort_desc change:created_from change:created_to change:cost_max", onFacets),
  );
  // Already in the page (the usual case): the first render lays out the real columns, not one, so the
  // cards and previews it asks for are those of the first screen. Else the ResizeObserver sets them.
  if (scroller.isConnected) {
    const style = getComputedStyle(scroller);
    applyWidth(scroller.clientWidth - parseFloat(style.paddingLeft || "0") - parseFloat(style.paddingRight || "0"));
  }
  restart();

  return () => {
    for (const fn of cleanups) fn();
    if (frame) cancelAnimationFrame(frame);
    if (idleTimer) clearTimeout(idleTimer);
    for (const card of cards.values()) card.destroy();
    cards.clear();
    windows.dispose();
    ticker.dispose();
    requester.dispose();
    cache.dispose();
    root.remove();
  };
}
