"""Fleet benchmark: 200 jobs in flight. Status requests per minute with ``list`` refresh vs one GET per job, and
the engine loop's lag (p99) while it keeps them all up to date.

Each mode gets a fresh emulator whose jobs stay in flight for the whole window (``job_duration_s`` long, a few
render slots, so most are ``queued`` as on a busy backend). Lag is measured by a probe task on the engine's own
event loop: ``asyncio.sleep(10 ms)`` and how late it wakes.

    .venv/bin/python benchmarks/fleet.py                          # 200 jobs, 60 s window per mode
    .venv/bin/python benchmarks/fleet.py --jobs 50 --window 15    # quick check
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sora_widgets import start_emulator
from sora_widgets.engine import Settings
from sora_widgets.params import VideoRequest
from sora_widgets.profiles import BackendProfile, ModelSpec
from sora_widgets.session import Session

warnings.filterwarnings("ignore", message="The Sora API is scheduled", category=DeprecationWarning)

PROFILE = BackendProfile(name="bench-fleet", models=(ModelSpec("bench-1", ("96x64",), ("1",), {"*": 0.0}),))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def lag_probe(samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.01)
        samples.append(time.perf_counter() - start - 0.01)


def status_requests(emu) -> int:
    requests = emu.stats()["requests"]
    return int(requests.get("retrieve", 0)) + int(requests.get("list", 0))


def run_mode(name: str, use_list: bool, jobs: int, window: float, tmp: Path) -> tuple[float, float, float, int]:
    with start_emulator(speed=1.0, seed=5, profile=PROFILE, job_duration_s=3600, max_concurrent_renders=4,
                        data_dir=tmp / f"emu-{name}") as emu:
        session = Session.standalone(Settings(profile=PROFILE, home=tmp / name, base_url=emu.base_url,
                                              api_key=emu.api_key, list_threshold=8 if use_list else 10**9))
        engine = session.engine()
        submitted = [session.submit(VideoRequest(f"fleet {name} job {i}", cache=False)) for i in range(jobs)]
        deadline = time.monotonic() + 120
        while not all(j.video_id for j in submitted):
            if time.monotonic() > deadline:
                raise SystemExit("jobs were not acknowledged within 120 s")
            time.sleep(0.05)
        samples: list[float] = []
        idle_samples: list[float] = []
        stop, idle_stop = asyncio.Event(), asyncio.Event()
        loop = engine.loop()
        # Baseline in the same run: an idle loop in its own thread, same machine load, same probe.
        idle_loop = asyncio.new_event_loop()
        idle_thread = threading.Thread(target=idle_loop.run_forever, daemon=True)
        idle_thread.start()
        probe = asyncio.run_coroutine_threadsafe(lag_probe(samples, stop), loop)
        idle_probe = asyncio.run_coroutine_threadsafe(lag_probe(idle_samples, idle_stop), idle_loop)
        before = status_requests(emu)
        started = time.monotonic()
        time.sleep(window)  # the measurement window itself
        elapsed = time.monotonic() - started
        after = status_requests(emu)
        loop.call_soon_threadsafe(stop.set)
        idle_loop.call_soon_threadsafe(idle_stop.set)
        probe.result(10)
        idle_probe.result(10)
        idle_loop.call_soon_threadsafe(idle_loop.stop)
        idle_thread.join(5)
        in_flight = sum(1 for j in submitted if not j.done)
        engine.close()
        session.close()
    rpm = (after - before) / elapsed * 60.0
    return rpm, pct(samples, 0.99) * 1000, pct(idle_samples, 0.99) * 1000, in_flight


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--window", type=float, default=60.0, help="seconds measured per mode")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    print(f"{args.jobs} jobs in flight, {args.window:.0f} s window per mode")
    results = {}
    for name, use_list in (("list", True), ("get", False)):
        rpm, lag_p99_ms, idle_p99_ms, in_flight = run_mode(name, use_list, args.jobs, args.window, tmp)
        results[name] = rpm
        print(f"  {name:<5} {rpm:8.1f} status requests/min   engine loop lag p99 {lag_p99_ms:6.2f} ms "
              f"(idle loop, same run: {idle_p99_ms:6.2f} ms)   ({in_flight} in flight at the end)", flush=True)
    print(f"list / one-GET-per-job requests: {results['list'] / results['get']:.3f}; lag target p99 < 20 ms")


if __name__ == "__main__":
    main()
