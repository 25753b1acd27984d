// @ts-check
// sw.variations: the takes of a prompt as a grid of cards, each with a "Promote take N" button; the cost so far
// and the cost of promoting (model/seconds chosen above the grid); promoted jobs in a "Final" row below, each
// saying which take it came from.

import { mountCard } from "./card.js";
import { collectionItems, errorBanner, itemLookup } from "./collection.js";
import { fillOptions, h, liveRegion, nextId, select, setHidden } from "./dom.js";
import { listen, listenTogether } from "./events.js";
import { formatCost, quotePrompt } from "./format.js";
import { createMediaCache } from "./media.js";
import { createRequester } from "./protocol.js";
import { createTicker } from "./progress.js";

/** @typedef {import("./types.js").Model} Model */
/** @typedef {import("./types.js").Item} Item */

/**
 * Takes in take order, then the jobs promoted from them (oldest first). Pure, for node --test.
 * @param {Item[]} items @param {string[]} takeIds
 * @returns {{takes: Item[], finals: Item[]}}
 */
export function splitTakes(items, takeIds) {
  const byId = new Map(items.map((it) => [it.job_id, it]));
  const takes = takeIds.map((id) => byId.get(id)).filter((it) => !!it);
  const ids = new Set(takeIds);
  const finals = items.filter((it) => !ids.has(it.job_id)).sort((a, b) => (a.created_at || 0) - (b.created_at || 0));
  return { takes: /** @type {Item[]} */ (takes), finals };
}

/** @param {{model: Model, el: HTMLElement}} ctx */
export function renderVariationsView({ model, el }) {
  /** @type {Array<() => void>} */
  const cleanups = [];
  const requester = createRequester(model);
  const cache = createMediaCache(requester);
  const ticker = createTicker();
  const live = liveRegion();
  /** @type {Map<string, {card: import("./card.js").Card, cell: HTMLElement, promote: HTMLButtonElement | null}>} */
  const cells = new Map();

  const root = h("section", { class: "sora-root sora-variations", "aria-label": "Variations" });
  const spent = h("span", { class: "sora-cost sora-spent" });
  const md = select("Promote model", nextId("pmodel"));
  const sd = select("Promote seconds", nextId("psec"));
  const promoteCost = h("span", { class: "sora-cost sora-promote-cost" });
  const toolbar = h("div", { class: "sora-toolbar" }, spent, h("span", { class: "sora-spacer" }), md.field, sd.field, promoteCost);
  const grid = h("div", { class: "sora-cards sora-grid sora-takes" });
  const finalsHead = h("h4", { class: "sora-finals-head", text: "Final" });
  const finals = h("div", { class: "sora-cards sora-grid sora-finals" });
  root.append(toolbar, grid, finalsHead, finals, errorBanner(model, cleanups), live.el);
  el.append(root);

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

  // the choices are the browser's own; the kernel sends the price of each, and gets the choice with `promote`
  const fillChoices = () => {
    const prices = model.get("promote_prices") || {};
    fillOptions(md.sel, Object.keys(prices), md.sel.value || model.get("promote_model"));
    fillOptions(sd.sel, Object.keys(prices[md.sel.value] || {}), sd.sel.value || model.get("promote_seconds"));
    showCosts();
  };
  const showCosts = () => {
    spent.textContent = `Spent so far: ${formatCost(model.get("spent_usd"))}`;
    const cost = ((model.get("promote_prices") || {})[md.sel.value] || {})[sd.sel.value];
    promoteCost.textContent = `Promoting a take costs ${formatCost(cost)}`;
  };

  /** @param {Item} item @param {HTMLElement} container @param {number | null} takeNo */
  const place = (item, container, takeNo) => {
    let entry = cells.get(item.job_id);
    if (!entry) {
      const card = mountCard(item, host);
      /** @type {HTMLButtonElement | null} */
      let promote = null;
      const cell = h("div", { class: "sora-take", "data-job-id": item.job_id }, card.el);
      if (takeNo != null) {
        promote = h("button", { type: "button", class: "sora-btn sora-btn-primary sora-promote", text: `Promote take ${takeNo}` });
        const button = promote;
        const failure = h("p", { class: "sora-error sora-promote-error", role: "alert" });
        button.addEventListener("click", async () => {
          button.disabled = true;
          failure.textContent = "";
          try {
            const { result } = await requester.request("promote", { job_id: item.job_id, model: md.sel.value, seconds: sd.sel.value });
            live.say(`Promoted take ${takeNo} as ${result?.job_id || "a new job"}`);
          } catch (err) {
            failure.textContent = String(/** @type {any} */ (err)?.message || err);
          } finally {
            button.disabled = false;
          }
        });
        cell.append(button, failure);
      } else {
        const source = lookup.get(/** @type {any} */ (item).promoted_from || "");
        const takeIndex = source ? (model.get("take_ids") || []).indexOf(source.job_id) : -1;
        const label = takeIndex >= 0 ? `Promoted from take ${takeIndex + 1}` : "Promoted from an earlier take";
        cell.append(h("p", { class: "sora-note sora-promoted-from", text: source ? `${label} ${quotePrompt(source.prompt, 32)}` : label }));
      }
      entry = { card, cell, promote };
      cells.set(item.job_id, entry);
    } else if (entry.card.item !== item) {
      entry.card.update(item);
    }
    if (entry.promote) entry.promote.disabled = item.status !== "completed";
    container.append(entry.cell); // moves it into order
  };

  const refresh = () => {
    lookup.invalidate();
    const all = collectionItems(model);
    const { takes, finals: promoted } = splitTakes(all, model.get("take_ids") || []);
    takes.forEach((item, i) => place(item, grid, i + 1));
    for (const item of promoted) place(item, finals, null);
    const shown = new Set(all.map((it) => it.job_id));
    for (const [id, entry] of cells) {
      if (!shown.has(id)) {
        entry.card.destroy();
        entry.cell.remove();
        cells.delete(id);
      }
    }
    setHidden(finalsHead, promoted.length === 0);
    root.dataset.count = String(takes.length);
    root.dataset.finals = String(promoted.length);
    showCosts();
  };

  md.sel.addEventListener("change", fillChoices);
  sd.sel.addEventListener("change", showCosts);
  const names = "change:items change:live change:take_ids";
  const costNames = "change:spent_usd";
  const choiceNames = "change:promote_prices";
  cleanups.push(listenTogether(model, names, refresh), listen(model, costNames, showCosts), listen(model, choiceNames, fillChoices));
  fillChoices();
  refresh();

  return () => {
    for (const fn of cleanups) fn();
    for (const entry of cells.values()) entry.card.destroy();
    cells.clear();
    ticker.dispose();
    requester.dispose();
    cache.dispose();
    root.remove();
  };
}
