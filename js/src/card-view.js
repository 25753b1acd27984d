// @ts-check
// sw.VideoCard: one job. Its thumbnail and spritesheet are Bytes traits (they arrive with the state, even
// while a cell blocks on job.wait()); the MP4 is a `media` command on play.

import { mountCard } from "./card.js";
import { errorBanner } from "./collection.js";
import { h, liveRegion } from "./dom.js";
import { listen, listenTogether } from "./events.js";
import { blobUrl } from "./media.js";
import { createRequester } from "./protocol.js";
import { createTicker } from "./progress.js";

/** @typedef {import("./types.js").Item} Item */
/** @typedef {import("./types.js").Model} Model */

const CARD_FIELDS = [
  "job_id", "video_id", "status", "progress", "eta_s", "elapsed_s", "typical_s", "prompt", "model", "size", "seconds",
  "cost_usd", "error", "sprite", "remixed_from", "promoted_from", "created_at", "completed_at", "has_video", "can_remix", "can_delete",
  "can_cancel",
];

/** @param {{model: Model, el: HTMLElement}} ctx */
export function renderCardView({ model, el }) {
  /** @type {Array<() => void>} */
  const cleanups = [];
  const requester = createRequester(model);
  const ticker = createTicker();
  const live = liveRegion();
  /** @type {Record<string, string | null>} */
  const traitUrls = { thumbnail: null, spritesheet: null };
  /** @type {string[]} */
  const videoUrls = [];
  /** @param {string} name */
  const bytesOf = (name) => {
    const v = model.get(name);
    return v && v.byteLength ? v : null;
  };
  const readItem = () => {
    const item = /** @type {Item} */ (Object.fromEntries(CARD_FIELDS.map((f) => [f, model.get(f)])));
    item.has_thumbnail = !!bytesOf("_thumbnail");
    item.has_spritesheet = !!bytesOf("_spritesheet");
    return item;
  };
  /** @type {import("./types.js").CardHost} */
  const host = {
    request: (cmd, args, opts) => requester.request(cmd, args, opts),
    ticker,
    announce: live.say,
    onPlaying(_item, playing) {
      // the `playing` trait follows the player, so a notebook can read it (and set it: see below)
      if (model.get("playing") === playing || !model.set) return;
      model.set("playing", playing);
      model.save_changes?.();
    },
    async media(item, variant) {
      if (variant === "video") {
        const { result, buffers } = await requester.request("media", { job_id: item.job_id, variant }, { timeoutMs: 120000 });
        if (!buffers[0]) return null;
        const url = blobUrl(buffers[0], result?.mime || "video/mp4");
        videoUrls.push(url);
        return url;
      }
      const trait = variant === "thumbnail" ? "_thumbnail" : "_spritesheet";
      const bytes = bytesOf(trait);
      if (!bytes) return null;
      const old = traitUrls[variant];
      if (old) URL.revokeObjectURL(old);
      const url = blobUrl(bytes, variant === "thumbnail" ? model.get("_thumbnail_mime") || "image/webp" : "image/jpeg");
      traitUrls[variant] = url;
      return url;
    },
  };
  const card = mountCard(readItem(), host);
  // where a remix or retry started here can be seen, when this host cannot show it under the card (marimo)
  const notice = h("p", { class: "sora-note sora-card-notice", role: "status" });
  const showNotice = () => (notice.textContent = model.get("_notice") || "");
  showNotice();
  const wrap = h("div", { class: "sora-root sora-card-view" }, card.el, notice, errorBanner(model, cleanups), live.el);
  el.append(wrap);
  cleanups.push(listen(model, "change:_notice", showNotice));
  const sync = () => card.update(readItem());
  const names = [...CARD_FIELDS, "_thumbnail", "_spritesheet"].map((f) => `change:${f}`).join(" ");
  cleanups.push(listenTogether(model, names, sync)); // one job update changes several fields
  const onPlayingTrait = () => card.setPlaying(!!model.get("playing"));
  model.on("change:playing", onPlayingTrait);
  cleanups.push(() => model.off("change:playing", onPlayingTrait));
  return () => {
    for (const fn of cleanups) fn();
    card.destroy();
    ticker.dispose();
    requester.dispose();
    for (const u of [...Object.values(traitUrls), ...videoUrls]) if (u) URL.revokeObjectURL(u);
    wrap.remove();
  };
}
