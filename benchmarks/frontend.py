"""Front-end benchmark: a Gallery of completed videos in a real JupyterLab (Playwright + Debian chromium).

Measures, in one run:

- time from running the ``sw.Gallery()`` cell to the first card on screen, and to every thumbnail of the
  first screen decoded (target: under 1 s);
- scrolling through the rest (a screen at a time, as soon as the screen's thumbnails are decoded): time per
  screen, and the total to have shown every thumbnail of the gallery (first screen included);
- the scrub frame rate: synthetic pointer moves over a thumbnail, one per animation frame, counting how
  many animation frames show a new spritesheet frame (target: at least 50 fps);
- the size of the notebook saved by JupyterLab with widget state, against the same videos shown with
  ``IPython.display.Video(embed=True)`` (target: under 1 MB).

Run::

    .venv/bin/python benchmarks/frontend.py                  # 200 videos, default page (24 cards)
    .venv/bin/python benchmarks/frontend.py --page-size 200  # all 200 on one page
    .venv/bin/python benchmarks/frontend.py --count 20       # quick look
    .venv/bin/python benchmarks/frontend.py --count 10000    # the gallery at scale, beside 200 (gallery_scale.py)

The videos come from a local emulator started here with near-instant jobs, so making them costs only the
rendering (``--cache-dir DIR`` keeps them for the next run). Exits 1 when a target is missed. Figures are
recorded in benchmarks/README.md ("Front end").
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "ui"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ui_harness import JupyterServer, NotebookPage, find_chromium, launch_browser, watch_page  # noqa: E402 (after the sys.path lines)

TARGET_RENDER_S = 1.0
TARGET_SCRUB_FPS = 50.0
TARGET_NOTEBOOK_BYTES = 1_000_000
#: Above this many videos they are journaled copies (no rendering) and measured beside 200 (gallery_scale.py).
SCALE_FROM = 1000

# Cell 0 makes the videos (not timed), cell 1 shows the gallery (timed from the browser).
MAKE_VIDEOS = """\
import json
import sora_widgets as sw

prompts = [f"Clip {{i}}: a paper boat on a pond, {{'sunrise' if i % 2 else 'dusk'}}" for i in range({count})]
jobs = [sw.submit(p, seconds={seconds!r}, size={size!r}) for p in prompts]
for job in jobs:
    job.wait(timeout=600)
assert all(job.status == "completed" for job in jobs), [job.status for job in jobs if job.status != "completed"]
with open("videos.json", "w") as f:
    json.dump([str(job.video_path) for job in jobs], f)
