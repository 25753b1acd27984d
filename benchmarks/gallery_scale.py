"""The Gallery at scale (``benchmarks/frontend.py --count 10000``): 200 and N journaled videos in one run.

For each size, in one JupyterLab + Debian chromium: a fresh journal gets two real renders (emulator) and copies
of their rows straight through the journal API (tests/ui/bulk_journal.py, no rendering), then

- first paint: running the ``sw.Gallery()`` cell -> the first card with its thumbnail decoded (target < 1 s);
- search: typing a query -> ``data-count`` shows the new total and the first card is a match (< 200 ms);
- scrolling: the list scrolled by a third of its height per second for 3 s, one step per animation frame,
  counting animation frames (>= 50 fps), and the most cards in the DOM meanwhile;
- JS heap (``performance.memory``, Chromium) before and after scrolling through the whole list;
- kernel memory: the kernel's RSS growth from before the gallery to after the scroll-through, and what one more
  ``sw.Gallery()`` with its first window holds (tracemalloc).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bulk_journal import bulk_cell, expected
from ui_harness import JupyterServer, NotebookPage, find_chromium, launch_browser, watch_page

TARGET_FIRST_PAINT_S = 1.0
TARGET_SEARCH_S = 0.2
TARGET_SCROLL_FPS = 50.0

RSS = "int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) * 1024"
SHOW = f"_rss_before = {RSS}\ngallery = sw.Gallery()\ngallery"
KERNEL_MEMORY = f"""\
import gc, json, tracemalloc
gc.collect()
_rss_after = {RSS}
tracemalloc.start()
_g2 = sw.Gallery()
_held = tracemalloc.get_traced_memory()[0]
tracemalloc.stop()
_g2.close()
print("MEM" + json.dumps({{"rss_growth": _rss_after - _rss_before, "gallery_object": _held, "rss": _rss_after}}))
"""

_FIRST_PAINT_JS = """
() => new Promise((resolve) => {
  const t0 = performance.now();
  const tick = () => {
    const img = document.querySelector('.sora-gallery .sora-card[data-index="0"] img');
    if (img && img.complete && img.naturalWidth > 0) return resolve((performance.now() - t0) / 1000);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  window.jupyterapp.shell.currentWidget.content.activeCellIndex = 1;
  window.jupyterapp.commands.execute('notebook:run-cell');
})
"""

_SEARCH_JS = """
([text, count]) => new Promise((resolve) => {
  const g = document.querySelector('.sora-gallery');
  const input = g.querySelector('input[type=search]');
  const t0 = performance.now();
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  const tick = () => {
    const first = g.querySelector('.sora-card[data-index="0"][data-job-id] .sora-prompt');
    const done = g.dataset.count === String(count) && first && first.textContent.includes(text);
    if (done) return resolve((performance.now() - t0) / 1000);
    requestAnimationFrame(tick);
  };
  tick();
})
"""

_SCROLL_JS = """
(ms) => new Promise((resolve) => {
  const s = document.querySelector('.sora-gallery .sora-scroller');
  const speed = (s.scrollHeight / 3) / 1000;  // px per ms
  let frames = 0, most = 0, worst = 0, last = performance.now();
  const t0 = last;
  const tick = () => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
    frames += 1;
    s.scrollTop = (now - t0) * speed;
    most = Math.max(most, s.querySelectorAll('.sora-card').length);
    if (now - t0 < ms) return requestAnimationFrame(tick);
    resolve({ fps: frames / ((now - t0) / 1000), most, worstFrameMs: worst });
  };
  requestAnimationFrame(tick);
})
"""

_THROUGH_JS = """
async () => {
  const s = document.querySelector('.sora-gallery .sora-scroller');
  const heap = () => (performance.memory ? performance.memory.usedJSHeapSize : null);
  s.scrollTop = 0;
  await new Promise((r) => setTimeout(r, 300));
  const before = heap();
  const t0 = performance.now();
  while (s.scrollTop + s.clientHeight < s.scrollHeight - 1) {
    s.scrollTop += s.clientHeight;
    await new Promise((r) => requestAnimationFrame(r));
  }
  const total = Number(document.querySelector('.sora-gallery').dataset.count);
  const last = `.sora-card[data-index="${total - 1}"][data-job-id]`;
  while (!s.querySelector(last)) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 1000));  // previews in flight land, then are let go
  return { before, after: heap(), seconds, cards: s.querySelectorAll('.sora-card').length };
}
"""


def _measure(server: JupyterServer, page: Any, count: int) -> dict[str, Any]:
    name = server.write_notebook(f"gallery{count}.ipynb", [bulk_cell(count, f"sora-bench-{count}-"), SHOW])
    nb = NotebookPage(page, server, name).open()
    page.evaluate(
        "() => { const p = window.jupyterapp.shell.currentWidget; p.content.activeCellIndex = 0;"
        " window.jupyterapp.commands.execute('notebook:run-cell'); }"
    )
    nb.wait_for(
        "() => JSON.stringify(window.jupyterapp.shell.currentWidget.content.model.cells.get(0).outputs.toJSON())"
        ".includes('journaled')",
        f"{count} jobs to be journaled",
        timeout_s=300,
    )
    nb.wait_kernel_idle()
    out: dict[str, Any] = {"count": count, "journaled": nb.output_text(0).strip().splitlines()[-1]}
    out["first_paint_s"] = round(page.evaluate(_FIRST_PAINT_JS), 3)
    nb.wait_kernel_idle()
    page.wait_for_timeout(500)  # the first screen's spritesheets land: the search is timed on a quiet view
    searches = [page.evaluate(_SEARCH_JS, [q, expected(count, q.split()[0]) if q != "" else count])
                for q in ("gold kite", "blue kite", "red kite")]  # fmt: skip
    out["search_s"] = [round(x, 3) for x in searches]
    gallery_input = page.locator(".sora-gallery input[type=search]").first
    gallery_input.fill("")
    nb.wait_for(f"() => document.querySelector('.sora-gallery').dataset.count === '{count}'", "search cleared")
    scroll = page.evaluate(_SCROLL_JS, 3000)
    out["scroll_fps"] = round(scroll["fps"], 1)
    out["scroll_worst_frame_ms"] = round(scroll["worstFrameMs"], 1)
    out["cards_in_dom_max"] = scroll["most"]
    through = page.evaluate(_THROUGH_JS)
    out["scroll_through_s"] = round(through["seconds"], 2)
    out["heap_before_mb"] = through["before"] and round(through["before"] / 1e6, 1)
    out["heap_after_mb"] = through["after"] and round(through["after"] / 1e6, 1)
    out["cards_after"] = through["cards"]
    cells = "window.jupyterapp.shell.currentWidget.content"
    page.evaluate(
        f"(src) => {{ const c = {cells}; c.activeCellIndex = 1;"
        " window.jupyterapp.commands.execute('notebook:insert-cell-below');"
        f" c.activeCell.model.sharedModel.setSource(src); window.jupyterapp.commands.execute('notebook:run-cell'); }}",
        KERNEL_MEMORY,
    )
    text = nb.wait_for(
        f"() => {{ const t = JSON.stringify({cells}.model.cells.get(2).outputs.toJSON());"
        " return t.includes('MEM') && t; }",
        "the kernel's memory figures",
        timeout_s=60,
    )
    mem = json.loads(text.split("MEM", 1)[1].split("\\n", 1)[0].replace('\\"', '"'))
    out["kernel_rss_growth_mb"] = round(mem["rss_growth"] / 1e6, 1)
    out["kernel_rss_mb"] = round(mem["rss"] / 1e6, 1)
    out["gallery_object_kb"] = round(mem["gallery_object"] / 1e3, 1)
    return out


def run(count: int, work: Path) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("Debian chromium not found on PATH (apt-get install -y chromium)")
    env = {"SORA_WIDGETS_EMULATOR_SPEED": "20"}
    results = []
    with JupyterServer("lab", work / "lab", kernel_env=env) as server, sync_playwright() as pw:
        browser = launch_browser(pw, chromium)
        for n in (200, count):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            problems = watch_page(page)
            started = time.perf_counter()
            figures = _measure(server, page, n)
            figures["run_s"] = round(time.perf_counter() - started, 1)
            figures["page_problems"] = problems.unexpected()
            results.append(figures)
            page.close()
        browser.close()
    return results


def report(results: list[dict[str, Any]]) -> str:
    rows = [
        ("first paint (first card + thumbnail)", "first_paint_s", f"< {TARGET_FIRST_PAINT_S:.0f} s", " s"),
        ("search results (3 queries)", "search_s", f"< {TARGET_SEARCH_S * 1000:.0f} ms", " s"),
        ("scrolling", "scroll_fps", f">= {TARGET_SCROLL_FPS:.0f} fps", " fps"),
        ("worst frame while scrolling", "scroll_worst_frame_ms", "", " ms"),
        ("most cards in the DOM while scrolling", "cards_in_dom_max", "", ""),
        ("scroll through all (a screen a frame)", "scroll_through_s", "", " s"),
        ("JS heap before / after scrolling through", ("heap_before_mb", "heap_after_mb"), "bounded", " MB"),
        ("kernel RSS growth, gallery shown + scrolled", "kernel_rss_growth_mb", "reported", " MB"),
        ("one more sw.Gallery() with its first window", "gallery_object_kb", "reported", " kB"),
    ]
    head = f"{'':46} " + " ".join(f"{str(r['count']) + ' videos':>20}" for r in results) + "   target"
    lines = [head]
    for label, key, target, unit in rows:
        cells = []
        for r in results:
            value = " / ".join(str(r[k]) for k in key) if isinstance(key, tuple) else r[key]
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            cells.append(f"{str(value) + unit:>20}")
        lines.append(f"{label:46} " + " ".join(cells) + f"   {target}")
    for r in results:
        lines.append(f"{r['count']}: {r['journaled']} (run {r['run_s']} s)")
        if r["page_problems"]:
            lines.append(f"{r['count']}: browser errors: " + "; ".join(r["page_problems"]))
    return "\n".join(lines)


def met(results: list[dict[str, Any]]) -> bool:
    return all(
        r["first_paint_s"] < TARGET_FIRST_PAINT_S
        and max(r["search_s"]) < TARGET_SEARCH_S
        and r["scroll_fps"] >= TARGET_SCROLL_FPS
        and r["cards_after"] < 100
        for r in results
    )
