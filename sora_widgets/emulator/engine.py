"""The emulator's state: video jobs and their lifecycle, renders, faults, rate limits and persistence.

Lifecycle
---------
A job is ``queued`` until one of ``max_concurrent_renders`` slots is free, then ``in_progress`` for its
simulated duration (progress rising with time) while the real render runs in a worker process, then
``completed`` (once both the simulated time has passed and the media exist) or ``failed``. Durations:
``(6 + seconds) s`` for sora-2 (a 4 s clip takes about 10 s), 2.5x that for ``*-pro`` models, +40 % at the
large pro sizes; all divided by ``speed``, or exactly ``job_duration_s`` when given. On completion
``expires_at = completed_at + 3600 / speed`` (at least 1 s); after that the content answers 404.

Persistence
-----------
``data_dir/videos/<id>/`` holds ``video.json`` (the record, written atomically on every change), the media
(``video.mp4``, ``thumbnail.webp``, ``spritesheet.jpg``) and the inputs a render needs (reference image,
source video). A restarted emulator loads every record; jobs that were queued or rendering start again.
Characters are kept in ``data_dir/characters.json``.

Faults (all seeded, each from its own ``random.Random`` so turning one on does not shift the others)
------
``fail_rate``: that share of API requests is answered 500 or 503 before anything happens; for creates
(create, remix, edits, extensions), half of those failures are instead *lost creates* unless
``lost_create_rate`` is given: the job is made, then the response is a 500 or a dropped connection.
``rate_limit_per_minute``: token bucket (capacity = the limit, refilled continuously); when empty, 429.
``latency_ms``: added to every API request. ``drop_download_rate``: that share of content downloads send
part of the body and then drop the connection.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import random
import secrets
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..profiles import OPENAI_PROFILE, BackendProfile, ModelSpec
from . import moderation

log = logging.getLogger("sora_widgets.emulator")

__all__ = ["EmulatorConfig", "Engine", "Video", "job_duration", "profile_from_dict", "profile_to_dict"]

VARIANT_FILES = {"video": "video.mp4", "thumbnail": "thumbnail.webp", "spritesheet": "spritesheet.jpg"}
VARIANT_TYPES = {"video": "video/mp4", "thumbnail": "image/webp", "spritesheet": "image/jpeg"}


def profile_to_dict(profile: BackendProfile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "models": [
            {
                "name": m.name,
                "sizes": list(m.sizes),
                "seconds": list(m.seconds),
                "price_per_second": dict(m.price_per_second),
                "label": m.label,
            }
            for m in profile.models
        ],
        "features": sorted(profile.features),
        "open_models": profile.open_models,
        "description": profile.description,
    }


def profile_from_dict(data: dict[str, Any]) -> BackendProfile:
    return BackendProfile(
        name=data["name"],
        models=tuple(
            ModelSpec(
                m["name"],
                tuple(m["sizes"]),
                tuple(str(s) for s in m["seconds"]),
                dict(m.get("price_per_second", {})),
                label=m.get("label", ""),
            )
            for m in data["models"]
        ),
        features=frozenset(data.get("features", ())),
        open_models=bool(data.get("open_models", False)),
        description=data.get("description", ""),
    )


@dataclass
class EmulatorConfig:
    api_key: str
    data_dir: Path
    speed: float = 1.0
    job_duration_s: float | None = None
    fail_rate: float = 0.0
    lost_create_rate: float | None = None
    rate_limit_per_minute: int | None = None
    latency_ms: float = 0.0
    drop_download_rate: float = 0.0
    seed: int | None = None
    profile: BackendProfile = OPENAI_PROFILE
    max_concurrent_renders: int = 2
    expires_after_s: float | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError(f"speed must be > 0, got {self.speed}")
        if self.job_duration_s is not None and self.job_duration_s < 0:
            raise ValueError(f"job_duration_s must be >= 0, got {self.job_duration_s}")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must be >= 0, got {self.latency_ms}")
        for name in ("fail_rate", "drop_download_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.lost_create_rate is not None and not 0.0 <= self.lost_create_rate <= 1.0:
            raise ValueError(f"lost_create_rate must be between 0 and 1, got {self.lost_create_rate}")
        if self.max_concurrent_renders < 1:
            raise ValueError("max_concurrent_renders must be >= 1")
        if self.webhook_url is not None:
            from urllib.parse import urlsplit

            host = (urlsplit(self.webhook_url).hostname or "").lower()
            if host not in ("localhost", "::1") and not host.startswith("127."):
                raise ValueError(f"webhook_url must be on loopback (localhost/127.0.0.1), got {self.webhook_url!r}")
            if self.webhook_secret is None:
                self.webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        if self.rate_limit_per_minute is not None and self.rate_limit_per_minute < 1:
            raise ValueError("rate_limit_per_minute must be >= 1 (or None for no limit)")

    @property
    def poll_after_ms(self) -> int:
        """The ``openai-poll-after-ms`` hint: 2 s at speed 1, scaled, at least 50 ms."""
        return max(50, int(round(2000 / self.speed)))

    @property
    def expiry_s(self) -> int:
        if self.expires_after_s is not None:
            return max(1, int(round(self.expires_after_s)))
        return max(1, int(round(3600 / self.speed)))


def job_duration(model: str, size: str, seconds: float, speed: float, fixed: float | None) -> float:
    """Wall-clock seconds a job spends ``in_progress`` (before the render's own time is counted)."""
    if fixed is not None:
        return float(fixed)
    base = 6.0 + float(seconds)
    if "pro" in model:
        base *= 2.5
        if size in ("1792x1024", "1024x1792"):
            base *= 1.4
    return base / speed


@dataclass
class Video:
    """One job. The public fields are the spec's ``VideoResource``; the rest is the emulator's own."""

    id: str
    model: str
    status: str
    created_at: int
    prompt: str | None
    size: str
    seconds: str
    completed_at: int | None = None
    expires_at: int | None = None
    remixed_from_video_id: str | None = None
    error: dict[str, str] | None = None
    # internal
    kind: str = "create"  # create | remix | edit | extension
    seq: int = 0
    duration_s: float = 10.0
    started_ts: float | None = None
    progress_final: int = 0
    seed: str = ""
    render: dict[str, Any] = field(default_factory=dict)
    blocked: dict[str, str] | None = None
    media: dict[str, Any] | None = None
    deleted: bool = False
    expires_ts: float | None = None  # precise expiry (expires_at is whole seconds)

    def progress(self, now: float | None = None) -> int:
        if self.status == "completed":
            return 100
        if self.status == "failed":
            return self.progress_final
        if self.status == "queued" or self.started_ts is None:
            return 0
        now = time.time() if now is None else now
        frac = (now - self.started_ts) / self.duration_s if self.duration_s > 0 else 1.0
        return max(1, min(99, int(frac * 100)))

    def public(self, now: float | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "video",
            "model": self.model,
            "status": self.status,
            "progress": self.progress(now),
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "expires_at": self.expires_at,
            "prompt": self.prompt,
            "size": self.size,
            "seconds": self.seconds,
            "remixed_from_video_id": self.remixed_from_video_id,
            "error": dict(self.error) if self.error else None,
        }

    def expired(self, now: float | None = None) -> bool:
        if self.expires_at is None:
            return False
        deadline = self.expires_ts if self.expires_ts is not None else float(self.expires_at)
        return (time.time() if now is None else now) >= deadline


class TokenBucket:
    """Requests per minute, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.tokens = float(per_minute)
        self.rate = per_minute / 60.0
        self.stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self) -> bool:
        self._refill()
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    @property
    def remaining(self) -> int:
        return int(self.tokens)

    def reset_s(self) -> float:
        """Seconds until the bucket is full again."""
        return (self.capacity - self.tokens) / self.rate

    def retry_after_s(self) -> float:
        """Seconds until one token is there."""
        return max(0.0, (1.0 - self.tokens) / self.rate)


def _worker_init() -> None:  # pragma: no cover - runs in the render processes
    # renders yield to the server process, and die with it
    with contextlib.suppress(Exception):
        os.nice(10)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes
            import signal

            ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    from . import render  # noqa: F401  (warm the imports)


def _render_in_worker(spec: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover - worker process
    from .render import render_job

    return render_job(spec)


def _warm() -> int:  # pragma: no cover - worker process
    return os.getpid()


class Engine:
    """All state of one emulator. Every method runs on the server's event loop."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.profile = config.profile
        self.root = Path(config.data_dir)
        self.videos_dir = self.root / "videos"
        self.videos: dict[str, Video] = {}
        self.characters: dict[str, dict[str, Any]] = {}
        self.stats: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.webhooks: Counter[str] = Counter()
        self._webhook_tasks: set[asyncio.Task[None]] = set()
        seed = config.seed if config.seed is not None else secrets.randbits(32)
        self.rng_fail = random.Random(f"{seed}:fail")
        self.rng_lost = random.Random(f"{seed}:lost")
        self.rng_drop = random.Random(f"{seed}:drop")
        self.bucket = TokenBucket(config.rate_limit_per_minute) if config.rate_limit_per_minute else None
        self._slots: asyncio.Semaphore | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._pool: Executor | None = None
        self._seq = 0
        self.rendering = 0
        self.started = time.time()

    # ------------------------------------------------------------ startup / shutdown

    async def start(self) -> None:
        self.videos_dir.mkdir(parents=True, exist_ok=True)
        self._slots = asyncio.Semaphore(self.config.max_concurrent_renders)
        self._pool = self._new_pool()
        # start the workers now (without waiting for them), so the first render does not pay for their imports
        for _ in range(self.config.max_concurrent_renders):
            self._pool.submit(_warm)
        self._load()

    def _new_pool(self) -> Executor:
        import multiprocessing

        return ProcessPoolExecutor(
            max_workers=self.config.max_concurrent_renders,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
        )

    async def stop(self) -> None:
        for task in list(self._webhook_tasks):
            task.cancel()
        for task in list(self._tasks.values()):
            task.cancel()
        for task in list(self._tasks.values()):
            with contextlib.suppress(BaseException):
                await task
        if self._pool is not None:
            # renders in flight are not waited for: their jobs are re-queued by the next start
            processes = list(getattr(self._pool, "_processes", {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for proc in processes:
                with contextlib.suppress(Exception):
                    proc.terminate()
            for proc in processes:
                with contextlib.suppress(Exception):
                    proc.join(timeout=5)
            self._pool = None

    def _load(self) -> None:
        records: list[Video] = []
        for path in self.videos_dir.glob("*/video.json"):
            try:
                data = json.loads(path.read_text())
                records.append(Video(**data))
            except (OSError, ValueError, TypeError) as exc:
                log.warning("skipping unreadable record %s: %s", path, exc)
        records.sort(key=lambda v: (v.created_at, v.seq))
        for video in records:
            if video.deleted:
                continue
            self._seq = max(self._seq, video.seq)
            self.videos[video.id] = video
            if video.status in ("queued", "in_progress"):
                video.status = "queued"
                video.started_ts = None
                self._save(video)
                self._schedule(video)
        chars = self.root / "characters.json"
        if chars.exists():
            with contextlib.suppress(OSError, ValueError):
                self.characters = json.loads(chars.read_text())

    # ------------------------------------------------------------ persistence

    def job_dir(self, video_id: str) -> Path:
        return self.videos_dir / video_id

    def _save(self, video: Video) -> None:
        d = self.job_dir(video.id)
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / "video.json.tmp"
        tmp.write_text(json.dumps(asdict(video)))
        os.replace(tmp, d / "video.json")

    def _save_characters(self) -> None:
        tmp = self.root / "characters.json.tmp"
        tmp.write_text(json.dumps(self.characters))
        os.replace(tmp, self.root / "characters.json")

    # ------------------------------------------------------------ faults

    def take_token(self) -> bool:
        return self.bucket.take() if self.bucket is not None else True

    def rate_headers(self) -> dict[str, str]:
        if self.bucket is None:
            return {}
        reset = self.bucket.reset_s()
        return {
            "x-ratelimit-limit-requests": str(int(self.bucket.capacity)),
            "x-ratelimit-remaining-requests": str(self.bucket.remaining),
            "x-ratelimit-reset-requests": f"{reset:.3f}s",
        }

    def roll_failure(self, creates: bool) -> str | None:
        """What to do with this request: None, ``"fail"`` (5xx before anything) or ``"lost"``."""
        cfg = self.config
        if (creates and cfg.lost_create_rate is not None and cfg.lost_create_rate > 0
                and self.rng_lost.random() < cfg.lost_create_rate):
            return "lost"
        if cfg.fail_rate > 0 and self.rng_fail.random() < cfg.fail_rate:
            if creates and cfg.lost_create_rate is None and self.rng_lost.random() < 0.5:
                return "lost"
            return "fail"
        return None

    def roll_drop(self) -> bool:
        rate = self.config.drop_download_rate
        return rate > 0 and self.rng_drop.random() < rate

    def roll_status(self) -> int:
        return 503 if self.rng_fail.random() < 0.5 else 500

    def roll_lost_mode(self) -> str:
        return "drop" if self.rng_lost.random() < 0.5 else "error"

    # ------------------------------------------------------------ jobs

    def new_id(self, now: float) -> str:
        return f"video_{int(now):08x}{secrets.token_hex(20)}"

    def create(
        self,
        *,
        model: str,
        prompt: str,
        size: str,
        seconds: str,
        kind: str = "create",
        reference: bytes | None = None,
        reference_name: str | None = None,
        remix_of: Video | None = None,
        source_video: Path | None = None,
        source: Video | None = None,
        extension_seconds: str | None = None,
    ) -> Video:
        """Make a job (queued) and schedule it. Inputs are already validated."""
        now = time.time()
        self._seq += 1
        video_id = self.new_id(now)
        width, height = (int(x) for x in size.split("x"))
        ref_digest = hashlib.sha256(reference).hexdigest() if reference else ""
        seed_parts = [kind, model, size, seconds, prompt, ref_digest]
        render: dict[str, Any] = {"prompt": prompt, "width": width, "height": height, "seconds": float(seconds)}
        d = self.job_dir(video_id)
        d.mkdir(parents=True, exist_ok=True)
        if reference:
            (d / "reference.img").write_bytes(reference)
            render["reference_path"] = str(d / "reference.img")
        # a remix changes its source's scene; an extension of a video made here continues it
        lineage = remix_of if remix_of is not None else (source if kind == "extension" else None)
        if lineage is not None:
            seed_parts.append(lineage.seed)
            # the whole lineage, so a remix of a remix keeps every change made along the way
            render["base_chain"] = [
                *lineage.render.get("base_chain", []), [lineage.prompt or "", lineage.seed]
            ]
            if lineage is source:
                render["continue_scene"] = True
            src_ref = lineage.render.get("reference_path")
            if src_ref and Path(src_ref).exists():
                shutil.copyfile(src_ref, d / "reference.img")
                render["reference_path"] = str(d / "reference.img")
        if source_video is not None:
            shutil.copyfile(source_video, d / "source.mp4")
            key = "prefix_video" if kind == "extension" else "base_video"
            render[key] = str(d / "source.mp4")
            seed_parts.append(hashlib.sha256((d / "source.mp4").read_bytes()).hexdigest())
        if kind == "extension" and extension_seconds is not None:
            render["seconds"] = float(extension_seconds)
            render["prefix_seconds"] = float(seconds) - float(extension_seconds)
        seed = hashlib.sha256("\x1f".join(seed_parts).encode()).hexdigest()[:16]
        render["seed"] = seed
        blocked = moderation.check_prompt(prompt)
        if blocked is None and reference_name:
            blocked = moderation.check_image_name(reference_name)
        duration_seconds = float(extension_seconds) if extension_seconds is not None else float(seconds)
        video = Video(
            id=video_id,
            model=model,
            status="queued",
            created_at=int(now),
            prompt=prompt,
            size=size,
            seconds=seconds,
            remixed_from_video_id=remix_of.id if remix_of is not None else None,
            kind=kind,
            seq=self._seq,
            duration_s=job_duration(model, size, duration_seconds, self.config.speed, self.config.job_duration_s),
            seed=seed,
            render=render,
            blocked=(
                {"blocked_input": blocked.blocked_input, "message": blocked.message} if blocked is not None else None
            ),
        )
        self.videos[video_id] = video
        self._save(video)
        self._schedule(video)
        return video

    def _schedule(self, video: Video) -> None:
        task = asyncio.get_running_loop().create_task(self._run(video), name=f"render-{video.id}")
        self._tasks[video.id] = task
        task.add_done_callback(lambda _t, vid=video.id: self._tasks.pop(vid, None))

    async def _run(self, video: Video) -> None:
        assert self._slots is not None
        if video.blocked is not None:
            # the real API accepts the create and fails the job a little later; no render slot is used
            await asyncio.sleep(video.duration_s * 0.1)
            video.status = "in_progress"
            video.started_ts = time.time()
            self._save(video)
            await asyncio.sleep(video.duration_s * 0.2)
            self._fail(video, "moderation_blocked", video.blocked["message"])
            return
        async with self._slots:
            if video.deleted:
                return
            video.status = "in_progress"
            video.started_ts = time.time()
            self._save(video)
            self.rendering += 1
            try:
                spec = dict(video.render, out_dir=str(self.job_dir(video.id)))
                result = await self._render(spec)
                remaining = video.started_ts + video.duration_s - time.time()
                if remaining > 0:
                    await asyncio.sleep(remaining)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a render that failed is a failed job, not a dead server
                log.warning("render of %s failed: %r", video.id, exc)
                self._fail(video, "internal_error", "Video generation failed due to an internal error.")
                return
            finally:
                self.rendering -= 1
            if video.deleted:
                shutil.rmtree(self.job_dir(video.id), ignore_errors=True)
                return
            finished = time.time()
            now = int(finished)
            video.media = result
            video.status = "completed"
            video.completed_at = now
            video.expires_at = now + self.config.expiry_s
            video.expires_ts = finished + self.config.expiry_s
            self._save(video)
            self._emit(video, "video.completed")

    async def _render(self, spec: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self._submit(spec)
        except BrokenProcessPool:
            log.warning("render pool broke; starting a new one")
            self._pool = self._new_pool()
            return await self._submit(spec)

    async def _submit(self, spec: dict[str, Any]) -> dict[str, Any]:
        assert self._pool is not None
        future = self._pool.submit(_render_in_worker, spec)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            # the job was deleted (or the server is stopping) while its render runs in a worker: the render
            # cannot be interrupted, so clean its output up once it is done
            if future.cancel():  # still waiting for a worker: it will not run at all
                raise
            out_dir = spec["out_dir"]
            video_id = Path(out_dir).name

            def cleanup(_f: Any) -> None:
                if video_id not in self.videos:
                    shutil.rmtree(out_dir, ignore_errors=True)

            future.add_done_callback(cleanup)
            raise

    def _fail(self, video: Video, code: str, message: str) -> None:
        video.progress_final = video.progress()
        video.status = "failed"
        video.error = {"code": code, "message": message}
        video.completed_at = None
        self._save(video)
        self._emit(video, "video.failed")

    # ------------------------------------------------------------ webhooks

    def _emit(self, video: Video, event_type: str) -> None:
        """Send ``video.completed`` / ``video.failed`` to ``webhook_url``, signed like OpenAI's (Standard
        Webhooks: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256 of
        "id.timestamp.body">``), so ``client.webhooks.unwrap(body, headers, secret=...)`` accepts it."""
        if self.config.webhook_url is None:
            return
        now = int(time.time())
        event_id = f"evt_{secrets.token_hex(16)}"
        body = json.dumps({"id": event_id, "object": "event", "created_at": now, "type": event_type,
                           "data": {"id": video.id}})
        task = asyncio.get_running_loop().create_task(self._deliver(event_id, now, body))
        self._webhook_tasks.add(task)
        task.add_done_callback(self._webhook_tasks.discard)

    async def _deliver(self, event_id: str, timestamp: int, body: str) -> None:
        import httpx

        secret = self.config.webhook_secret or ""
        key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
        signature = base64.b64encode(hmac.new(key, f"{event_id}.{timestamp}.{body}".encode(), hashlib.sha256)
                                     .digest()).decode()
        headers = {
            "content-type": "application/json",
            "webhook-id": event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": f"v1,{signature}",
            "user-agent": "sora-widgets-emulator (webhooks)",
        }
        assert self.config.webhook_url is not None
        async with httpx.AsyncClient(timeout=5.0) as client:
            for attempt in range(4):
                try:
                    resp = await client.post(self.config.webhook_url, content=body, headers=headers)
                    if 200 <= resp.status_code < 300:
                        self.webhooks["delivered"] += 1
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5 * 2**attempt / max(1.0, self.config.speed))
        self.webhooks["failed"] += 1

    def get(self, video_id: str) -> Video | None:
        video = self.videos.get(video_id)
        return None if video is None or video.deleted else video

    def delete(self, video_id: str) -> Video | None:
        video = self.get(video_id)
        if video is None:
            return None
        video.deleted = True
        task = self._tasks.get(video_id)
        if task is not None:
            task.cancel()
        self.videos.pop(video_id, None)
        shutil.rmtree(self.job_dir(video_id), ignore_errors=True)
        return video

    def listing(self, order: str = "desc") -> list[Video]:
        items = sorted(self.videos.values(), key=lambda v: (v.created_at, v.seq))
        return items if order == "asc" else items[::-1]

    def media_path(self, video: Video, variant: str) -> Path:
        return self.job_dir(video.id) / VARIANT_FILES[variant]

    # ------------------------------------------------------------ characters

    def create_character(self, name: str, video_bytes: bytes) -> dict[str, Any]:
        char_id = f"char_{secrets.token_hex(16)}"
        record = {"id": char_id, "name": name, "created_at": int(time.time())}
        d = self.root / "characters"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{char_id}.mp4").write_bytes(video_bytes)
        self.characters[char_id] = record
        self._save_characters()
        return record

    # ------------------------------------------------------------ stats

    def snapshot(self) -> dict[str, Any]:
        statuses = Counter(v.status for v in self.videos.values())
        return {
            "requests": dict(self.stats),
            **{k: self.stats.get(k, 0) for k in ("create", "retrieve", "list", "content", "delete", "remix",
                                                  "edit", "extend")},
            "videos": len(self.videos),
            "statuses": dict(statuses),
            "rendering": self.rendering,
            "faults": dict(self.faults),
            "uptime_s": round(time.time() - self.started, 3),
            "webhooks": dict(self.webhooks),
            "config": {
                "speed": self.config.speed,
                "job_duration_s": self.config.job_duration_s,
                "fail_rate": self.config.fail_rate,
                "lost_create_rate": self.config.lost_create_rate,
                "rate_limit_per_minute": self.config.rate_limit_per_minute,
                "latency_ms": self.config.latency_ms,
                "drop_download_rate": self.config.drop_download_rate,
                "max_concurrent_renders": self.config.max_concurrent_renders,
                "expires_after_s": self.config.expiry_s,
                "profile": self.profile.name,
            },
        }


def allowed_list(values: Iterable[str]) -> str:
    """``'a', 'b' and 'c'`` - the way the real API lists allowed values."""
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]

