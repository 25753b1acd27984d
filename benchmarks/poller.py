"""Poller benchmark: status requests per job and completion-detection latency, engine vs the SDK, per dialect.

For each carrier dialect of the emulator (``--dialects``) and each scenario (``--scenarios``):

- ``queue``: more jobs than render slots (``--jobs`` at once, ``--slots`` slots), so most jobs wait ``queued``
  first; the engine has no history of the backend (a fresh journal).
- ``history``: the backend's history is warmed with ``--warmup`` jobs of each kind first (one after the other,
  not measured), then ``--jobs`` at once with a slot each: what an indeterminate backend (no progress:
  ``sglang``, ``litellm-veo``) gets from the journal's memory of earlier jobs.

Strategies, one after the other against the same emulator:

- ``engine``: sora_widgets' engine with the dialect's built-in profile (``Session.standalone``);
- ``sdk``: ``client.videos.poll()`` with the SDK's defaults (sleeps ``openai-poll-after-ms``, else 1 s). Where
  the dialect's status words are not the SDK's (``reseller``: pending/processing/success; ``litellm-veo``:
  processing), ``poll()`` returns at the first answer, so the same loop is run by hand with the dialect's words.

The true completion moment comes from an oracle that reads the emulator's own state files every 50 ms (works
for carriers that cannot list; its reads are not requests); latency = when a strategy noticed - when it did.

    .venv/bin/python benchmarks/poller.py                                   # every dialect, both scenarios
    .venv/bin/python benchmarks/poller.py --dialects litellm --scenarios queue --jobs 4   # quick check
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

import openai

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sora_widgets import start_emulator
from sora_widgets.engine import Settings
from sora_widgets.params import VideoRequest
from sora_widgets.profiles import BackendProfile, ModelSpec, get_profile
from sora_widgets.session import Session

warnings.filterwarnings("ignore", message="The Sora API is scheduled", category=DeprecationWarning)

SECONDS = ("2", "4", "6")  # in progress (6 + seconds) / speed
#: dialect -> (built-in profile of the engine, model name the emulator serves)
DIALECTS = {
    "litellm": ("litellm", "sora-2"),
    "litellm-veo": ("litellm-veo", "veo-3.0-generate-001"),
    "vllm-omni": ("vllm-omni", "Wan-AI/Wan2.2-T2V-A14B-Diffusers"),
    "sglang": ("sglang", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers"),
    "reseller": ("openai", "sora-2"),
    "openai": ("openai", "sora-2"),  # the emulator's own accent (not in the default run)
}
DONE_WORDS = {"completed", "failed", "success", "error"}
SDK_WORDS_OK = {"litellm", "vllm-omni", "sglang", "openai"}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def raw_id(video_id: str) -> str:
    return video_id  # the emulator keeps each video under the id its dialect gave out


class Oracle:
    """Reads ``data_dir/videos/*/video.json`` every 50 ms; notes when each video is first seen finished."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "videos"
        self.seen: dict[str, float] = {}
        self._stop = False

    async def run(self) -> None:
        while not self._stop:
            now = time.monotonic()
            for path in self.folder.glob("*/video.json") if self.folder.exists() else ():
                if path.parent.name in self.seen:
                    continue
                try:
                    status = json.loads(path.read_text()).get("status")
                except (OSError, ValueError):
                    continue
                if status in ("completed", "failed"):
                    self.seen[path.parent.name] = now
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        self._stop = True


async def run_engine(emu, profile, plan, home: Path, warmup) -> tuple[dict[str, float], int]:
    session = Session.standalone(Settings(profile=profile, home=home, base_url=emu.base_url, api_key=emu.api_key))
    engine = session.engine()
    for prompt, seconds in warmup:  # history: one at a time, not measured
        job = session.submit(VideoRequest(prompt, seconds=seconds, cache=False))
        await asyncio.wrap_future(job._finished)
    base = dict(engine.poller().requests)
    detected: dict[str, float] = {}

    def on_change(job) -> None:
        if job.status in ("completed", "failed") and job.video_id and job.video_id not in detected:
            detected[job.video_id] = time.monotonic()

    jobs = [session.submit(VideoRequest(prompt, seconds=seconds, cache=False)) for prompt, seconds in plan]
    for job in jobs:
        job.on_change(on_change)
    await asyncio.gather(*(asyncio.wrap_future(job._finished) for job in jobs))
    requests = sum(engine.poller().requests.values()) - sum(base.values())
    engine.close()
    session.close()
    return detected, requests


