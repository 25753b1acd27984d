// @ts-check
// The gallery's search box, filters (status, model, backend, dates, cost), sort and count. Every control is a
// trait of the widget, both ways: the kernel searches the journal and answers with `total`, `facets` (counts
// per value, shown in the options) and a new `revision`.

import { h, nextId, select } from "./dom.js";

/** @typedef {import("./types.js").Model} Model */

/** Status filter choices [value, label]: the kernel's STATUS_FILTERS (sora_widgets/catalog.py), in its order. */
export const STATUS_LABELS = [
  ["all", "All statuses"],
  ["running", "In progress"],
  ["completed", "Ready"],
  ["failed", "Failed"],
  ["cancelled", "Cancelled"],
  ["expired", "Expired"],
];
/** Sort choices: [value, label, sort_by, sort_desc]. */
const SORTS = /** @type {const} */ ([
  ["date-desc", "Newest first", "date", true],
  ["date-asc", "Oldest first", "date", false],
  ["cost-desc", "Most expensive", "cost", true],
  ["cost-asc", "Cheapest", "cost", false],
  ["duration-desc", "Longest clips", "duration", true],
  ["duration-asc", "Shortest clips", "duration", false],
]);

/** @param {number} n */
const num = (n) => Number(n || 0).toLocaleString("en-US");

/** "2026-11-24" at local midnight, in seconds since the epoch (null when empty). @param {string} value */
export function dayStart(value) {
  if (!value) return null;
  const t = new Date(`${value}T00:00:00`).getTime();
  return Number.isFinite(t) ? t / 1000 : null;
}

/** The date input's value for `seconds` (local day). @param {number | null | undefined} seconds */
export function dayValue(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return "";
  const d = new Date(seconds * 1000);
  const pad = (/** @type {number} */ x) => String(x).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * The toolbar: returns its element, and `sync()` to call when the kernel changed traits (facets, filters).
 * @param {Model} model
 */
export function mountToolbar(model) {
  const searchId = nextId("search");
  const search = h("input", { id: searchId, type: "search", class: "sora-input sora-search", placeholder: "Search prompts", "aria-label": "Search prompts" });
  const st = select("Status", nextId("status"));
  const md = select("Model", nextId("gmodel"));
  const be = select("Backend", nextId("gbackend"));
  const so = select("Sort", nextId("gsort"));
  const fromId = nextId("gfrom");
  const toId = nextId("gto");
  const costId = nextId("gcost");
  const from = h("input", { id: fromId, type: "date", class: "sora-input" });
  const to = h("input", { id: toId, type: "date", class: "sora-input" });
  const cost = h("input", { id: costId, type: "number", min: "0", step: "0.05", class: "sora-input", placeholder: "any" });
  const field = (/** @type {string} */ id, /** @type {string} */ label, /** @type {HTMLElement} */ input) =>
    h("div", { class: "sora-field sora-field-narrow" }, h("label", { for: id, class: "sora-label", text: label }), input);
  const count = h("span", { class: "sora-count", "aria-live": "polite" });
  const el = h(
    "div",
    { class: "sora-toolbar" },
    h("div", { class: "sora-field sora-field-search" }, h("label", { for: searchId, class: "sora-label", text: "Search" }), search),
    st.field, md.field, be.field, so.field,
    field(fromId, "From", from), field(toId, "To", to), field(costId, "Max cost ($)", cost),
    h("span", { class: "sora-spacer" }), count,
  );
  so.sel.replaceChildren(...SORTS.map(([v, label]) => h("option", { value: v, text: label })));

  /** @param {Record<string, any>} values */
  const send = (values) => {
    if (!model.set) return;
    for (const [k, v] of Object.entries(values)) model.set(k, v);
    model.save_changes?.();
  };
  search.addEventListener("input", () => send({ search: search.value }));
  st.sel.addEventListener("change", () => send({ status_filter: st.sel.value }));
  md.sel.addEventListener("change", () => send({ model_filter: md.sel.value }));
  be.sel.addEventListener("change", () => send({ backend_filter: be.sel.value }));
  so.sel.addEventListener("change", () => {
    const pick = SORTS.find(([v]) => v === so.sel.value) || SORTS[0];
    send({ sort_by: pick[2], sort_desc: pick[3] });
  });
  from.addEventListener("change", () => send({ created_from: dayStart(from.value) }));
  // "To" includes that day: the bound is the next midnight
  to.addEventListener("change", () => {
    const start = dayStart(to.value);
    send({ created_to: start == null ? null : start + 86400 });
  });
  cost.addEventListener("change", () => {
    const v = cost.value === "" ? null : Number(cost.value);
    send({ cost_max: v != null && Number.isFinite(v) ? v : null });
  });

  /**
   * Options with counts: `values` the facet's {value: count}; the current value stays listed.
   * @param {HTMLSelectElement} sel @param {Record<string, number>} facet @param {string} current @param {string} allLabel
   */
  const fill = (sel, facet, current, allLabel) => {
    const values = Object.keys(facet);
    if (current !== "all" && !values.includes(current)) values.push(current);
    const total = Object.values(facet).reduce((a, b) => a + b, 0);
    sel.replaceChildren(h("option", { value: "all", text: `${allLabel} (${num(total)})` }), ...values.map((v) => h("option", { value: v, text: `${v} (${num(facet[v] || 0)})` })));
    sel.value = current;
  };

  const sync = () => {
    const facets = model.get("facets") || {};
    const statuses = facets.status || {};
    st.sel.replaceChildren(...STATUS_LABELS.map(([v, label]) => h("option", { value: v, text: `${label} (${num(statuses[v])})` })));
    st.sel.value = model.get("status_filter") || "all";
    fill(md.sel, facets.model || {}, model.get("model_filter") || "all", "All models");
    const backends = facets.backend || {};
    const backend = model.get("backend_filter") || "all";
    fill(be.sel, backends, backend, "All backends");
    be.field.hidden = Object.keys(backends).length < 2 && backend === "all";
    const sortBy = model.get("sort_by") || "date";
    const desc = model.get("sort_desc") !== false;
    so.sel.value = `${sortBy}-${desc ? "desc" : "asc"}`;
    // the kernel's value, unless the user is typing (their next keystroke sends theirs)
    const text = model.get("search") || "";
    if (search.value !== text && document.activeElement !== search) search.value = text;
    from.value = dayValue(model.get("created_from"));
    const until = model.get("created_to");
    to.value = until == null ? "" : dayValue(until - 86400);
    const max = model.get("cost_max");
    if (document.activeElement !== cost) cost.value = max == null ? "" : String(max);
    const total = model.get("total") || 0;
    const all = model.get("all_count") || 0;
    count.textContent = total === all ? `${num(total)} video${total === 1 ? "" : "s"}` : `${num(total)} of ${num(all)}`;
  };
  return { el, search, sync };
}
