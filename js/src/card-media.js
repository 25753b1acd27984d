// @ts-check
// A card's media box: thumbnail, hover/keyboard scrubbing over the spritesheet (drawn sharp into a canvas),
// and the player. Play starts at 0 s; Shift+click (or Shift+Enter) starts at the scrubbed frame, as the
// hint under the pointer says. Videos autoplay muted, with an Unmute button; portrait and square videos
// get a player in their own shape (the box takes the video's aspect ratio while it plays).

import { h, icon } from "./dom.js";
import { clamp, formatClock, orientationOf, parseSize } from "./format.js";
import { drawSpriteFrame, frameFromPointer, frameTime, spriteStyle, stepFrame } from "./sprite.js";

/** @typedef {import("./types.js").Item} Item */

/**
 * @param {() => Item} getItem the card's current item
 * @param {{media: (item: Item, variant: string) => Promise<string | null>, onError: (err: unknown) => void,
 *          onFrame: (frame: number) => void, root: HTMLElement, onPlaying?: (playing: boolean) => void}} deps
 */
export function mountCardMedia(getItem, deps) {
  let frame = -1;
  let playing = false;
  let destroyed = false;
  /** @type {{thumbnail: string | null, spritesheet: string | null}} */
  const loaded = { thumbnail: null, spritesheet: null };
  const loading = new Set();
  /** @type {HTMLImageElement | null} decoded sheet, for the canvas */
  let sheet = null;
  /** @type {HTMLVideoElement | null} */
  let video = null;

  const media = h("div", { class: "sora-media" });
  // the thumbnail again, blurred, behind a frame narrower than the 16:9 box (portrait videos)
  const backdrop = h("div", { class: "sora-backdrop", "aria-hidden": "true" });
  const frameBox = h("div", { class: "sora-frame" });
  const thumbImg = h("img", { class: "sora-thumb-img", alt: "", draggable: "false" });
  const sprite = h("div", { class: "sora-sprite", "aria-hidden": "true" });
  const canvas = h("canvas", { class: "sora-sprite-canvas", "aria-hidden": "true" });
  const playBadge = h("span", { class: "sora-play-badge", "aria-hidden": "true" });
  playBadge.append(icon("play"));
  const timeChip = h("span", { class: "sora-time-chip", "aria-hidden": "true" });
  const scrubHint = h("span", { class: "sora-scrub-hint", "aria-hidden": "true", text: "Shift+click plays from here" });
  const scrubLine = h("span", { class: "sora-scrub-line", "aria-hidden": "true" });
  const thumbButton = h("button", {
    type: "button",
    class: "sora-thumb",
    "aria-label": "Play video",
    title: "Play from the start (Shift+click: from the frame shown)",
  });
  thumbButton.append(thumbImg, sprite, canvas, playBadge, timeChip);
  const placeholder = h("div", { class: "sora-placeholder" });
  const placeholderText = h("span", { class: "sora-placeholder-text" });
  placeholder.append(placeholderText);
  const unmute = h("button", { type: "button", class: "sora-btn sora-unmute", "aria-label": "Unmute", title: "Unmute", hidden: true });
  unmute.append(icon("muted"), h("span", { class: "sora-btn-label", text: "Unmute" }));
  frameBox.append(thumbButton);
  // hint and scrub line span the whole box (the scrub track), not a portrait frame's third of it
  media.append(backdrop, placeholder, frameBox, scrubHint, scrubLine, unmute);

  /** @param {number} f */
  const showFrame = (f) => {
    frame = f;
    deps.onFrame(f);
    const item = getItem();
    const geom = item.sprite;
    const on = f >= 0 && geom && loaded.spritesheet;
    media.classList.toggle("sora-scrubbing", !!on);
    sprite.classList.toggle("sora-sprite-on", !!on);
    if (on && geom) {
      const st = spriteStyle(geom, f);
      sprite.style.backgroundSize = st.size;
      sprite.style.backgroundPosition = st.position;
      const drawn = !!sheet && drawSpriteFrame(canvas, sheet, geom, f);
      canvas.classList.toggle("sora-sprite-on", drawn);
      timeChip.textContent = `${formatClock(frameTime(geom, f))} / ${formatClock(geom.duration_s)}`;
      scrubLine.style.width = `${((f + 1) / geom.frames) * 100}%`;
    } else {
      canvas.classList.remove("sora-sprite-on");
      scrubLine.style.width = "0";
      timeChip.textContent = item.seconds ? formatClock(Number(item.seconds)) : "";
    }
  };

  // where the pointer rests (0..1 across the thumbnail), so geometry arriving under a still pointer applies
  /** @type {number | null} */
  let hoverFraction = null;
  const scrubToHover = () => {
    const geom = getItem().sprite;
    if (playing || hoverFraction == null || !geom) return;
    showFrame(frameFromPointer(hoverFraction, 1, geom.frames));
  };
  // the whole media box scrubs, not only the frame: a portrait thumbnail is a third of the box's width,
  // and its blurred sides are the rest of the scrub track (and play on click, like the frame)
  media.addEventListener("pointermove", (ev) => {
    if (playing) return;
    const rect = media.getBoundingClientRect();
    if (!(rect.width > 0)) return;
    hoverFraction = clamp((ev.clientX - rect.left) / rect.width, 0, 0.999999);
    scrubToHover();
  });
  media.addEventListener("pointerleave", () => {
    hoverFraction = null;
    if (!playing) showFrame(-1);
  });
  media.addEventListener("click", (ev) => {
    if (playing || thumbButton.hidden || thumbButton.contains(/** @type {Node} */ (ev.target))) return;
    play(ev.shiftKey);
  });
  thumbButton.addEventListener("keydown", (ev) => {
    const geom = getItem().sprite;
    if (!geom || playing) return;
    if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") {
      ev.preventDefault();
      showFrame(stepFrame(frame, ev.key === "ArrowRight" ? 1 : -1, geom.frames));
    } else if (ev.key === "Escape") {
      showFrame(-1);
    } else if (ev.key === "Enter" && ev.shiftKey) {
      // a button's Enter fires click without the modifier in some browsers: handle Shift+Enter here
      ev.preventDefault();
      play(true);
    }
  });
  thumbButton.addEventListener("blur", () => {
    if (!playing) showFrame(-1);
  });
  thumbButton.addEventListener("click", (ev) => play(ev.shiftKey));

  const syncMute = () => {
    unmute.hidden = !video || !video.muted;
  };
  unmute.addEventListener("click", () => {
    if (!video) return;
    video.muted = false;
    video.volume = 1;
    syncMute();
    video.focus({ preventScroll: true });
  });

  /** @param {boolean} fromFrame start at the scrubbed frame (a deliberate Shift+click), else at 0 s */
  async function play(fromFrame) {
    const item = getItem();
    if (playing || item.status !== "completed") return;
    const startAt = fromFrame && frame >= 0 && item.sprite ? frameTime(item.sprite, frame) : 0;
    thumbButton.setAttribute("aria-busy", "true");
    deps.root.classList.add("sora-loading-video");
    try {
      const url = await deps.media(item, "video");
      if (destroyed || !url) return;
      const v = h("video", { class: "sora-video", controls: true, playsinline: true, preload: "auto" });
      // muted autoplay is always allowed; the Unmute button gives the sound back
      v.muted = true;
      v.defaultMuted = true;
      v.src = url;
      if (loaded.thumbnail) v.poster = loaded.thumbnail;
      v.dataset.startAt = String(startAt);
      if (startAt > 0) v.addEventListener("loadedmetadata", () => (v.currentTime = startAt), { once: true });
      v.addEventListener("volumechange", syncMute);
      // the card's `playing` state: the kernel's trait follows the player (and the reverse, see setPlaying)
      v.addEventListener("play", () => deps.onPlaying?.(true));
      v.addEventListener("pause", () => deps.onPlaying?.(false));
      v.addEventListener("loadedmetadata", () => {
        // the real shape, in case the size field and the file disagree
        if (v.videoWidth > 0 && v.videoHeight > 0) setPlayerShape(v.videoWidth, v.videoHeight);
      });
      video = v;
      playing = true;
      showFrame(-1);
      thumbButton.hidden = true;
      const dims = parseSize(item.size);
      if (dims) setPlayerShape(dims.width, dims.height);
      media.classList.add("sora-playing");
      frameBox.append(v);
      syncMute();
      v.play().catch(() => {
        /* autoplay refused: the controls are there */
      });
      v.focus({ preventScroll: true });
    } catch (err) {
      if (!destroyed) deps.onError(err);
    } finally {
      thumbButton.removeAttribute("aria-busy");
      deps.root.classList.remove("sora-loading-video");
    }
  }

  /** @param {number} w @param {number} hgt */
  function setPlayerShape(w, hgt) {
    // landscape keeps the card's 16:9 box; portrait and square boxes take the video's own shape
    if (w > hgt) media.style.removeProperty("aspect-ratio");
    else media.style.aspectRatio = `${w} / ${hgt}`;
  }

  const stopVideo = () => {
    if (!video) return;
    video.pause();
    video.removeAttribute("src");
    video.load();
    video.remove();
    video = null;
    playing = false;
    deps.onPlaying?.(false);
    media.classList.remove("sora-playing");
    media.style.removeProperty("aspect-ratio");
    syncMute();
  };

  /** @param {"thumbnail" | "spritesheet"} variant */
  const loadMedia = (variant) => {
    if (loaded[variant] || loading.has(variant)) return;
    loading.add(variant);
    deps
      .media(getItem(), variant)
      .then((url) => {
        if (destroyed || !url) return;
        loaded[variant] = url;
        if (variant === "thumbnail") {
          thumbImg.src = url;
          backdrop.style.backgroundImage = `url("${url}")`;
          deps.root.classList.add("sora-has-thumb");
        } else {
          sprite.style.backgroundImage = `url("${url}")`;
          const img = new Image();
          img.decoding = "async";
          img.src = url;
          img
            .decode()
            .then(() => {
              if (destroyed) return;
              sheet = img;
              if (frame >= 0) showFrame(frame);
            })
            .catch(() => {
              /* the CSS sprite still shows */
            });
          if (frame >= 0) showFrame(frame);
        }
      })
      .catch(() => {
        /* media missing (expired, backend without variants): the placeholder stays */
      })
      .finally(() => loading.delete(variant));
  };

  return {
    el: media,
    get hasThumb() {
      return !!loaded.thumbnail;
    },
    get frame() {
      return frame;
    },
    get playing() {
      return playing;
    },
    /** Play (opening the player, from 0 s) or pause, as asked from the kernel. @param {boolean} on */
    setPlaying(on) {
      if (on && !video) play(false);
      else if (on && video?.paused) video.play().catch(() => {});
      else if (!on && video && !video.paused) video.pause();
    },
    /** @param {Item} item */
    update(item) {
      const s = item.status;
      const dims = parseSize(item.size);
      if (dims) frameBox.style.aspectRatio = `${dims.width} / ${dims.height}`;
      media.dataset.orientation = orientationOf(item.size);
      placeholderText.textContent =
        s === "completed" ? "" : s === "failed" ? "No video" : s === "cancelled" ? "Cancelled" : s === "expired" ? "Expired on the backend" : s === "deleted" ? "Deleted" : "";
      const canPlay = s === "completed";
      thumbButton.hidden = !canPlay || playing;
      if (!canPlay && playing) stopVideo();
      if (canPlay && item.has_thumbnail) loadMedia("thumbnail");
      if (canPlay && item.has_spritesheet && item.sprite) loadMedia("spritesheet");
      if (hoverFraction != null && canPlay) scrubToHover();
      else if (frame < 0) showFrame(-1);
    },
    /** @param {string} text words on the placeholder (running states) */
    setPlaceholder(text) {
      placeholderText.textContent = text;
    },
    destroy() {
      destroyed = true;
      stopVideo();
    },
  };
}
