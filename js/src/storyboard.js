// @ts-check
// sw.storyboard: the shots as a strip (status, thumbnail, prompt; edit, regenerate, reorder) and one player for
// the whole stitched sequence, with a timeline that scrubs across the shots. The root's `data-shot` is the shot
// under the playhead; the strip marks it with aria-current.

import { errorBanner } from "./collection.js";
import { h, liveRegion, nextId, setHidden } from "./dom.js";
import { formatClock, statusLabel } from "./format.js";
import { blobUrl } from "./media.js";
import { listen, listenTogether } from "./events.js";
import { createRequester } from "./protocol.js";

/** @typedef {import("./types.js").Model} Model */
/** @typedef {{index: number, prompt: string, job_id: string | null, status: string, progress: number | null,
 *   has_thumbnail: boolean, redone: number}} Shot */

/**
 * The shot shown at `t` seconds, given each shot's start (`cuts`, ascending). Pure, for node --test.
 * @param {number[]} cuts @param {number} t
 */
export function shotAt(cuts, t) {
  let k = 0;
  for (let i = 0; i < cuts.length; i += 1) if (t + 1e-6 >= cuts[i]) k = i;
  return k;
}

/** `order` with the shot at `from` moved to `to`. Pure. @param {number} count @param {number} from @param {number} to */
export function moved(count, from, to) {
  const order = [...Array(count).keys()];
  const [shot] = order.splice(from, 1);
  order.splice(to, 0, shot);
  return order;
}

