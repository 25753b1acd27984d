// @ts-check
// What the views share: the callback-error banner, the item list of a collection widget, and keeping a
// container's cards in step with a list of items.

import { mountCard } from "./card.js";
import { LOST_MESSAGE } from "./connection.js";
import { h } from "./dom.js";
import { requesterOf } from "./protocol.js";

/** @typedef {import("./types.js").Item} Item */
/** @typedef {import("./types.js").CardHost} CardHost */
/** @typedef {import("./types.js").Model} Model */
/** @typedef {import("./card.js").Card} Card */

/** Buttons that need the kernel (Copy prompt, paging and scrubbing work without one). */
const KERNEL_BUTTONS = ".sora-actions button:not([data-local]), .sora-inline-form button, .sora-generate";

/**
 * Keep every kernel action under `root` disabled (also buttons added or re-enabled later) until `stop()`.
 * @param {HTMLElement} root @returns {() => void} stop
 */
export function disableKernelActions(root) {
  const apply = () => {
    for (const b of root.querySelectorAll(KERNEL_BUTTONS)) {
      const button = /** @type {HTMLButtonElement} */ (b);
      if (!button.disabled) button.disabled = true;
      button.dataset.noKernel = "";
    }
  };
  apply();
  const observer = new MutationObserver(apply);
  observer.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ["disabled"] });
  return () => {
    observer.disconnect();
    for (const b of root.querySelectorAll("[data-no-kernel]")) {
      /** @type {HTMLButtonElement} */ (b).disabled = false;
      delete (/** @type {HTMLElement} */ (b).dataset.noKernel);
    }
  };
}

/**
 * "This widget lost its kernel — re-run the cell" once the view's connection (protocol.js) is lost, with the
 * view's kernel actions disabled; both undone if the kernel turns out to be there after all.
 * @param {Model} model @param {Array<() => void>} cleanups
 */
export function connectionBanner(model, cleanups) {
  const el = h("p", { class: "sora-lost", role: "alert", hidden: true, text: LOST_MESSAGE });
  const connection = requesterOf(model)?.connection;
  if (!connection) return el;
  /** @type {(() => void) | null} */
  let enable = null;
  const sync = () => {
    const lost = connection.lost;
    el.hidden = !lost;
    const root = /** @type {HTMLElement | null} */ (el.closest(".sora-root"));
    if (root) root.dataset.connection = connection.state;
    if (lost && root && root.firstChild !== el) root.prepend(el); // at the top, where it is seen
    if (lost && !enable && root) enable = disableKernelActions(root);
    if (!lost && enable) {
      enable();
      enable = null;
    }
  };
  const unsubscribe = connection.subscribe(sync);
  // the banner is placed in the view's root right after this returns
  queueMicrotask(sync);
  cleanups.push(() => {
    unsubscribe();
    enable?.();
  });
  return el;
}

/**
 * Shows callback errors the kernel reports (trait `last_error`), and (connectionBanner) a lost kernel.
 * @param {Model} model @param {Array<() => void>} cleanups
 */
export function errorBanner(model, cleanups) {
  return h("div", { class: "sora-banners" }, alertBanner(model, cleanups), connectionBanner(model, cleanups));
}

/** @param {Model} model @param {Array<() => void>} cleanups */
function alertBanner(model, cleanups) {
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
