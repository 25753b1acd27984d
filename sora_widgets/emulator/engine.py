"""The emulator's state: video jobs and their lifecycle, renders, renders and persistence
(faults: :mod:`.faults`; webhooks: :mod:`.webhooks`; settings: :mod:`.config`).

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
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from . import moderation
from .config import EmulatorConfig, allowed_list, job_duration, profile_from_dict, profile_to_dict
from .faults import FaultInjector
from .ids import default_id
from .records import VARIANT_FILES, VARIANT_TYPES, Video
from .renders import RenderPool
from .webhooks import WebhookSender

log = logging.getLogger("sora_widgets.emulator")

# re-exported: the names other modules and tests have always imported from here
__all__ = ["VARIANT_FILES", "VARIANT_TYPES", "EmulatorConfig", "Engine", "Video", "allowed_list", "default_id",
           "job_duration", "profile_from_dict", "profile_to_dict"]


class Engine:
    """All state of one emulator. Every method runs on the server's event loop.

    ``new_id`` makes a job's id from its creation time (a dialect's id shape; OpenAI's by default).
    """

    def __init__(self, config: EmulatorConfig, new_id: Callable[[float], str] = default_id) -> None:
        self.config = config
        self.profile = config.profile
        self.new_id = new_id
        self.root = Path(config.data_dir)
        self.videos_dir = self.root / "videos"
        self.videos: dict[str, Video] = {}
        self.characters: dict[str, dict[str, Any]] = {}
        self.stats: Counter[str] = Counter()
        self.injector = FaultInjector(config)
        self.faults = self.injector.counts
        self.webhook_sender = WebhookSender(config)
        self.webhooks = self.webhook_sender.counts
        self._slots: asyncio.Semaphore | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        # a render whose job is gone (deleted while it ran) has its output removed when it finishes
        self.renders = RenderPool(config.max_concurrent_renders, keep=lambda video_id: video_id in self.videos)
        self._seq = 0
        self.rendering = 0
        self.started = time.time()

    # ------------------------------------------------------------ startup / shutdown

    async def start(self) -> None:
        self.videos_dir.mkdir(parents=True, exist_ok=True)
        self._slots = asyncio.Semaphore(self.config.max_concurrent_renders)
        self.renders.start()
        self._load()

    async def stop(self) -> None:
        self.webhook_sender.cancel()
        for task in list(self._tasks.values()):
            task.cancel()
        for task in list(self._tasks.values()):
            with contextlib.suppress(BaseException):
                await task
        self.renders.shutdown()  # renders in flight are not waited for: the next start re-queues their jobs

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

    # ------------------------------------------------------------ jobs

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
        seed: int | None = None,
        audio: bool = False,
    ) -> Video:
        """Make a job (queued) and schedule it. Inputs are already validated."""
        now = time.time()
        self._seq += 1
        video_id = self.new_id(now)
        width, height = (int(x) for x in size.split("x"))
        ref_digest = hashlib.sha256(reference).hexdigest() if reference else ""
        seed_parts = [kind, model, size, seconds, prompt, ref_digest]
        if seed is not None:  # the client's seed: another take of the same inputs (none: the inputs decide)
            seed_parts.append(f"seed={seed}")
        render: dict[str, Any] = {"prompt": prompt, "width": width, "height": height, "seconds": float(seconds)}
        if audio:
            render["audio"] = True
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
        render_seed = hashlib.sha256("\x1f".join(seed_parts).encode()).hexdigest()[:16]
        render["seed"] = render_seed
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
            seed=render_seed,
            client_seed=seed,
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
        video_id = video.id
        task.add_done_callback(lambda _t: self._tasks.pop(video_id, None))

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
                result = await self.renders.render(spec)
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
            self.webhook_sender.emit(video.id, "video.completed")

    def _fail(self, video: Video, code: str, message: str) -> None:
        video.progress_final = video.progress()
        video.status = "failed"
        if self.config.echo_key_in_errors:  # fault option: what some proxies do with the request's credentials
            message = f"{message} (request authorised with api key {self.config.api_key})"
        video.error = {"code": code, "message": message}
        video.completed_at = None
        video.failed_at = int(time.time())
        self._save(video)
        self.webhook_sender.emit(video.id, "video.failed")

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

    def cancel(self, video_id: str) -> Video | None:
        """Stop a queued or rendering job: it ends ``cancelled`` (what Runway, and LiteLLM in front of it,
        report for a job cancelled in the provider's dashboard). A job that already ended stays as it is."""
        video = self.get(video_id)
        if video is None or video.status not in ("queued", "in_progress"):
            return video
        task = self._tasks.get(video_id)
        if task is not None:
            task.cancel()
        video.progress_final = video.progress()
        video.status = "cancelled"
        video.error = {"code": "cancelled", "message": "The task was cancelled."}
        video.failed_at = int(time.time())
        self._save(video)
        return video

    def forget(self, video_id: str) -> Video | None:
        """Drop the record but let its render run to the end (a server that deletes without aborting)."""
        video = self.get(video_id)
        if video is None:
            return None
        video.deleted = True  # _run removes the media once the render is done
        self.videos.pop(video_id, None)
        if video_id not in self._tasks:
            shutil.rmtree(self.job_dir(video_id), ignore_errors=True)
        return video

    async def wait(self, video: Video) -> Video:
        """Until the job is completed or failed (its task has ended)."""
        task = self._tasks.get(video.id)
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)
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
                "dialect": self.config.dialect,
            },
        }


