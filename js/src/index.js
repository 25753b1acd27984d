// @ts-check
// sora_widgets front end, bundled by js/build.mjs into sora_widgets/static/sora.js (committed, so
// `pip install` never needs node). anywidget imports `_esm` from a Blob URL, where relative imports cannot
// resolve: hence one bundle whose default `render` dispatches on the `_view` trait. The pure helpers are
// exported by name for `node --test`; nothing touches `document` at module top level.
//
// Modules, imports pointing one way: format, sprite, coach, layout, progress, events, connection <- protocol (pure) <- dom, media
// <- card-media <- card <- collection <- card-view, panel, gallery <- index.

import { renderCardView } from "./card-view.js";
import { renderGalleryView } from "./gallery.js";
import { renderPanelView } from "./panel.js";
import { renderStoryboardView } from "./storyboard.js";
import { renderVariationsView } from "./variations.js";

export { analyzePrompt, coachHint } from "./coach.js";
export { canCancel } from "./card.js";
export { exportArgs } from "./card-export.js";
export { createConnection, GONE_STATUSES, hostTracksKernels, LOST_MESSAGE } from "./connection.js";
export {
  clamp, costKey, downloadName, errorText, formatClock, formatCost, formatSeconds, formatSize, isTerminal,
  orientationOf, parseSize, quotePrompt, remixLabel, statusLabel, TERMINAL_STATUSES,
} from "./format.js";
export { coverCrop, distinct, filterItems, gridLayout, pageOf } from "./layout.js";
export { columnsFor, createWindowCache, navigate, visibleRange } from "./virtual.js";
export { dayStart, dayValue } from "./gallery-toolbar.js";
export { bytesToDataUrl, DATA_URL_MAX_BYTES, readDownloadReply } from "./media.js";
export { createProgressModel, createTicker, easeRemaining, PROGRESS_CEILING, progressText } from "./progress.js";
export { COMMAND_KIND, createPreviewBatcher, createRequester, PREVIEW_LANES, RESPONSE_KIND } from "./protocol.js";
export { frameFromPointer, frameTime, spriteStyle, stepFrame, tileRect } from "./sprite.js";
export { moved, shotAt } from "./storyboard.js";
export { splitTakes } from "./variations.js";
export { promotedLabel } from "./lineage.js";

/** @type {Record<string, (ctx: {model: any, el: HTMLElement}) => () => void>} */
const VIEWS = { card: renderCardView, panel: renderPanelView, gallery: renderGalleryView, storyboard: renderStoryboardView, variations: renderVariationsView };

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  const view = VIEWS[model.get("_view")];
  if (!view) {
    el.textContent = `sora_widgets: unknown view ${JSON.stringify(model.get("_view"))}`;
    return () => {};
  }
  return view({ model, el });
}

export default { render };
