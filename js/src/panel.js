// @ts-check
// sw.GeneratorPanel: the form (prompt + coach, model/size/seconds, reference image, cost) above the cards
// of the jobs it started.

import { analyzePrompt, coachHint } from "./coach.js";
import { collectionItems, errorBanner, itemLookup, reconcileCards } from "./collection.js";
import { fillOptions, h, icon, liveRegion, nextId, select } from "./dom.js";
import { listen, listenTogether } from "./events.js";
import { costKey, formatCost, formatSeconds, formatSize, parseSize } from "./format.js";
import { coverCrop } from "./layout.js";
import { createMediaCache } from "./media.js";
import { createRequester } from "./protocol.js";
import { createTicker } from "./progress.js";

/** @typedef {import("./types.js").Model} Model */

/** @param {{model: Model, el: HTMLElement}} ctx */
export function renderPanelView({ model, el }) {
  /** @type {Array<() => void>} */
  const cleanups = [];
  const requester = createRequester(model);
  const cache = createMediaCache(requester);
  const ticker = createTicker();
  const live = liveRegion();
  /** @type {Map<string, import("./card.js").Card>} */
  const cards = new Map();
  /** @type {{name: string, type: string, bytes: ArrayBuffer, bitmap: ImageBitmap, width: number, height: number} | null} */
  let reference = null;

  const root = h("section", { class: "sora-root sora-panel", "aria-label": "Video generator" });

  // header: title + backend badge + budget
  const backend = h("span", { class: "sora-backend" });
  const budget = h("span", { class: "sora-budget" });
  const header = h("div", { class: "sora-panel-head" }, h("span", { class: "sora-title", text: "Sora" }), backend, h("span", { class: "sora-spacer" }), budget);

  // prompt
  const promptId = nextId("prompt");
  const prompt = h("textarea", { id: promptId, class: "sora-input sora-prompt-input", rows: "4", placeholder: "Shot type, subject, action, setting, lighting…  (Ctrl/Cmd+Enter to generate)" });
  const promptField = h("div", { class: "sora-field sora-field-prompt" }, h("label", { for: promptId, class: "sora-label", text: "Prompt" }), prompt);

  // coach
  const coachList = h("ul", { class: "sora-coach-list", "aria-label": "Prompt coach" });
  const templates = h("div", { class: "sora-templates" });
  // the first missing aspect's advice as text (a tooltip alone is invisible to most people)
  const coachHintEl = h("p", { class: "sora-note sora-coach-hint", "aria-live": "off" });
  const coach = h("div", { class: "sora-coach" }, coachList, coachHintEl, templates);

  // selects
  const m = select("Model", nextId("model"));
  const s = select("Size", nextId("size"));
  const sec = select("Seconds", nextId("seconds"));

  // reference image
  const fileId = nextId("ref");
  const fileInput = h("input", { id: fileId, type: "file", accept: "image/png,image/jpeg,image/webp", class: "sora-file" });
  const dropText = h("span", { class: "sora-drop-text", text: "Drop an image or choose a file" });
  const dropLabel = h("label", { for: fileId, class: "sora-drop" });
  dropLabel.append(icon("image"), dropText);
  const refLabel = h("span", { class: "sora-label", text: "Reference image" });
  const preview = h("canvas", { class: "sora-ref-preview", hidden: true, "aria-label": "Fitted reference preview", role: "img" });
  const refInfo = h("span", { class: "sora-note sora-ref-info" });
  const refClear = h("button", { type: "button", class: "sora-btn sora-btn-ghost", text: "Remove image", hidden: true });
  fileInput.setAttribute("aria-label", "Reference image");
  // the input comes first so `.sora-file:focus-visible + .sora-drop` shows keyboard focus on the drop zone
  const refField = h("div", { class: "sora-field sora-field-ref" }, refLabel, h("div", { class: "sora-ref-row" }, fileInput, dropLabel, preview, h("div", { class: "sora-ref-side" }, refInfo, refClear)));

  // footer: cost + generate
  const cost = h("span", { class: "sora-cost", "aria-live": "polite" });
  const generate = h("button", { type: "button", class: "sora-btn sora-btn-primary sora-generate", text: "Generate" });
  const formError = h("p", { class: "sora-form-error", role: "alert", hidden: true });
  const footer = h("div", { class: "sora-panel-foot" }, cost, h("span", { class: "sora-spacer" }), generate);

  const options = h("div", { class: "sora-options" }, m.field, s.field, sec.field);
  const form = h("div", { class: "sora-form" }, promptField, coach, options, refField, formError, footer);
  // not a live region: running cards tick every second; status changes are announced by `live` instead
  const cardsEl = h("div", { class: "sora-cards" });
  root.append(header, form, cardsEl, errorBanner(model, cleanups), live.el);
  el.append(root);

  const profile = () => model.get("_profile") || { models: [] };
  /** @param {string} name */
  const specOf = (name) => profile().models.find((/** @type {any} */ x) => x.name === name) || profile().models[0];

  const refreshCost = () => {
    const table = model.get("_costs") || {};
    const value = table[costKey(m.sel.value, s.sel.value, sec.sel.value)];
    const remaining = model.get("budget_remaining_usd");
    // the local emulator bills nothing: its prices are a simulation of what a real backend would charge
    const simulated = !!model.get("backend_is_emulator");
    cost.textContent = value == null ? "Cost unknown for this backend" : `Estimated ${formatCost(value)}${simulated ? " (simulated)" : ""}`;
    const over = value != null && remaining != null && value > remaining + 1e-9;
    cost.classList.toggle("sora-over-budget", over);
    if (over) cost.textContent += " · over the remaining budget";
    // spend_usd adds up estimates of the jobs sent, not a bill: say so
    const spent = formatCost(model.get("spend_usd") || 0);
    budget.textContent = simulated
      ? `Simulated spend ${spent} (local emulator, nothing billed)`
      : remaining == null
        ? `Estimated spend ${spent}`
        : `Budget left ${formatCost(remaining)} (of estimated costs)`;
    budget.title = "Estimates from the backend profile's prices; the backend's own bill is what counts";
  };

  const refreshOptions = () => {
    const p = profile();
    const names = p.models.map((/** @type {any} */ x) => x.name);
    fillOptions(m.sel, names, model.get("model") || p.default_model, (n) => {
      const spec = specOf(n);
      return spec?.label ? `${spec.label} (${n})` : n;
    });
    const spec = specOf(m.sel.value);
    fillOptions(s.sel, spec ? spec.sizes : [], model.get("size"), formatSize);
    fillOptions(sec.sel, spec ? spec.seconds : [], model.get("seconds"), formatSeconds);
    drawPreview();
    refreshCost();
  };

  const refreshBackend = () => {
    const label = model.get("backend_label") || "backend";
    backend.textContent = model.get("backend_is_emulator") ? "local emulator" : label;
    backend.title = `Videos API backend: ${label}`;
    backend.classList.toggle("sora-backend-local", !!model.get("backend_is_emulator"));
  };

  const refreshCoach = () => {
    const rules = model.get("_coach");
    if (!rules) return;
    const ruleset = reference ? rules.image : rules.text;
    const result = analyzePrompt(prompt.value, ruleset);
    coachList.replaceChildren(
      ...result.checks.map((c) =>
        h("li", { class: `sora-coach-item ${c.present ? "sora-coach-ok" : "sora-coach-missing"}`, title: c.hint, text: `${c.present ? "✓" : "+"} ${c.label}` }),
      ),
    );
    coachHintEl.textContent = coachHint(result);
    coachList.setAttribute("aria-label", result.missing.length ? `Prompt coach: missing ${result.checks.filter((c) => !c.present).map((c) => c.label.toLowerCase()).join(", ")}` : "Prompt coach: all covered");
  };

  const refreshTemplates = () => {
    const rules = model.get("_coach");
    if (!rules) return;
    templates.replaceChildren(
      h("span", { class: "sora-label", text: "Examples" }),
      ...rules.templates.map((/** @type {{name: string, prompt: string}} */ t) => {
        const b = h("button", { type: "button", class: "sora-btn sora-chip-btn", title: t.prompt, text: t.name });
        b.addEventListener("click", () => {
          prompt.value = t.prompt;
          writePrompt();
          refreshCoach();
          prompt.focus();
        });
        return b;
      }),
    );
  };

  function drawPreview() {
    if (!reference || !reference.bitmap) {
      preview.hidden = true;
      return;
    }
    const dims = parseSize(s.sel.value) || { width: 16, height: 9 };
    const maxH = 96;
    const scale = maxH / dims.height;
    preview.width = Math.round(dims.width * scale);
    preview.height = maxH;
    const crop = coverCrop(reference.width, reference.height, dims.width, dims.height);
    const ctx = preview.getContext("2d");
    if (ctx) ctx.drawImage(reference.bitmap, crop.sx, crop.sy, crop.sw, crop.sh, 0, 0, preview.width, preview.height);
    preview.hidden = false;
    const cropped = crop.sw < reference.width - 0.5 || crop.sh < reference.height - 0.5;
    refInfo.textContent = `${reference.name}: ${reference.width}×${reference.height}${cropped ? `, centre-cropped to ${formatSize(s.sel.value)}` : `, scaled to ${formatSize(s.sel.value)}`}`;
  }

  const clearReference = () => {
    if (reference?.bitmap?.close) reference.bitmap.close();
    reference = null;
    fileInput.value = "";
    refInfo.textContent = "";
    refClear.hidden = true;
    drawPreview();
    refreshCoach();
  };

  const setReference = async (file) => {
    if (!file) return;
    if (!/^image\/(png|jpeg|webp)$/.test(file.type)) {
      showFormError(`${file.name}: use a PNG, JPEG or WebP image`);
      return;
    }
    try {
      const bytes = await file.arrayBuffer();
      const bitmap = await createImageBitmap(new Blob([bytes], { type: file.type }));
      if (reference?.bitmap?.close) reference.bitmap.close();
      reference = { name: file.name, type: file.type, bytes, bitmap, width: bitmap.width, height: bitmap.height };
      refClear.hidden = false;
      showFormError("");
      drawPreview();
      refreshCoach();
    } catch (err) {
      showFormError(`${file.name}: could not read this image (${err?.message || err})`);
    }
  };

  function showFormError(text) {
    formError.textContent = text;
    formError.hidden = !text;
  }

  const submit = async () => {
    if (generate.disabled) return;
    writePrompt();
    const text = prompt.value.trim();
    if (!text) {
      showFormError("Write a prompt first: the coach above lists what a good one covers.");
      prompt.focus();
      return;
    }
    generate.disabled = true;
    generate.setAttribute("aria-busy", "true");
    generate.textContent = "Submitting…";
    showFormError("");
    try {
      const args = { prompt: text, model: m.sel.value, size: s.sel.value, seconds: sec.sel.value };
      const buffers = [];
      if (reference) {
        args.reference_mime = reference.type;
        args.reference_name = reference.name;
        buffers.push(reference.bytes);
      }
      await requester.request("submit", args, { buffers, timeoutMs: 60000 });
    } catch (err) {
      showFormError(String(err?.message || err));
    } finally {
      generate.disabled = false;
      generate.removeAttribute("aria-busy");
      generate.textContent = "Generate";
    }
  };

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
  const refreshCards = () => {
    lookup.invalidate();
    reconcileCards(cardsEl, cards, collectionItems(model), host);
  };

  // the form's values are traits both ways: a notebook reads panel.prompt / .model / .size / .seconds and
  // setting them fills the form. Typing is sent after a short pause (one message, not one per key).
  /** @type {ReturnType<typeof setTimeout> | null} */
  let promptTimer = null;
  /** @param {Record<string, string>} values */
  const writeTraits = (values) => {
    if (!model.set) return;
    let changed = false;
    for (const [k, v] of Object.entries(values)) {
      if ((model.get(k) || "") !== v) {
        model.set(k, v);
        changed = true;
      }
    }
    if (changed) model.save_changes?.();
  };
  const writePrompt = () => {
    if (promptTimer) clearTimeout(promptTimer);
    promptTimer = null;
    writeTraits({ prompt: prompt.value });
  };
  // model, size and seconds go together: the kernel checks the three as one choice
  const writeChoice = () => writeTraits({ model: m.sel.value, size: s.sel.value, seconds: sec.sel.value });
  cleanups.push(() => promptTimer && clearTimeout(promptTimer));

  // events
  prompt.addEventListener("input", () => {
    refreshCoach();
    if (promptTimer) clearTimeout(promptTimer);
    promptTimer = setTimeout(writePrompt, 250);
  });
  prompt.addEventListener("blur", writePrompt);
  prompt.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      submit();
    }
  });
  generate.addEventListener("click", submit);
  m.sel.addEventListener("change", () => {
    const spec = specOf(m.sel.value);
    fillOptions(s.sel, spec ? spec.sizes : [], s.sel.value, formatSize);
    fillOptions(sec.sel, spec ? spec.seconds : [], sec.sel.value, formatSeconds);
    drawPreview();
    refreshCost();
    writeChoice();
  });
  s.sel.addEventListener("change", () => {
    drawPreview();
    refreshCost();
    writeChoice();
  });
  sec.sel.addEventListener("change", () => {
    refreshCost();
    writeChoice();
  });
  fileInput.addEventListener("change", () => setReference(fileInput.files && fileInput.files[0]));
  refClear.addEventListener("click", clearReference);
  const onDragOver = (ev) => {
    ev.preventDefault();
    form.classList.add("sora-dragging");
  };
  const onDragLeave = () => form.classList.remove("sora-dragging");
  const onDrop = (ev) => {
    ev.preventDefault();
    form.classList.remove("sora-dragging");
    const file = ev.dataTransfer?.files?.[0];
    if (file) setReference(file);
  };
  form.addEventListener("dragover", onDragOver);
  form.addEventListener("dragleave", onDragLeave);
  form.addEventListener("drop", onDrop);

  const onPromptTrait = () => {
    const value = model.get("prompt") || "";
    if (prompt.value === value) return; // our own write coming back (or nothing new): keep the caret
    if (promptTimer) return; // the user is typing: their text wins, and is sent in a moment
    prompt.value = value;
    refreshCoach();
  };
  /** @type {Array<[string, () => void]>} */
  const bindings = [
    ["change:_profile change:model change:size change:seconds", refreshOptions],
    ["change:_costs change:budget_remaining_usd change:spend_usd change:backend_is_emulator", refreshCost],
    ["change:backend_label change:backend_is_emulator", refreshBackend],
    ["change:_coach", () => (refreshTemplates(), refreshCoach())],
    ["change:items change:live", refreshCards], // a finished job: both change
  ];
  // each group is read together, once the kernel's whole update is in (marimo announces key by key)
  for (const [names, fn] of bindings) cleanups.push(listenTogether(model, names, fn));
  cleanups.push(listen(model, "change:prompt", onPromptTrait));

  prompt.value = model.get("prompt") || "";
  refreshOptions();
  refreshBackend();
  refreshTemplates();
  refreshCoach();
  refreshCards();

  return () => {
    for (const fn of cleanups) fn();
    for (const card of cards.values()) card.destroy();
    cards.clear();
    if (reference?.bitmap?.close) reference.bitmap.close();
    ticker.dispose();
    requester.dispose();
    cache.dispose();
    root.remove();
  };
}
