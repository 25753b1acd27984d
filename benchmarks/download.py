"""Download benchmark: a 200 MB video through the engine's streamed download raises peak RSS by less than 32 MB.

The emulator renders a small clip; while the job is still ``in_progress`` the benchmark swaps the clip on the
emulator's disk for a 200 MB one (the same MP4 plus a 200 MB ``free`` box, still a valid MP4), so the engine
downloads, verifies (PyAV) and renames 200 MB. Baseline in the same run: the SDK's
``download_content(...).content`` (the whole body in memory), measured after ours.

    .venv/bin/python benchmarks/download.py               # 200 MB
    .venv/bin/python benchmarks/download.py --mb 50       # quick check
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sora_widgets as sw
from sora_widgets.profiles import BackendProfile, ModelSpec

warnings.filterwarnings("ignore", message="The Sora API is scheduled", category=DeprecationWarning)

PROFILE = BackendProfile(name="bench-download", models=(ModelSpec("bench-1", ("96x64",), ("1",), {"*": 0.0}),))


class PeakRss:
    """Samples this process's RSS every 2 ms in a thread; ``peak`` is the highest seen."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.002)

    def __enter__(self) -> PeakRss:
        self.start = self.proc.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def inflate(small: Path, extra_bytes: int) -> int:
    """Append a ``free`` box of ``extra_bytes`` to the MP4 ``small`` (atomically); returns the new size."""
    part = small.with_name(small.name + ".big")
    chunk = bytes(1 << 20)
    with open(small, "rb") as src, open(part, "wb") as out:
        out.write(src.read())
        out.write(struct.pack(">I", extra_bytes) + b"free")
        left = extra_bytes - 8
        while left > 0:
            n = min(left, len(chunk))
            out.write(chunk[:n])
            left -= n
    os.replace(part, small)
    return small.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-download-"))
    data_dir = tmp / "emulator"
    with sw.start_emulator(speed=1.0, seed=2, profile=PROFILE, job_duration_s=10, data_dir=data_dir) as emu:
        sw.configure(base_url=emu.base_url, api_key=emu.api_key, home=tmp / "home", profile=PROFILE)
        sw.generate("warm-up: a small clip", cache=False, timeout=120)  # imports, threads, PyAV: all warm

        job = sw.submit("the big one", cache=False)
        deadline = time.monotonic() + 60
        while not job.video_id:
            assert time.monotonic() < deadline, "create not acknowledged"
            time.sleep(0.01)
        rendered = data_dir / "videos" / job.video_id / "video.mp4"
        while not rendered.exists():
            assert time.monotonic() < deadline, "render did not finish"
            time.sleep(0.01)
        assert job.status != "completed", "the job completed before the swap; raise job_duration_s"
        size = inflate(rendered, args.mb * 1024 * 1024)
        with PeakRss() as ours:
            job.wait(timeout=300)
        assert job.status == "completed" and job.video_path is not None, job.error
        assert job.video_path.stat().st_size == size, "downloaded size differs"
        ours_mb = (ours.peak - ours.start) / 2**20
        print(f"engine streamed download of {size / 2**20:.0f} MB: peak RSS +{ours_mb:.1f} MB (target < 32 MB)")

        import openai

        client = openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key)
        with PeakRss() as naive:
            body = client.videos.download_content(job.video_id).content
        assert len(body) == size
        del body
        naive_mb = (naive.peak - naive.start) / 2**20
        print(f"baseline download_content().content:       peak RSS +{naive_mb:.1f} MB")
        print(f"ratio engine / baseline: {ours_mb / naive_mb:.3f}")
        sw.api.reset()


if __name__ == "__main__":
    main()