/** @param {{model: Model, el: HTMLElement}} ctx */
export function renderStoryboardView({ model, el }) {
  /** @type {Array<() => void>} */
  const cleanups = [];
  const requester = createRequester(model);
  const live = liveRegion();
  /** @type {Map<string, string>} job id -> thumbnail object URL */
  const thumbs = new Map();
  /** @type {string | null} */
  let videoUrl = null;
  let loadedVersion = -1;
  let disposed = false;

  const root = h("section", { class: "sora-root sora-storyboard", "aria-label": "Storyboard", "data-shot": "0" });
  const title = h("h4", { class: "sora-storyboard-title" });
  const statusEl = h("span", { class: "sora-status sora-storyboard-status" });
  const errorEl = h("p", { class: "sora-error", role: "alert", hidden: true });
  const strip = h("ol", { class: "sora-strip", "aria-label": "Shots" });
  const video = h("video", { class: "sora-sequence-video", controls: true, preload: "auto", playsinline: true });
  const placeholder = h("p", { class: "sora-sequence-wait", text: "The sequence plays here once every shot is stitched." });
  const timelineId = nextId("timeline");
  const timeline = h("input", { id: timelineId, type: "range", class: "sora-timeline", min: "0", max: "0", step: "any", value: "0", "aria-label": "Timeline", disabled: true });
  const marks = h("div", { class: "sora-cut-marks", "aria-hidden": "true" });
  const clock = h("span", { class: "sora-sequence-clock", "aria-live": "off" });
  const player = h("div", { class: "sora-sequence" }, video, placeholder, h("div", { class: "sora-timeline-wrap" }, timeline, marks), clock);
  root.append(h("div", { class: "sora-toolbar" }, title, statusEl), errorEl, strip, player, errorBanner(model, cleanups), live.el);
  el.append(root);

  /** @returns {Shot[]} */
  const shots = () => model.get("strip") || [];
  const seq = () => model.get("sequence") || {};
  const cuts = () => /** @type {number[]} */ (seq().cuts || []);

  const markShot = (/** @type {number} */ t) => {
    const k = shotAt(cuts(), t);
    root.dataset.shot = String(k);
    for (const li of strip.children) {
      if (Number(/** @type {HTMLElement} */ (li).dataset.index) === k) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    }
    const total = Number(seq().duration_s) || 0;
    clock.textContent = `${formatClock(t)} / ${formatClock(total)} · shot ${k + 1} of ${shots().length}`;
  };
  const seek = (/** @type {number} */ t) => {
    if (!videoUrl) return;
    video.currentTime = t;
    timeline.value = String(t);
    markShot(t);
  };
  timeline.addEventListener("input", () => seek(Number(timeline.value)));
  video.addEventListener("timeupdate", () => {
    timeline.value = String(video.currentTime);
    markShot(video.currentTime);
  });

  /** @param {Shot} shot @param {HTMLElement} li */
  const loadThumb = async (shot, li) => {
    if (!shot.job_id || !shot.has_thumbnail || thumbs.has(shot.job_id)) return;
    const jobId = shot.job_id;
    thumbs.set(jobId, "");
    try {
      const { result, buffers } = await requester.request("media", { job_id: jobId, variant: "thumbnail" });
      if (disposed || !buffers[0]) return;
      const url = blobUrl(buffers[0], result?.mime || "image/webp");
      thumbs.set(jobId, url);
      const img = li.querySelector("img");
      if (img && li.dataset.jobId === jobId) img.src = url;
    } catch (err) {
      thumbs.delete(jobId);
    }
  };

  /** @param {string} cmd @param {object} args @param {string} said */
  const act = async (cmd, args, said) => {
    try {
      await requester.request(cmd, args);
      live.say(said);
    } catch (err) {
      errorEl.textContent = String(/** @type {any} */ (err)?.message || err);
      setHidden(errorEl, false);
    }
  };

  /** @param {Shot} shot @param {number} count */
  const shotItem = (shot, count) => {
    const n = shot.index + 1;
    const li = h("li", { class: "sora-shot", "data-index": String(shot.index), "data-status": shot.status, "data-job-id": shot.job_id || "" });
    const img = h("img", { class: "sora-shot-thumb", alt: "" });
    const url = shot.job_id ? thumbs.get(shot.job_id) : null;
    if (url) img.src = url;
    const go = h("button", { type: "button", class: "sora-shot-go", "aria-label": `Go to shot ${n}` }, img, h("span", { class: "sora-shot-status", text: statusLabel(shot.status) + (shot.progress != null && shot.status === "in_progress" ? ` ${Math.round(shot.progress)}%` : "") }));
    go.addEventListener("click", () => seek((cuts()[shot.index] || 0) + 0.001));
    const prompt = h("p", { class: "sora-prompt", text: shot.prompt, title: shot.prompt });
    const editId = nextId("shot");
    const area = h("textarea", { id: editId, class: "sora-input", rows: "2", "aria-label": `Shot ${n} prompt` });
    const apply = h("button", { type: "button", class: "sora-btn sora-btn-primary", text: `Regenerate shot ${n} with this prompt` });
    const form = h("div", { class: "sora-inline-form", hidden: true }, area, apply);
    const edit = h("button", { type: "button", class: "sora-btn sora-btn-ghost", text: "Edit", "aria-label": `Edit shot ${n}` });
    const redo = h("button", { type: "button", class: "sora-btn sora-btn-ghost", text: "Regenerate", "aria-label": `Regenerate shot ${n}` });
    const left = h("button", { type: "button", class: "sora-btn sora-btn-ghost", text: "‹", "aria-label": `Move shot ${n} earlier`, disabled: shot.index === 0 });
    const right = h("button", { type: "button", class: "sora-btn sora-btn-ghost", text: "›", "aria-label": `Move shot ${n} later`, disabled: shot.index === count - 1 });
    edit.addEventListener("click", () => {
      setHidden(form, !form.hidden);
      area.value = shot.prompt;
      if (!form.hidden) area.focus();
    });
    apply.addEventListener("click", () => act("regenerate", { index: shot.index, prompt: area.value }, `Regenerating shot ${n}`));
    redo.addEventListener("click", () => act("regenerate", { index: shot.index }, `Regenerating shot ${n}`));
    left.addEventListener("click", () => act("reorder", { order: moved(count, shot.index, shot.index - 1) }, `Moved shot ${n} earlier`));
    right.addEventListener("click", () => act("reorder", { order: moved(count, shot.index, shot.index + 1) }, `Moved shot ${n} later`));
    li.append(go, prompt, h("div", { class: "sora-actions" }, edit, redo, left, right), form);
    loadThumb(shot, li);
    return li;
  };

  const drawStrip = () => {
    const list = shots();
    // rebuilt whole: a strip has a handful of shots, and an open edit box survives as long as its shot's job does
    const open = new Map([...strip.querySelectorAll("li")].filter((li) => !li.querySelector(".sora-inline-form")?.hasAttribute("hidden")).map((li) => [li.getAttribute("data-job-id"), /** @type {HTMLTextAreaElement} */ (li.querySelector("textarea")).value]));
    strip.replaceChildren(...list.map((shot) => shotItem(shot, list.length)));
    for (const li of strip.querySelectorAll("li")) {
      const text = open.get(li.getAttribute("data-job-id"));
      if (text != null) {
        setHidden(/** @type {HTMLElement} */ (li.querySelector(".sora-inline-form")), false);
        /** @type {HTMLTextAreaElement} */ (li.querySelector("textarea")).value = text;
      }
    }
    root.dataset.count = String(list.length);
    markShot(Number(timeline.value) || 0);
  };

  const loadSequence = async () => {
    const s = seq();
    setHidden(placeholder, !!s.has_video);
    setHidden(video, !s.has_video);
    timeline.disabled = !s.has_video;
    const total = Number(s.duration_s) || 0;
    timeline.max = String(total);
    marks.replaceChildren(...cuts().map((c) => h("span", { class: "sora-cut-mark", style: `left: ${total ? (100 * c) / total : 0}%` })));
    if (!s.has_video || s.version === loadedVersion) return;
    const version = s.version;
    loadedVersion = version;
    try {
      const { result, buffers } = await requester.request("sequence", {}, { timeoutMs: 120000 });
      if (disposed || !buffers[0] || seq().version !== version) return;
      if (videoUrl) URL.revokeObjectURL(videoUrl);
      videoUrl = blobUrl(buffers[0], result?.mime || "video/mp4");
      video.src = videoUrl;
      root.dataset.sequence = String(version);
    } catch (err) {
      loadedVersion = -1;
      errorEl.textContent = String(/** @type {any} */ (err)?.message || err);
      setHidden(errorEl, false);
    }
  };

  const drawHead = () => {
    const status = model.get("board_status") || "running";
    root.dataset.status = status;
    title.textContent = `Storyboard ${model.get("board_id") || ""}`;
    statusEl.textContent = status === "completed" ? "Stitched" : status === "failed" ? "Failed" : "Rendering shots…";
    const error = model.get("board_error") || "";
    if (error) errorEl.textContent = error;
    setHidden(errorEl, !error && !errorEl.textContent);
  };

  const names = "change:strip";
  const seqNames = "change:sequence";
  const headNames = "change:board_status change:board_error change:board_id";
  cleanups.push(listen(model, names, drawStrip), listen(model, seqNames, loadSequence), listenTogether(model, headNames, drawHead));
  drawHead();
  drawStrip();
  loadSequence();

  return () => {
    disposed = true;
    for (const fn of cleanups) fn();
    requester.dispose();
    for (const url of thumbs.values()) if (url) URL.revokeObjectURL(url);
    if (videoUrl) URL.revokeObjectURL(videoUrl);
    root.remove();
  };
}
