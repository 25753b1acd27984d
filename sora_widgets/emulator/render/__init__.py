"""Procedural media for the emulator: an MP4 rendered from the prompt, plus its thumbnail and spritesheet.

Nothing here is a canned clip. The prompt is read for

- **colours** (``red``, ``teal``, ``golden`` ... see :data:`COLOURS`): the first one colours the main shapes; a
  ``<colour> background`` phrase sets the background; mood words (``sunset``, ``night``, ``ocean``, ``forest``,
  ``cozy`` ...) pick a background gradient;
- **shapes** (``cube``/``box`` -> square, ``ball``/``sun`` -> circle, ``pyramid`` -> triangle, ``star``, ``donut``
  -> ring, ... see :data:`SHAPES`), with number words (``three balls``);
- **motion** (``spinning``, ``bouncing``/``jumping``, ``zoom``, ``pan``/``tracking``, ``falling``, ``rising``/
  ``steam``, ``pulsing``, ``orbiting``, ``shaking``; ``slowly``/``fast`` scale the speed; see :data:`MOTIONS`).

The prompt is drawn as a caption, a thin timeline bar runs along the bottom, and everything else that is not
named by the prompt (positions, the default palette) comes from a hash of the inputs: the same inputs always give
the same video. With a reference image the image itself is frame 0 and is then animated with a slow pan/zoom
under the prompt's shapes. A remix renders its source's scene changed by the remix prompt (new colours and
shapes, a hue shift and a different motion seed), so it is a visible variation of its source.

Output: H.264 (libx264) MP4, yuv420p, 24 fps, ``+faststart``, exactly ``width x height`` and
``seconds * 24`` frames. Thumbnail (WebP) and spritesheet (JPEG) use :mod:`sora_widgets.media`'s geometry.

:func:`render_job` is the entry point; it takes and returns plain dicts so it can run in a worker process.
"""

from __future__ import annotations

from .encode import RenderCancelled, render_job, render_video
from .raster import FPS, FrameMaker
from .scene import COLOURS, MOODS, MOTIONS, SHAPES, Scene, parse_prompt

__all__ = ["COLOURS", "FPS", "MOODS", "MOTIONS", "SHAPES", "FrameMaker", "RenderCancelled", "Scene", "parse_prompt",
           "render_job", "render_video"]