async def run_sdk(emu, dialect: str, model: str, plan) -> tuple[dict[str, float], int]:
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
        video = await client.videos.create(prompt=prompt, model=model, size="96x64", seconds=seconds)
        if dialect in SDK_WORDS_OK:
            video = await client.videos.poll(video.id)
        else:  # poll()'s loop, with this dialect's words for "done"
            while True:
                response = await client.videos.with_raw_response.retrieve(video.id)
                if response.parse().status in DONE_WORDS:
                    break
                hint = response.headers.get("openai-poll-after-ms")
                await asyncio.sleep(int(hint) / 1000 if hint else 1.0)
        detected[video.id] = time.monotonic()

    await asyncio.gather(*(one(p, s) for p, s in plan))
    await client.close()
    return detected, count


async def measure(dialect: str, scenario: str, args, tmp: Path) -> dict[str, tuple[float, float, float]]:
    builtin, model = DIALECTS[dialect]
    spec = ModelSpec(model, ("96x64",), SECONDS, {"*": 0.0})
    slots = args.slots if scenario == "queue" else args.jobs
    profile = replace(get_profile(builtin), models=(spec,))
    folder = tmp / f"{dialect}-{scenario}"
    results = {}
    with start_emulator(speed=args.speed, seed=11, dialect=dialect, profile=BackendProfile("bench", (spec,)),
                        max_concurrent_renders=slots, data_dir=folder / "emulator") as emu:
        for name in ("engine", "sdk"):
            plan = [(f"{name} job {i}: a bouncing ball", SECONDS[i % len(SECONDS)]) for i in range(args.jobs)]
            warmup = [(f"warm-up {k} {s}", s) for k in range(args.warmup) for s in SECONDS] \
                if scenario == "history" else []
            oracle = Oracle(folder / "emulator")
            oracle_task = asyncio.create_task(oracle.run())
            if name == "engine":
                detected, requests = await run_engine(emu, profile, plan, folder / "home", warmup)
            else:
                detected, requests = await run_sdk(emu, dialect, model, plan)
            deadline = time.monotonic() + 10
            while not all(raw_id(v) in oracle.seen for v in detected) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            oracle.stop()
            await oracle_task
            latencies = [max(0.0, t - oracle.seen[raw_id(v)]) for v, t in detected.items() if raw_id(v) in oracle.seen]
            if args.verbose:
                print(f"    {name} latencies:", " ".join(f"{x:.2f}" for x in sorted(latencies)))
            results[name] = (requests / args.jobs, pct(latencies, 0.5), pct(latencies, 0.95))
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dialects", default=",".join(d for d in DIALECTS if d != "openai"))
    parser.add_argument("--scenarios", default="queue,history")
    parser.add_argument("--jobs", type=int, default=6)
    parser.add_argument("--slots", type=int, default=2, help="render slots in the queue scenario")
    parser.add_argument("--warmup", type=int, default=1, help="history: warm-up jobs per kind (3 kinds)")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--verbose", action="store_true", help="print every latency")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-poller-"))
    print(f"{args.jobs} jobs at once; in progress {(6 + int(SECONDS[0])) / args.speed:.0f}-"
          f"{(6 + int(SECONDS[-1])) / args.speed:.0f} s; queue: {args.slots} slots; history: "
          f"{args.warmup * len(SECONDS)} warm-up jobs")
    print("| dialect | scenario | engine req/job | SDK req/job | ratio (<= 0.2) | engine p50 / p95 | SDK p50 / p95 "
          "| p95 diff (<= +0.5 s) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for dialect in [d.strip() for d in args.dialects.split(",")]:
        for scenario in [s.strip() for s in args.scenarios.split(",")]:
            r = await measure(dialect, scenario, args, tmp)
            ours, sdk = r["engine"], r["sdk"]
            ok = ours[0] / sdk[0] <= 0.2 and ours[2] - sdk[2] <= 0.5
            print(f"| {dialect} | {scenario} | {ours[0]:.2f} | {sdk[0]:.2f} | {ours[0] / sdk[0]:.3f} | "
                  f"{ours[1]:.2f} / {ours[2]:.2f} s | {sdk[1]:.2f} / {sdk[2]:.2f} s | {ours[2] - sdk[2]:+.2f} s"
                  f"{'' if ok else ' (missed)'} |", flush=True)
    print("oracle granularity: 0.05 s")


if __name__ == "__main__":
    asyncio.run(main())
