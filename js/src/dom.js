// @ts-check
// DOM helpers. User and server text only ever goes in as text (textContent / text nodes), never as HTML.

/**
 * Create an element. `props.text` sets textContent; `props.class` the class; other keys become attributes
 * (false/null skip). Children are nodes or strings (added as text nodes).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | boolean | null | undefined>} [props]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === "text") el.textContent = String(v);
    else if (k === "class") el.className = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let uid = 0;
/** A page-unique id for label/for pairs. @param {string} prefix */
export function nextId(prefix) {
  uid += 1;
  return `sora-${prefix}-${uid}`;
}

/** @param {HTMLElement} el @param {unknown} hidden */
export function setHidden(el, hidden) {
  el.hidden = !!hidden;
}

/** @param {string} text @returns {Promise<boolean>} */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (_) {
    /* fall back below */
  }
  const area = h("textarea", { class: "sora-offscreen", "aria-hidden": "true", readonly: true });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch (_) {
    ok = false;
  }
  area.remove();
  return ok;
}

/** @type {Record<string, string>} */
const ICONS = {
  play: "M8 5v14l11-7z",
  download: "M5 20h14v-2H5v2zm7-3 5-5h-3V4h-4v8H7l5 5z",
  remix: "M7 7h10v3l4-4-4-4v3H5v6h2V7zm10 10H7v-3l-4 4 4 4v-3h12v-6h-2v4z",
  delete: "M6 19a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z",
  copy: "M16 1H4a2 2 0 0 0-2 2v14h2V3h12V1zm3 4H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm0 16H8V7h11v14z",
  retry: "M17.65 6.35A8 8 0 1 0 19.73 14h-2.08A6 6 0 1 1 12 6c1.66 0 3.14.69 4.22 1.78L13 11h7V4l-2.35 2.35z",
  image: "M21 19V5a2 2 0 0 0-2-2H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2zM8.5 13.5l2.5 3 3.5-4.5 4.5 6H5l3.5-4.5z",
  cancel: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm5 13.59L15.59 17 12 13.41 8.41 17 7 15.59 10.59 12 7 8.41 8.41 7 12 10.59 15.59 7 17 8.41 13.41 12 17 15.59z",
  muted: "M16.5 12A4.5 4.5 0 0 0 14 7.97v2.21l2.45 2.45c.03-.2.05-.41.05-.63zM19 12c0 .94-.2 1.82-.54 2.64l1.51 1.51A8.8 8.8 0 0 0 21 12c0-4.28-2.99-7.86-7-8.77v2.06c2.89.86 5 3.54 5 6.71zM4.27 3 3 4.27 7.73 9H3v6h4l5 5v-6.73l4.25 4.25c-.67.52-1.42.93-2.25 1.18v2.06a8.99 8.99 0 0 0 3.69-1.81L19.73 21 21 19.73l-9-9L4.27 3zM12 4 9.91 6.09 12 8.18V4z",
  expand: "M7 14H5v5h5v-2H7v-3zm-2-4h2V7h3V5H5v5zm12 7h-3v2h5v-5h-2v3zM14 5v2h3v3h2V5h-5z",
};

/** @param {string} name */
export function icon(name) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "sora-icon");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

/**
 * A card action: icon + label (the label hides at narrow widths, the accessible name stays).
 * @param {string} name icon @param {string} label @param {string} [extraClass] @param {boolean} [iconOnly]
 */
export function actionButton(name, label, extraClass = "", iconOnly = false) {
  const b = h("button", { type: "button", class: `sora-btn sora-btn-ghost ${extraClass}`.trim(), title: label });
  if (iconOnly) {
    b.setAttribute("aria-label", label);
    b.classList.add("sora-btn-icon");
    b.append(icon(name));
  } else {
    b.append(icon(name), h("span", { class: "sora-btn-label", text: label }));
  }
  return b;
}

/** A labelled <select>. @param {string} label @param {string} id */
export function select(label, id) {
  const sel = h("select", { id, class: "sora-input sora-select" });
  return { sel, field: h("div", { class: "sora-field" }, h("label", { for: id, class: "sora-label", text: label }), sel) };
}

/**
 * @param {HTMLSelectElement} sel @param {string[]} values @param {string | null | undefined} wanted
 * @param {(v: string) => string} [labelOf]
 */
export function fillOptions(sel, values, wanted, labelOf = (v) => v) {
  const keep = wanted != null && values.includes(wanted) ? wanted : values.includes(sel.value) ? sel.value : values[0];
  sel.replaceChildren(...values.map((v) => h("option", { value: v, text: labelOf(v) })));
  if (keep != null) sel.value = keep;
}

/**
 * One polite live region per view: status changes are announced once, instead of a live card list that
 * re-reads every ticking card.
 */
export function liveRegion() {
  const el = h("div", { class: "sora-offscreen", role: "status", "aria-live": "polite" });
  return {
    el,
    /** @param {string} text */
    say(text) {
      el.textContent = "";
      // a new text node after clearing, so the same words twice are announced twice
      requestAnimationFrame(() => (el.textContent = text));
    },
  };
}
