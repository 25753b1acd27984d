// @ts-check
// The gallery's light card: what a row shows while the list scrolls fast (status, model, prompt over an empty
// media box), a handful of elements and no listeners, pooled and refilled instead of made and thrown away. The
// gallery swaps in the full card (card.js: thumbnail, scrub, actions) once scrolling pauses or the pointer or
// focus reaches it. Same size as a full card (the virtual grid fixes every card's height).

import { h } from "./dom.js";
import { statusLabel } from "./format.js";

/** @typedef {import("./types.js").Item} Item */

/** @param {string} s */
const statusClass = (s) => s.replace(/[^a-z_]/gi, "");

/** A pool of light cards: `take(item)` gives one showing `item`, `give(el)` takes it back for reuse. */
export function createLightPool() {
  /** @type {HTMLElement[]} */
  const free = [];
  /** @returns {HTMLElement} */
  const make = () => {
    const badge = h("span", { class: "sora-status" });
    const model = h("span", { class: "sora-chip sora-chip-model", title: "Model" });
    const prompt = h("p", { class: "sora-prompt" });
    const el = h(
      "article",
      { class: "sora-card sora-card-light", tabindex: "-1" },
      h("div", { class: "sora-media" }, h("div", { class: "sora-placeholder" })),
      h("div", { class: "sora-card-body" }, h("div", { class: "sora-card-head" }, badge, h("div", { class: "sora-chips" }, model)), prompt),
    );
    return el;
  };
  /** @type {WeakMap<HTMLElement, Item>} what each card shows */
  const shown = new WeakMap();
  /** @param {HTMLElement} el @param {Item} item */
  const fill = (el, item) => {
    if (shown.get(el) === item) return;
    shown.set(el, item);
    const [badge, model] = /** @type {HTMLElement[]} */ ([...el.querySelectorAll(".sora-status, .sora-chip-model")]);
    const prompt = /** @type {HTMLElement} */ (el.querySelector(".sora-prompt"));
    const s = item.status || "";
    el.dataset.jobId = item.job_id;
    el.dataset.status = s;
    badge.textContent = statusLabel(s);
    badge.className = `sora-status sora-status-badge-${statusClass(s)}`;
    model.textContent = item.model || "";
    prompt.textContent = item.prompt || "";
  };
  return {
    /** A card showing `item`: `el` again when given (refilled if `item` changed), else one from the pool.
     * @param {Item} item @param {HTMLElement} [el] */
    take(item, el) {
      const card = el || free.pop() || make();
      fill(card, item);
      return card;
    },
    /** @param {HTMLElement} el */
    give(el) {
      el.remove();
      el.classList.remove("sora-active");
      shown.delete(el);
      if (free.length < 64) free.push(el);
    },
  };
}
