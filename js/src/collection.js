// @ts-check
// What the views share: the callback-error banner, the item list of a collection widget, and keeping a
// container's cards in step with a list of items.

import { mountCard } from "./card.js";
import { h } from "./dom.js";

/** @typedef {import("./types.js").Item} Item */
/** @typedef {import("./types.js").CardHost} CardHost */
/** @typedef {import("./types.js").Model} Model */
/** @typedef {import("./card.js").Card} Card */

/**
 * Shows callback errors the kernel reports (trait `last_error`).
 * @param {Model} model @param {Array<() => void>} cleanups
 */
export function errorBanner(model, cleanups) {
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

/**
 * Items of a collection widget: the `items` list, overlaid with the throttled `live` updates.
 * @param {Model} model @returns {Item[]}
 */
export function collectionItems(model) {
  const live = model.get("live") || {};
  return (model.get("items") || []).map((/** @type {Item} */ it) => (live[it.job_id] ? { ...it, ...live[it.job_id] } : it));
}

/**
 * Keep `container`'s cards in the order of `items`, creating/updating/removing by job id. `allItems`: every
 * item of the view (the gallery shows one page), where the jobs the cards started are looked up.
 * @param {HTMLElement} container @param {Map<string, Card>} cards @param {Item[]} items @param {CardHost} host
 * @param {Item[] | null} [allItems]
 */
export function reconcileCards(container, cards, items, host, allItems = null) {
  const seen = new Set();
  /** @type {Element | null} */
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
  /** @type {Map<string, string> | null} */
  let statusOf = null;
  for (const card of cards.values()) {
    if (!card.watching) continue;
    statusOf ||= new Map((allItems || items).map((it) => [it.job_id, it.status]));
    const status = statusOf.get(card.watching);
    if (status) card.settle(card.watching, status);
  }
}

/**
 * A lookup of the view's jobs by id (a remix card names its source by prompt), rebuilt lazily.
 * @param {() => Item[]} itemsOf
 */
export function itemLookup(itemsOf) {
  /** @type {Map<string, Item> | null} */
  let index = null;
  return {
    /** @param {string} jobId */
    get: (jobId) => (index ||= new Map(itemsOf().map((it) => [it.job_id, it]))).get(jobId),
    invalidate() {
      index = null;
    },
  };
}
