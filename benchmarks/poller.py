"""Poller benchmark: status requests per job and completion-detection latency, in one run, for

- ``engine``: sora_widgets' poller (list refresh when 8+ jobs are in flight, ETA-driven schedule);
- ``engine-get``: the same engine forced to one GET per job (list refresh off);
- ``sdk``: ``client.videos.poll()`` with the SDK's defaults (sleeps ``openai-poll-after-ms``, else 1 s);
- ``fixed10``: the seed's fixed 10 s polling.

Jobs take a fixed, different time each (15-40 s: the emulator's in-progress time is ``6 + seconds`` at speed 1,
and the benchmark profile offers seconds 9..34), ``--jobs`` at once per strategy; strategies run one after the
other against the same emulator. The true completion moment comes from an oracle that lists every 100 ms
(its own requests are not counted); latency = when a strategy noticed - when the oracle did.

    .venv/bin/python benchmarks/poller.py                 # 20 jobs, 15-40 s, all four strategies (~3.5 min)
    .venv/bin/python benchmarks/poller.py --jobs 4 --seconds 2,4 --strategies engine,sdk   # quick check
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import warnings
from pathlib import Path

import httpx
import openai

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sora_widgets import start_emulator
from sora_widgets.engine import Settings
from sora_widgets.params import VideoRequest
from sora_widgets.profiles import BackendProfile, ModelSpec
from sora_widgets.session import Session

warnings.filterwarnings("ignore", message="The Sora API is scheduled", category=DeprecationWarning)

SECONDS = ("9", "13", "17", "21", "25", "29", "34")  # in progress for 6 + seconds = 15..40 s at speed 1


def bench_profile(seconds: tuple[str, ...]) -> BackendProfile:
    return BackendProfile(name="bench-poller", models=(ModelSpec("bench-1", ("96x64",), seconds, {"*": 0.0}),))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class Oracle:
    """Lists every 100 ms and notes the first moment each video is seen terminal."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url, self.api_key = base_url, api_key
        self.seen: dict[str, float] = {}
        self._stop = False

    async def run(self) -> None:
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {self.api_key}"}, timeout=10) as http:
            while not self._stop:
                try:
                    resp = await http.get(f"{self.base_url}/videos", params={"limit": 100, "order": "desc"})
                    now = time.monotonic()
                    for video in resp.json().get("data", []):
                        if video["status"] in ("completed", "failed") and video["id"] not in self.seen:
                            self.seen[video["id"]] = now
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)

    def stop(self) -> None:
        self._stop = True


async def run_engine(emu, profile, plan, home: Path, *, use_list: bool) -> tuple[dict[str, float], int]:
    session = Session.standalone(Settings(profile=profile, home=home, base_url=emu.base_url, api_key=emu.api_key,
                                          list_threshold=8 if use_list else 10**9))
    engine = session.engine()
    detected: dict[str, float] = {}

    def on_change(job) -> None:
        if job.status in ("completed", "failed") and job.video_id not in detected:
            detected[job.video_id] = time.monotonic()

    jobs = [session.submit(VideoRequest(prompt, seconds=seconds, cache=False)) for prompt, seconds in plan]
    for job in jobs:
        job.on_change(on_change)
    await asyncio.gather(*(asyncio.wrap_future(job._finished) for job in jobs))
    requests = engine.poller().requests["get"] + engine.poller().requests["list"]
    engine.close()
    session.close()
    return detected, requests


async def run_sdk(emu, plan, *, fixed_s: float | None) -> tuple[dict[str, float], int]:
    count = 0

    async def on_request(request) -> None:
        nonlocal count
        parts = request.url.path.rstrip("/").split("/")
        if request.method == "GET" and len(parts) >= 2 and parts[-2] == "videos":
            count += 1  # GET /v1/videos/{id}

    http = openai.DefaultAsyncHttpxClient(event_hooks={"request": [on_request]})
    client = openai.AsyncOpenAI(base_url=emu.base_url, api_key=emu.api_key, http_client=http)
    detected: dict[str, float] = {}

    async def one(prompt: str, seconds: str) -> None:
        video = await client.videos.create(prompt=prompt, model="bench-1", size="96x64", seconds=seconds)
        if fixed_s is None:
            video = await client.videos.poll(video.id)
        else:
            while video.status not in ("completed", "failed"):
                await asyncio.sleep(fixed_s)
                video = await client.videos.retrieve(video.id)
        detected[video.id] = time.monotonic()

    await asyncio.gather(*(one(p, s) for p, s in plan))
    await client.close()
    return detected, count


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--seconds", default=",".join(SECONDS), help="clip seconds; in progress 6+s seconds each")
    parser.add_argument("--strategies", default="engine,engine-get,sdk,fixed10")
    parser.add_argument("--verbose", action="store_true", help="print every latency")
    args = parser.parse_args()
    seconds = tuple(s.strip() for s in args.seconds.split(","))
    profile = bench_profile(seconds)
    strategies = [s.strip() for s in args.strategies.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="bench-poller-"))
    print(f"{args.jobs} jobs at once per strategy, in progress {6 + int(seconds[0])}-{6 + int(seconds[-1])} s")
    results = {}
    with start_emulator(speed=1.0, seed=11, profile=profile, max_concurrent_renders=args.jobs,
                        data_dir=tmp / "emulator") as emu:
        for name in strategies:
            plan = [(f"{name} job {i}: a bouncing ball", seconds[i % len(seconds)]) for i in range(args.jobs)]
            oracle = Oracle(emu.base_url, emu.api_key)
            oracle_task = asyncio.create_task(oracle.run())
            started = time.monotonic()
            if name == "engine":
                detected, requests = await run_engine(emu, profile, plan, tmp / name, use_list=True)
            elif name == "engine-get":
                detected, requests = await run_engine(emu, profile, plan, tmp / name, use_list=False)
            elif name == "sdk":
                detected, requests = await run_sdk(emu, plan, fixed_s=None)
            elif name == "fixed10":
                detected, requests = await run_sdk(emu, plan, fixed_s=10.0)
            else:
                raise SystemExit(f"unknown strategy {name!r}")
            while not all(v in oracle.seen for v in detected):
                await asyncio.sleep(0.05)
            oracle.stop()
            await oracle_task
            latencies = [max(0.0, detected[v] - oracle.seen[v]) for v in detected]
            if args.verbose:
                print(f"  {name} latencies:", " ".join(f"{x:.2f}" for x in sorted(latencies)))
            results[name] = (requests / args.jobs, pct(latencies, 0.5), pct(latencies, 0.95),
                             time.monotonic() - started)
            r = results[name]
            print(f"  {name:<11} {r[0]:6.2f} status requests/job   latency p50 {r[1]:5.2f} s  p95 {r[2]:5.2f} s"
                  f"   ({r[3]:.0f} s)", flush=True)
    if "engine" in results and "sdk" in results:
        ours, sdk = results["engine"], results["sdk"]
        print(f"engine/sdk requests: {ours[0] / sdk[0]:.3f} (target <= 0.200); "
              f"p95 latency engine - sdk: {ours[2] - sdk[2]:+.2f} s (target <= +0.50)")
    if "engine-get" in results and "sdk" in results:
        get, sdk = results["engine-get"], results["sdk"]
        print(f"engine-get/sdk requests: {get[0] / sdk[0]:.3f}; p95 latency engine-get - sdk: {get[2] - sdk[2]:+.2f} s")
    print("oracle granularity: 0.1 s (latencies include up to ~0.1 s of it)")


if __name__ == "__main__":
    asyncio.run(main())
