// @ts-check
// The card (used by all three views): status, chips, prompt, live progress, actions (download, remix,
// retry, cancel, copy, delete) and its media box (card-media.js).

import { mountExportMenu } from "./card-export.js";
import { mountCardMedia } from "./card-media.js";
import { actionButton, copyText, h, nextId, setHidden } from "./dom.js";
import { clamp, errorText, formatClock, formatCost, formatSeconds, formatSize, isTerminal, quotePrompt, remixLabel, statusLabel } from "./format.js";
import { readDownloadReply, saveFile } from "./media.js";
import { promotedLabel } from "./lineage.js";
import { createProgressModel, progressText } from "./progress.js";

/** @typedef {import("./types.js").Item} Item */
/** @typedef {import("./types.js").CardHost} CardHost */

/** A running job may be cancelled unless the kernel says otherwise (it is the `delete` command). @param {Item} item */
export function canCancel(item) {
  return !isTerminal(item.status) && item.status !== "pending" && item.can_cancel !== false;
}

/** @param {string} s */
const statusClass = (s) => s.replace(/[^a-z_]/gi, "");

/**
 * Build a card for `item`. Returns {el, update(item), destroy()}.
 * @param {Item} item @param {CardHost} host
 */
export function mountCard(item, host) {
  let current = item;
  let destroyed = false;
  const progress = createProgressModel();
  /** @type {(() => void) | null} */
  let untick = null;

  const root = h("article", { class: "sora-card", "data-job-id": item.job_id, "data-scrub-frame": "-1" });
  const mediaBox = mountCardMedia(() => current, {
    media: (it, variant) => host.media(it, variant),
    onError: (err) => say(String(/** @type {any} */ (err)?.message || err), true),
    onFrame: (f) => (root.dataset.scrubFrame = String(f)),
    onPlaying: (p) => {
      if (!destroyed) host.onPlaying?.(current, p);
    },
    root,
  });

  // body
  const statusBadge = h("span", { class: "sora-status" });
  const chips = h("div", { class: "sora-chips" });
  const modelChip = h("span", { class: "sora-chip sora-chip-model", title: "Model" });
  const sizeChip = h("span", { class: "sora-chip", title: "Size" });
  const secondsChip = h("span", { class: "sora-chip", title: "Duration" });
  const costChip = h("span", { class: "sora-chip sora-chip-cost", title: "Estimated cost" });
  const tookChip = h("span", { class: "sora-chip sora-chip-took", title: "Time from submission to completion" });
  chips.append(modelChip, sizeChip, secondsChip, costChip, tookChip);
  const head = h("div", { class: "sora-card-head" }, statusBadge, chips);

  const promptEl = h("p", { class: "sora-prompt" });
  const remixNote = h("p", { class: "sora-note sora-remix-of" });

  const bar = h("div", { class: "sora-progress", role: "progressbar", "aria-label": "Progress" });
  const barFill = h("div", { class: "sora-progress-fill" });
  bar.append(barFill);
  const progressLine = h("p", { class: "sora-progress-text" });
  const progressWrap = h("div", { class: "sora-progress-wrap" }, bar, progressLine);

  const errorEl = h("p", { class: "sora-error", role: "alert" });
  // a cancelled job is not a failure: its reason is a plain note (no alert, not red), and Retry stays offered
  const cancelledEl = h("p", { class: "sora-note sora-cancelled", hidden: true });
  const cantStop = h("p", { class: "sora-note sora-cant-stop", text: "This backend cannot stop a render once it has started.", hidden: true });

  const dl = actionButton("download", "Download");
  const remixBtn = actionButton("remix", "Remix");
  const retryBtn = actionButton("retry", "Retry");
  const cancelBtn = actionButton("cancel", "Cancel", "sora-btn-danger-ghost");
  const copyBtn = actionButton("copy", "Copy prompt", "sora-push-right", true);
  copyBtn.dataset.local = ""; // works without a kernel
  const delBtn = actionButton("delete", "Delete", "sora-btn-danger-ghost", true);
  const exporter = mountExportMenu(() => current, host, root, (text, isError) => say(text, isError));
  const actions = h("div", { class: "sora-actions" }, dl, exporter.toggle, remixBtn, retryBtn, cancelBtn, copyBtn, delBtn);

  const remixId = nextId("remix");
  const remixArea = h("textarea", { id: remixId, class: "sora-input sora-remix-input", rows: "3", "aria-label": "Remix prompt" });
  const remixGo = h("button", { type: "button", class: "sora-btn sora-btn-primary", text: "Create remix" });
  const remixCancel = h("button", { type: "button", class: "sora-btn sora-btn-ghost", text: "Cancel" });
  const remixForm = h(
    "div",
    { class: "sora-inline-form sora-remix-form", hidden: true },
    h("label", { for: remixId, class: "sora-label", text: "Describe the change" }),
    remixArea,
    h("div", { class: "sora-row" }, remixGo, remixCancel),
  );

  // one confirmation box for both destructive actions: Delete (finished jobs) and Cancel (running ones)
  const confirmText = h("span", { class: "sora-confirm-text" });
  const confirmGo = h("button", { type: "button", class: "sora-btn sora-btn-danger" });
  const confirmKeep = h("button", { type: "button", class: "sora-btn sora-btn-ghost" });
  const confirmBox = h("div", { class: "sora-inline-form sora-confirm", hidden: true, role: "group" }, confirmText, h("div", { class: "sora-row" }, confirmGo, confirmKeep));
  /** @type {"delete" | "cancel"} */
  let confirmMode = "delete";
  /** @param {"delete" | "cancel"} mode */
  const openConfirm = (mode) => {
    const same = !confirmBox.hidden && confirmMode === mode;
    confirmMode = mode;
    const del = mode === "delete";
    confirmBox.setAttribute("aria-label", del ? "Delete this video?" : "Cancel this render?");
    confirmText.textContent = del ? "Delete this video from the backend? This cannot be undone." : "Stop rendering this video? It cannot be resumed.";
    confirmGo.textContent = del ? "Confirm delete" : "Confirm cancel";
    confirmKeep.textContent = del ? "Keep it" : "Keep rendering";
    setHidden(confirmBox, same);
    setHidden(remixForm, true);
    if (!confirmBox.hidden) confirmGo.focus();
  };

  const note = h("p", { class: "sora-note sora-action-note", role: "status", "aria-live": "polite" });
  const body = h("div", { class: "sora-card-body" }, head, promptEl, remixNote, progressWrap, cantStop, errorEl, cancelledEl, actions, exporter.menu, remixForm, confirmBox, note);
  root.append(mediaBox.el, body);

  // ---- behaviour ------------------------------------------------------------------------------------------

  /** @type {ReturnType<typeof setTimeout> | null} */
  let noteTimer = null;
  // a job this card started (remix, retry) whose note stays until the host reports it finished
  /** @type {string | null} */
  let watching = null;
  /** @param {string} text @param {boolean} [isError] @param {boolean} [sticky] */
  function say(text, isError = false, sticky = false) {
    note.textContent = text;
    note.classList.toggle("sora-note-error", isError);
    watching = null;
    // confirmations fade after a while; errors stay until the next action
    if (noteTimer) clearTimeout(noteTimer);
    noteTimer = isError || sticky ? null : setTimeout(() => (note.textContent = ""), 8000);
  }
  /** @param {string} text @param {string | undefined} jobId */
  const sayStarted = (text, jobId) => {
    const sticky = !!(host.tracksJobs && jobId);
    say(text, false, sticky);
    if (sticky && jobId) watching = jobId;
  };

  /** @template T @param {HTMLButtonElement} button @param {() => Promise<T>} work */
  const busy = async (button, work) => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      return await work();
    } catch (err) {
      if (!destroyed) say(String(/** @type {any} */ (err)?.message || err), true);
      return undefined;
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  };

  dl.addEventListener("click", () =>
    busy(dl, async () => {
      say("Preparing the download…");
      const { result, buffers } = await host.request("download", { job_id: current.job_id }, { timeoutMs: 120000 });
      if (destroyed) return;
      const reply = readDownloadReply(result, buffers, current);
      if (!reply.bytes) throw new Error(`The kernel sent no bytes for ${reply.filename}`);
      saveFile(reply.bytes, reply.filename, reply.mime);
      say(reply.keptAt ? `Saved ${reply.keptAt} next to the notebook and downloaded ${reply.filename}` : `Downloaded ${reply.filename}`);
    }),
  );

  remixBtn.addEventListener("click", () => {
    const open = remixForm.hidden;
    setHidden(remixForm, !open);
    setHidden(confirmBox, true);
    if (open) {
      remixArea.value = current.prompt || "";
      remixArea.focus();
      remixArea.select();
    }
  });
  remixCancel.addEventListener("click", () => setHidden(remixForm, true));
  const submitRemix = () =>
    busy(remixGo, async () => {
      const prompt = remixArea.value.trim();
      if (!prompt) {
        say("Describe the change first", true);
        return;
      }
      const { result } = await host.request("remix", { job_id: current.job_id, prompt });
      if (destroyed) return;
      setHidden(remixForm, true);
      sayStarted(`Remix started (${result?.job_id || "new job"})`, result?.job_id);
      host.announce?.("Remix started");
    });
  remixGo.addEventListener("click", submitRemix);
  remixArea.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      submitRemix();
    } else if (ev.key === "Escape") {
      setHidden(remixForm, true);
    }
  });

  delBtn.addEventListener("click", () => openConfirm("delete"));
  cancelBtn.addEventListener("click", () => openConfirm("cancel"));
  confirmKeep.addEventListener("click", () => setHidden(confirmBox, true));
  confirmGo.addEventListener("click", () =>
    busy(confirmGo, async () => {
      const mode = confirmMode;
      await host.request("delete", { job_id: current.job_id });
      if (destroyed) return;
      setHidden(confirmBox, true);
      say(mode === "delete" ? "Deleted" : "Cancelled");
    }),
  );

  copyBtn.addEventListener("click", async () => {
    const ok = await copyText(current.prompt || "");
    if (!destroyed) say(ok ? "Prompt copied" : "Could not reach the clipboard", !ok);
  });

  retryBtn.addEventListener("click", () =>
    busy(retryBtn, async () => {
      const { result } = await host.request("retry", { job_id: current.job_id });
      if (!destroyed) sayStarted(`Retrying as ${result?.job_id || "a new job"}`, result?.job_id);
    }),
  );

  /** Draw the bar and its line for time `now` (the view's ticker calls this while the job runs). @param {number} now */
  const drawProgress = (now) => {
    const s = current.status;
    const frame = progress.at(now);
    // determinate whenever the backend reports progress (a queued job's 0 included); indeterminate otherwise
    if (frame.value != null && s !== "pending") {
      const v = clamp(frame.value, 0, 100);
      bar.setAttribute("aria-valuenow", (Math.floor(v * 10) / 10).toFixed(1));
      bar.setAttribute("aria-valuemin", "0");
      bar.setAttribute("aria-valuemax", "100");
      bar.classList.remove("sora-indeterminate");
      bar.classList.toggle("sora-waiting", s === "queued");
      barFill.style.width = `${v}%`;
    } else {
      bar.removeAttribute("aria-valuenow");
      bar.classList.remove("sora-waiting");
      bar.classList.add("sora-indeterminate");
      barFill.style.width = "";
    }
    const text = progressText(current, s === "pending" ? { ...frame, value: null, eta: null } : frame);
    progressLine.textContent = text;
    bar.setAttribute("aria-valuetext", text);
  };

  /** @param {Item} next */
  function update(next) {
    const prev = current;
    current = next;
    const s = next.status;
    root.dataset.status = s;
    root.dataset.jobId = next.job_id;
    for (const c of [...root.classList]) if (c.startsWith("sora-status-")) root.classList.remove(c);
    root.classList.add(`sora-status-${statusClass(s)}`);
    statusBadge.textContent = statusLabel(s);
    statusBadge.className = `sora-status sora-status-badge-${statusClass(s)}`;
    modelChip.textContent = next.model || "";
    sizeChip.textContent = formatSize(next.size);
    secondsChip.textContent = formatSeconds(next.seconds);
    costChip.textContent = formatCost(next.cost_usd);
    setHidden(costChip, next.cost_usd == null);
    const took = s === "completed" && next.completed_at && next.created_at ? next.completed_at - next.created_at : null;
    tookChip.textContent = took != null && took >= 0 ? `rendered in ${formatClock(took)}` : "";
    promptEl.textContent = next.prompt || "";
    promptEl.title = next.prompt || "";
    const source = next.remixed_from || next.promoted_from;
    remixNote.textContent = next.remixed_from ? remixLabel(host.lookup?.(next.remixed_from)) : next.promoted_from ? promotedLabel(host.lookup?.(next.promoted_from)) : "";
    remixNote.title = source ? `Source job: ${source}` : "";
    setHidden(remixNote, !source);

    mediaBox.update(next);
    if (!isTerminal(s)) mediaBox.setPlaceholder(`${statusLabel(s)}…`);

    // progress: extrapolated between the kernel's updates by the view's one ticker
    const running = !isTerminal(s);
    setHidden(progressWrap, !running);
    const now = host.ticker.now();
    progress.report(next, now);
    if (running) {
      drawProgress(now);
      if (!untick) untick = host.ticker.add(drawProgress);
    } else if (untick) {
      untick();
      untick = null;
    }
    if (prev !== next && prev.status !== s && !isTerminal(prev.status) && isTerminal(s)) {
      host.announce?.(`${statusLabel(s)}: ${quotePrompt(next.prompt) || next.job_id}`);
    }

    // failure
    const failed = s === "failed" && next.error;
    errorEl.textContent = failed ? errorText(next.error) : "";
    setHidden(errorEl, !failed);
    const cancelled = s === "cancelled";
    cancelledEl.textContent = cancelled ? next.error?.message || "Cancelled before it finished." : "";
    setHidden(cancelledEl, !cancelled);

    // actions
    setHidden(dl, s !== "completed");
    exporter.update(next);
    setHidden(remixBtn, !(s === "completed" && next.can_remix));
    setHidden(retryBtn, !((s === "failed" || s === "cancelled") && next.error && next.error.retryable));
    setHidden(cancelBtn, !canCancel(next));
    // the kernel says this backend has no delete: say so instead of offering a button that cannot work
    setHidden(cantStop, !(running && s !== "pending" && next.can_cancel === false && next.video_id));
    setHidden(delBtn, !next.can_delete || s === "deleted");
    const confirmStale = confirmMode === "cancel" ? !canCancel(next) : !next.can_delete || s === "deleted";
    if (confirmStale) setHidden(confirmBox, true);
    if (s === "deleted") setHidden(remixForm, true);
  }

  update(item);

  return {
    el: root,
    update,
    get item() {
      return current;
    },
    /** Play or pause this card's video (the kernel asked). @param {boolean} on */
    setPlaying(on) {
      if (!destroyed) mediaBox.setPlaying(on);
    },
    /** Job id of a remix/retry started here that the host should report on (null when none). */
    get watching() {
      return watching;
    },
    /** The host saw `jobId` (started from this card) reach `status`: a finished job clears the note. @param {string} jobId @param {string} status */
    settle(jobId, status) {
      if (destroyed || jobId !== watching || !isTerminal(status)) return;
      watching = null;
      note.textContent = "";
    },
    destroy() {
      destroyed = true;
      if (untick) untick();
      untick = null;
      if (noteTimer) clearTimeout(noteTimer);
      mediaBox.destroy();
      root.remove();
    },
  };
}

/** @typedef {ReturnType<typeof mountCard>} Card */
