// @ts-check
// The card's Export menu: GIF, trimmed MP4, or the current frame as PNG. The kernel makes the file (the `export`
// command, replying like `download`: {filename, mime, size} + buffers[0]) and the browser saves it.

import { h, nextId, setHidden } from "./dom.js";
import { readDownloadReply, saveFile } from "./media.js";

/** @typedef {import("./types.js").Item} Item */

/**
 * The arguments of an `export` command. Pure, for node --test: empty fields mean "the whole clip".
 * @param {string} format "gif" | "mp4" | "png" @param {string} start @param {string} end @param {number} now
 */
export function exportArgs(format, start, end, now) {
  /** @param {string} v */
  const num = (v) => (v.trim() === "" || !Number.isFinite(Number(v)) ? null : Number(v));
  if (format === "png") return { format, t: Math.max(0, now || 0) };
  return { format, start: num(start), end: num(end) };
}

/**
 * @param {() => Item} current the card's item
 * @param {{request: import("./types.js").Request}} host
 * @param {HTMLElement} root the card (its playing <video>, if any, gives the current frame's time)
 * @param {(text: string, isError?: boolean) => void} say the card's note
 */
export function mountExportMenu(current, host, root, say) {
  const toggle = h("button", { type: "button", class: "sora-btn sora-btn-ghost sora-export-toggle", text: "Export", "aria-expanded": "false", "aria-haspopup": "true" });
  const startId = nextId("export-start");
  const endId = nextId("export-end");
  const start = h("input", { id: startId, class: "sora-input sora-export-time", type: "number", min: "0", step: "0.1", placeholder: "0" });
  const end = h("input", { id: endId, class: "sora-input sora-export-time", type: "number", min: "0", step: "0.1", placeholder: "end" });
  const gif = h("button", { type: "button", class: "sora-btn sora-btn-ghost", text: "GIF" });
  const mp4 = h("button", { type: "button", class: "sora-btn sora-btn-ghost", text: "Trimmed MP4" });
  const png = h("button", { type: "button", class: "sora-btn sora-btn-ghost", text: "Current frame (PNG)" });
  const menu = h(
    "div",
    { class: "sora-inline-form sora-export-menu", role: "group", "aria-label": "Export", hidden: true },
    h("div", { class: "sora-row" }, h("label", { for: startId, class: "sora-label", text: "Start (s)" }), start, h("label", { for: endId, class: "sora-label", text: "End (s)" }), end),
    h("div", { class: "sora-row" }, gif, mp4, png),
  );
  toggle.addEventListener("click", () => {
    setHidden(menu, !menu.hidden);
    toggle.setAttribute("aria-expanded", String(!menu.hidden));
  });
  /** @param {HTMLButtonElement} button @param {string} format */
  const run = (button, format) =>
    button.addEventListener("click", async () => {
      const video = /** @type {HTMLVideoElement | null} */ (root.querySelector("video"));
      const args = { job_id: current().job_id, ...exportArgs(format, start.value, end.value, video ? video.currentTime : 0) };
      button.disabled = true;
      say(`Exporting ${button.textContent}…`);
      try {
        const { result, buffers } = await host.request("export", args, { timeoutMs: 180000 });
        const reply = readDownloadReply(result, buffers, current());
        if (!reply.bytes) throw new Error(`The kernel sent no bytes for ${reply.filename}`);
        saveFile(reply.bytes, reply.filename, reply.mime);
        say(`Exported ${reply.filename}`);
      } catch (err) {
        say(String(/** @type {any} */ (err)?.message || err), true);
      } finally {
        button.disabled = false;
      }
    });
  run(gif, "gif");
  run(mp4, "mp4");
  run(png, "png");
  return {
    toggle,
    menu,
    /** Only a completed video can be exported. @param {Item} item */
    update(item) {
      setHidden(toggle, item.status !== "completed");
      if (item.status !== "completed") setHidden(menu, true);
    },
  };
}
