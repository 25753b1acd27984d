// @ts-check
// Spritesheet geometry for hover scrubbing: which frame is under the pointer, where it sits in the sheet,
// which moment of the video it shows. Pure but for drawSpriteFrame (a canvas).

import { clamp } from "./format.js";

/**
 * @typedef {object} SpriteGeometry (media.py's SpriteSheet.to_dict)
 * @property {number} columns
 * @property {number} rows
 * @property {number} frames
 * @property {number} [tile_width]
 * @property {number} [tile_height]
 * @property {number} duration_s
 */

/**
 * The spritesheet frame under the pointer.
 * @param {number} x pointer x relative to the left edge of the thumbnail, in px
 * @param {number} width displayed width of the thumbnail, in px
 * @param {number} frames number of frames in the sheet
 * @returns {number} 0 .. frames-1 (or -1 when there is nothing to show)
 */
export function frameFromPointer(x, width, frames) {
  if (!(frames > 0) || !(width > 0) || !Number.isFinite(x)) return -1;
  return clamp(Math.floor((x / width) * frames), 0, frames - 1);
}

/**
 * The frame after a ←/→ key press. From "not scrubbing" (-1), → starts at the first frame and ← at the last.
 * @param {number} frame @param {number} delta @param {number} frames
 */
export function stepFrame(frame, delta, frames) {
  if (!(frames > 0)) return -1;
  if (frame < 0) return delta >= 0 ? 0 : frames - 1;
  return clamp(frame + delta, 0, frames - 1);
}

/** @param {number} v */
function round4(v) {
  return Math.round(v * 10000) / 10000;
}

/**
 * CSS background-size / background-position that show one tile of a spritesheet scaled to fill its box.
 * Percentages, so the tile follows the box size without measuring it: for a sheet `columns` tiles wide, a
 * position of p% aligns p% of the sheet with p% of the box, hence p = column / (columns - 1).
 * @param {{columns: number, rows: number, frames: number}} geom
 * @param {number} frame
 */
export function spriteStyle(geom, frame) {
  const cols = Math.max(1, geom.columns | 0);
  const rows = Math.max(1, geom.rows | 0);
  const f = clamp(frame | 0, 0, Math.max(0, (geom.frames | 0) - 1));
  const col = f % cols;
  const row = Math.floor(f / cols);
  const px = cols > 1 ? (col / (cols - 1)) * 100 : 0;
  const py = rows > 1 ? (row / (rows - 1)) * 100 : 0;
  return { size: `${cols * 100}% ${rows * 100}%`, position: `${round4(px)}% ${round4(py)}%` };
}

/**
 * The source rectangle of tile `frame` in a sheet of `sheetW x sheetH` pixels.
 * @param {{columns: number, rows: number, frames: number}} geom
 * @param {number} frame @param {number} sheetW @param {number} sheetH
 */
export function tileRect(geom, frame, sheetW, sheetH) {
  const cols = Math.max(1, geom.columns | 0);
  const rows = Math.max(1, geom.rows | 0);
  const f = clamp(frame | 0, 0, Math.max(0, (geom.frames | 0) - 1));
  const sw = sheetW / cols;
  const sh = sheetH / rows;
  return { sx: (f % cols) * sw, sy: Math.floor(f / cols) * sh, sw, sh };
}

/**
 * Seconds into the video that sprite frame `frame` shows (frames sample the middle of equal slices).
 * @param {SpriteGeometry | null | undefined} geom @param {number} frame
 */
export function frameTime(geom, frame) {
  if (!geom || !(geom.frames > 0)) return 0;
  return ((frame + 0.5) * geom.duration_s) / geom.frames;
}

/**
 * Draw one tile into `canvas` at the canvas's displayed size times the device pixel ratio, with the
 * browser's best resampling: a 192×108 tile stretched by CSS over a 458 px card is blurred by a cheap
 * bilinear filter; drawn here it is smoothed with high-quality filtering once per frame.
 * @param {HTMLCanvasElement} canvas
 * @param {CanvasImageSource & {naturalWidth?: number, naturalHeight?: number, width?: number, height?: number}} sheet
 * @param {SpriteGeometry} geom @param {number} frame
 */
export function drawSpriteFrame(canvas, sheet, geom, frame) {
  const sheetW = Number(sheet.naturalWidth || sheet.width || 0);
  const sheetH = Number(sheet.naturalHeight || sheet.height || 0);
  if (!(sheetW > 0 && sheetH > 0)) return false;
  const rect = canvas.getBoundingClientRect();
  const dpr = (typeof devicePixelRatio === "number" && devicePixelRatio) || 1;
  const w = Math.max(1, Math.round(rect.width * dpr));
  const h = Math.max(1, Math.round(rect.height * dpr));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext("2d");
  if (!ctx) return false;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  const t = tileRect(geom, frame, sheetW, sheetH);
  ctx.drawImage(sheet, t.sx, t.sy, t.sw, t.sh, 0, 0, w, h);
  return true;
}
