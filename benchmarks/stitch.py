"""Stitch benchmark: joining 3 x 12 s 1280x720 clips, stream copy vs re-encode, in one run.

The emulator renders three 12 s 1280x720 sora-2 clips (through the public API, like any job); then
``sora_widgets.stitch`` joins them both ways, each repeated (median reported). The baseline is the re-encode
(decode every frame, encode H.264 again), which is what a stitcher does without the codec-parameter check.
Targets: stream copy under 1 s for the 36 s result, and at most 0.05 of the re-encode's time.

    .venv/bin/python benchmarks/stitch.py               # 5 copies, 2 re-encodes
    .venv/bin/python benchmarks/stitch.py --repeat 1    # quick check
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sora_widgets as sw
from sora_widgets import export, stitch

warnings.filterwarnings("ignore", message="The Sora API is scheduled", category=DeprecationWarning)

PROMPTS = ("a red ball bouncing across a sunset", "three blue cubes spinning in space",
           "a golden star pulsing over the ocean")


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="stream copies (re-encodes: max(1, repeat // 2))")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-stitch-"))
    with sw.start_emulator(speed=40, seed=3, data_dir=tmp / "emulator") as emu:
        sw.configure(base_url=emu.base_url, api_key=emu.api_key, home=tmp / "home")
        jobs = [sw.submit(p, model="sora-2", size="1280x720", seconds="12") for p in PROMPTS]
        for job in jobs:
            job.wait(600)
            assert job.status == "completed", job.error
        clips = [job.video_path for job in jobs]
        sw.api.reset()
    total = sum(export.probe(c).duration_s for c in clips)
    print(f"clips: 3 x {export.probe(clips[0]).duration_s:.0f} s 1280x720 H.264 ({total:.0f} s in all)")

    copy_s, copied = timed(lambda: stitch.stitch(clips, tmp / "copy.mp4", copy=True), args.repeat)
    encode_s, encoded = timed(lambda: stitch.stitch(clips, tmp / "encode.mp4", copy=False), max(1, args.repeat // 2))
    for name, result in (("stream copy", copied), ("re-encode", encoded)):
        info = export.probe(result.path)
        assert info.frames == 3 * 12 * 24 and abs(info.duration_s - total) < 1e-6, (name, info)
    print(f"stream copy: {copy_s:.3f} s median ({copied.frames} frames, {copied.frames / copy_s:,.0f} frames/s)"
          f"  target < 1 s")
    print(f"re-encode:   {encode_s:.3f} s median ({encoded.frames / encode_s:,.0f} frames/s)")
    ratio = copy_s / encode_s
    print(f"ratio stream copy / re-encode: {ratio:.4f}  (target <= 0.05; {1 / ratio:,.0f}x faster)")
    missed = [m for m, bad in (("stream copy >= 1 s", copy_s >= 1.0), ("ratio > 0.05", ratio > 0.05)) if bad]
    if missed:
        print("MISSED: " + "; ".join(missed))
        sys.exit(1)


if __name__ == "__main__":
    main()