print("videos ready:", len(jobs))
"""

SHOW_GALLERY = """\
gallery = sw.Gallery(page_size={page_size})
gallery
"""

# Marks, in page time: the first .sora-gallery card, and the moment every card on the first screen (the cards
# of the virtual list's viewport) has its thumbnail decoded.
_WATCH_GALLERY_JS = """
(count) => {
  const marks = (window.__benchMarks = { t0: performance.now() });
  const onScreen = () => {
    const s = document.querySelector('.sora-gallery .sora-scroller');
    if (!s) return [];
    const box = s.getBoundingClientRect();
    return [...s.querySelectorAll('.sora-vgrid > .sora-card')].filter((c) => {
      const r = c.getBoundingClientRect();
      return r.bottom > box.top && r.top < box.bottom;
    });
  };
  const filled = () => {
    const cards = onScreen();
    return cards.length >= Math.min(count, 1) && cards.every((c) => c.dataset.jobId);
  };
  const thumbsReady = () => filled() && onScreen().every((card) => {
    const img = card.querySelector('img');
    return img && img.complete && img.naturalWidth > 0;
  });
  const srcsSet = () => filled() && onScreen().every((card) => card.querySelector('img')?.getAttribute('src'));
  const tick = () => {
    const now = performance.now();
    if (marks.first === undefined && document.querySelector('.sora-gallery .sora-card[data-job-id]')) marks.first = now;
    if (marks.cards === undefined && filled()) marks.cards = now;
    if (marks.bytes === undefined && srcsSet()) marks.bytes = now;
    if (marks.all === undefined && thumbsReady()) marks.all = now;
    if (marks.all === undefined) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  const panel = window.jupyterapp.shell.currentWidget;
  panel.content.activeCellIndex = 1;
  window.jupyterapp.commands.execute('notebook:run-cell');
}
"""

# Scrolls the gallery's list a screen at a time as soon as every card on screen shows a decoded thumbnail, to
# the end; the time of each screen (scroll -> its cards with decoded thumbnails).
_PAGE_THROUGH_JS = """
async () => {
  const gallery = document.querySelector('.sora-gallery');
  const s = gallery.querySelector('.sora-scroller');
  const onScreen = () => [...gallery.querySelectorAll('.sora-vgrid > .sora-card')].filter((c) => {
    const r = c.getBoundingClientRect(), box = s.getBoundingClientRect();
    return r.bottom > box.top && r.top < box.bottom;
  });
  const ready = () => onScreen().every((card) => {
    const img = card.dataset.jobId && card.querySelector('img');
    return img && img.complete && img.naturalWidth > 0;
  });
  const screens = [];
  while (s.scrollTop + s.clientHeight < s.scrollHeight - 1) {
    const t = performance.now();
    s.scrollTop += s.clientHeight;
    await new Promise((resolve) => {
      const tick = () => (ready() ? resolve() : requestAnimationFrame(tick));
      requestAnimationFrame(tick);
    });
    screens.push((performance.now() - t) / 1000);
  }
  return screens;
}
"""

# Sweeps pointer moves over the first card's thumbnail for `ms`, one per animation frame, and counts the
# animation frames at which the card shows a different spritesheet frame than at the previous one.
_SCRUB_JS = """
async (ms) => {
  const card = document.querySelector('.sora-gallery .sora-card');
  const thumb = [...card.querySelectorAll('button')].find((b) => b.getAttribute('aria-label') === 'Play video'
      || b.textContent.trim() === 'Play video') || card.querySelector('button');
  const rect = thumb.getBoundingClientRect();
  const y = rect.top + rect.height / 2;
  const fire = (type, x) => {
    const init = { bubbles: true, cancelable: true, clientX: x, clientY: y, pointerType: 'mouse', pointerId: 1 };
    thumb.dispatchEvent(type.startsWith('pointer') ? new PointerEvent(type, init) : new MouseEvent(type, init));
  };
  const bins = 8;  // media.py: a spritesheet has at least 8 frames, so neighbouring bins differ
  const xAt = (i) => rect.left + ((i + 0.5) / bins) * rect.width;
  for (const type of ['pointerover', 'pointerenter', 'mouseover', 'mouseenter']) fire(type, xAt(0));
  await new Promise((r) => requestAnimationFrame(r));
  let last = card.dataset.scrubFrame;
  let changes = 0, ticks = 0, step = 0;
  const frames = new Set();
  const start = performance.now();
  await new Promise((resolve) => {
    const tick = () => {
      const shown = card.dataset.scrubFrame;
      if (ticks > 0 && shown !== last) changes += 1;
      if (shown !== '-1') frames.add(shown);
      last = shown;
      if (performance.now() - start >= ms) return resolve();
      ticks += 1;
      step += 1;
      const k = step % (2 * bins - 2);
      const bin = k < bins ? k : 2 * bins - 2 - k;  // ping-pong 0..7..0
      fire('pointermove', xAt(bin));
      fire('mousemove', xAt(bin));
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const elapsed = (performance.now() - start) / 1000;
  for (const type of ['pointerout', 'pointerleave', 'mouseout', 'mouseleave']) fire(type, rect.left - 5);
  return { changes, ticks, elapsed, distinct: frames.size, fps: changes / elapsed, rafFps: ticks / elapsed };
}
"""


def _video_notebook(video_paths: list[str], path: Path) -> int:
    """The baseline: the same videos as ``IPython.display.Video(embed=True)`` outputs; returns the size."""
    import nbformat
    from IPython.display import Video

    outputs = []
    for video in video_paths:
        shown = Video(video, embed=True)
        outputs.append(
            nbformat.v4.new_output(
                "display_data", data={"text/html": shown._repr_html_(), "text/plain": repr(shown)}
            )
        )
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        "from IPython.display import Video, display\nfor path in paths:\n    display(Video(path, embed=True))"
    )
    cell.outputs = outputs
    nb.cells = [cell]
    nbformat.write(nb, path)
    return path.stat().st_size


def run(
    count: int, seconds: str, size: str, page_size: int, scrub_ms: int, work: Path, cache: Path
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    import sora_widgets as sw

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("Debian chromium not found on PATH (apt-get install -y chromium)")
    results: dict[str, Any] = {"count": count, "seconds": seconds, "size": size, "page_size": page_size}
    # Jobs take no time in progress and never expire: only the rendering costs. With a kept cache dir the
    # journal and the emulator's videos survive, and `sw.submit(cache=True)` reuses them on the next run.
    emulator = sw.start_emulator(
        job_duration_s=0.05, expires_after_s=30 * 24 * 3600, seed=7, data_dir=cache / "emulator",
        api_key="sk-emulator-frontend-benchmark", port=_cached_port(cache),
    )  # fmt: skip
    with emulator as emu:
        env = {
            "OPENAI_BASE_URL": emu.base_url,
            "OPENAI_API_KEY": emu.api_key,
            "SORA_WIDGETS_HOME": str(cache / "home"),
        }
        # saveState: JupyterLab stores widget state in the notebook on save, as a user who shares it would.
        settings = {"@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True}}
        server = JupyterServer("lab", work / "lab", kernel_env=env, settings=settings)
        # The gallery shows every journaled job: a cache made with another --count holds other videos.
        with server, sync_playwright() as pw:
            browser = launch_browser(pw, chromium)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            problems = watch_page(page)
            name = server.write_notebook(
                "gallery.ipynb",
                [
                    MAKE_VIDEOS.format(count=count, seconds=seconds, size=size),
                    SHOW_GALLERY.format(page_size=page_size),
                ],
            )
            nb = NotebookPage(page, server, name).open()

            started = time.perf_counter()
            page.evaluate(
                "() => { const p = window.jupyterapp.shell.currentWidget; p.content.activeCellIndex = 0;"
                " window.jupyterapp.commands.execute('notebook:run-cell'); }"
            )
            nb.wait_for(
                "() => { const c = window.jupyterapp.shell.currentWidget.content.model.cells.get(0);"
                " return c.outputs.length && JSON.stringify(c.outputs.toJSON()).includes('videos ready'); }",
                f"{count} videos to be generated",
                timeout_s=900,
            )
            results["make_videos_s"] = round(time.perf_counter() - started, 1)
            nb.wait_kernel_idle()

            shown = min(count, page_size)
            page.evaluate(_WATCH_GALLERY_JS, shown)
            marks = nb.wait_for(
                "() => window.__benchMarks.all !== undefined && window.__benchMarks",
                "the thumbnails of the gallery's first screen to load",
                timeout_s=120,
            )
            results["gallery_count"] = int(page.locator(".sora-gallery").first.get_attribute("data-count"))
            results["first_card_s"] = round((marks["first"] - marks["t0"]) / 1000, 3)
            results["all_thumbnails_s"] = round((marks["all"] - marks["t0"]) / 1000, 3)
            # where the time goes: every card in the DOM, every thumbnail's bytes in (img src set)
            results["all_cards_s"] = round((marks["cards"] - marks["t0"]) / 1000, 3)
            results["all_thumbnail_bytes_s"] = round((marks["bytes"] - marks["t0"]) / 1000, 3)

            scrub = page.evaluate(_SCRUB_JS, scrub_ms)
            results["scrub_fps"] = round(scrub["fps"], 1)
            results["raf_fps"] = round(scrub["rafFps"], 1)
            results["scrub_distinct_frames"] = scrub["distinct"]

            pages = page.evaluate(_PAGE_THROUGH_JS)
            results["pages"] = 1 + len(pages)
            results["next_page_s"] = [round(x, 3) for x in pages]
            results["every_thumbnail_s"] = round(results["all_thumbnails_s"] + sum(pages), 3)

            nb.save()
            results["widget_notebook_bytes"] = (server.root_dir / name).stat().st_size
            saved = server.read_notebook(name)
            results["widget_state_bytes"] = len(json.dumps(saved.get("metadata", {}).get("widgets", {})))
            videos = json.loads((server.root_dir / "videos.json").read_text())
            results["video_embed_notebook_bytes"] = _video_notebook(videos, work / "video_embed.ipynb")
            results["page_problems"] = problems.unexpected()
            browser.close()
    return results


def _cached_port(cache: Path) -> int:
    """The emulator's port from an earlier run (the journal records the base URL), else a free one."""
    from ui_harness import free_port

    path = cache / "port"
    if path.exists():
        return int(path.read_text())
    cache.mkdir(parents=True, exist_ok=True)
    port = free_port()
    path.write_text(str(port))
    return port


def _spread(values: list[float]) -> str:
    if not values:
        return "(one page only)"
    ordered = sorted(values)
    return f"median {ordered[len(ordered) // 2]:.3f} s, max {ordered[-1]:.3f} s"


def report(r: dict[str, Any]) -> str:
    mb = 1_000_000
    lines = [
        (
            f"videos: {r['count']} x {r['seconds']} s at {r['size']} (made in {r['make_videos_s']} s, not timed);"
            f" gallery data-count {r['gallery_count']}, {min(r['count'], r['page_size'])} cards shown first"
        ),
        f"first card:      {r['first_card_s']:.3f} s   (target < {TARGET_RENDER_S:.0f} s)",
        (
            f"all thumbnails:  {r['all_thumbnails_s']:.3f} s   (first screen; target < {TARGET_RENDER_S:.0f} s;"
            f" all cards in the DOM at {r['all_cards_s']:.3f} s, all thumbnail bytes in at"
            f" {r['all_thumbnail_bytes_s']:.3f} s)"
        ),
        (
            f"scrolling on:    {r['pages']} screens; each next screen {_spread(r['next_page_s'])};"
            f" every thumbnail of the gallery shown after {r['every_thumbnail_s']:.3f} s of scrolling"
        ),
        (
            f"scrub:           {r['scrub_fps']:.1f} fps, {r['scrub_distinct_frames']} distinct frames"
            f" (animation frames: {r['raf_fps']:.1f} fps; target >= {TARGET_SCRUB_FPS:.0f})"
        ),
        (
            f"saved notebook:  {r['widget_notebook_bytes'] / mb:.3f} MB with widget state"
            f" vs {r['video_embed_notebook_bytes'] / mb:.3f} MB with Video(embed=True)"
            f" -> ratio {r['widget_notebook_bytes'] / r['video_embed_notebook_bytes']:.3f}"
            f" (target < {TARGET_NOTEBOOK_BYTES / mb:.0f} MB; widget state {r['widget_state_bytes'] / mb:.3f} MB of it)"
        ),
    ]
    if r["page_problems"]:
        lines.append("browser errors: " + "; ".join(r["page_problems"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="videos in the gallery (default 200)")
    parser.add_argument("--seconds", default="4", help="clip length, as the protocol sends it (default 4)")
    parser.add_argument("--size", default="720x1280", help="clip size (default 720x1280)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        help="keep the videos here and reuse them on the next run (default: a temp dir)",
    )
    parser.add_argument(
        "--page-size",
        type=int,
        default=24,
        help="gallery cards per page (default 24, the Gallery's; 200: all at once)",
    )
    parser.add_argument("--scrub-ms", type=int, default=2000, help="how long to scrub (default 2000 ms)")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    args = parser.parse_args(argv)
    if args.count > SCALE_FROM:
        import gallery_scale

        with tempfile.TemporaryDirectory(prefix="sora-bench-gallery-") as tmp:
            figures = gallery_scale.run(args.count, Path(tmp))
        print(gallery_scale.report(figures))
        if args.json:
            print(json.dumps(figures, indent=2))
        return 0 if gallery_scale.met(figures) else 1
    with tempfile.TemporaryDirectory(prefix="sora-bench-frontend-") as tmp:
        cache = args.cache_dir.resolve() if args.cache_dir else Path(tmp) / "cache"
        results = run(args.count, args.seconds, args.size, args.page_size, args.scrub_ms, Path(tmp), cache)
    print(report(results))
    if args.json:
        print(json.dumps(results, indent=2))
    ok = (
        results["all_thumbnails_s"] < TARGET_RENDER_S
        and results["scrub_fps"] >= TARGET_SCRUB_FPS
        and results["widget_notebook_bytes"] < TARGET_NOTEBOOK_BYTES
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
