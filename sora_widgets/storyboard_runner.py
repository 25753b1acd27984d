"""The storyboard itself: shots as ordinary jobs, driven (chained, waited for, stitched) by a background thread.

Made and found by :func:`sora_widgets.storyboards.storyboard`; see that module for the whole story. The state is
one JSON file under ``<home>/storyboards/<id>.json``, rewritten atomically after every change.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from . import export as _export
from . import stitch as _stitch
from .errors import BudgetExceededError, SoraWidgetsError, ValidationError

__all__ = ["BAD_STATUSES", "Shot", "Storyboard"]

BAD_STATUSES = ("failed", "cancelled", "expired", "deleted", "unknown")
_BAD = BAD_STATUSES


class Shot:
    """One shot of a storyboard: its prompt, the job rendering it (``job``), and the jobs it replaced."""

    def __init__(self, board: Storyboard, index: int) -> None:
        self._board = board
        self.index = index

    @property
    def _data(self) -> dict[str, Any]:
        shot: dict[str, Any] = self._board._state["shots"][self.index]
        return shot

    @property
    def prompt(self) -> str:
        return str(self._data["prompt"])

    @property
    def job_id(self) -> str | None:
        return self._data.get("job_id")

    @property
    def history(self) -> list[str]:
        """Ids of the jobs this shot had before (regenerated or failed)."""
        return list(self._data.get("history", []))

    @property
    def job(self) -> Any:
        """The shot's current :class:`~sora_widgets.job.VideoJob`, or None before it is submitted."""
        import sora_widgets as sw

        return sw.get_job(self.job_id) if self.job_id else None

    @property
    def video_path(self) -> Path | None:
        job = self.job
        return job.video_path if job is not None and job.status == "completed" else None

    def regenerate(self, prompt: str | None = None) -> Storyboard:
        """Render this shot again (with ``prompt``, or the same one) and, chained by frame, every shot after it;
        then stitch again. Returns the storyboard (``.wait()`` on it)."""
        return self._board._regenerate(self.index, prompt)

    def __repr__(self) -> str:
        return f"<Shot {self.index} {self.job_id} {self.prompt[:40]!r}>"


class Storyboard:
    """Shots as jobs, chained and stitched by a background thread. Make one with :func:`storyboard`."""

    def __init__(self, state: dict[str, Any], path: Path) -> None:
        self._state = state
        self.path = path
        self._lock = threading.RLock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._listeners: list[Any] = []
        self.shots = [Shot(self, i) for i in range(len(state["shots"]))]

    def on_change(self, callback: Any) -> Any:
        """Call ``callback(board)`` after every change of the storyboard's state (a shot got its job, a status,
        the stitched video; on the storyboard's thread or the caller's). Returns an unsubscribe function."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _notify(self) -> None:
        import logging

        for callback in list(self._listeners):
            try:
                callback(self)
            except Exception:  # a widget's bug must not stop the storyboard
                logging.getLogger(__name__).exception("storyboard on_change callback %r failed", callback)

    # ------------------------------------------------------------------ views

    @property
    def id(self) -> str:
        return str(self._state["id"])

    @property
    def chain(self) -> str | None:
        chain: str | None = self._state["definition"]["chain"]
        return chain

    @property
    def status(self) -> str:
        """``running``, ``completed`` (stitched) or ``failed`` (see ``error``)."""
        return str(self._state["status"])

    @property
    def error(self) -> str | None:
        return self._state.get("error")

    @property
    def video_path(self) -> Path | None:
        path = self._state.get("video_path")
        return Path(path) if path and self.status == "completed" else None

    @property
    def stitch(self) -> dict[str, Any] | None:
        """How the shots were joined: ``method`` (``stream_copy`` / ``reencode``), ``reason``, frames, duration."""
        return self._state.get("stitch")

    # exports of the stitched video (see sora_widgets.export)
    def export(self, dst: str | Path, **options: Any) -> _export.ExportResult:
        """``export.export(self.video_path, dst, ...)``: GIF / MP4 / WebM, trimmed, resized."""
        return _export.export(self, dst, **options)

    def frame(self, t: float) -> Any:
        """The stitched video's frame shown at ``t`` seconds (a ``PIL.Image``)."""
        return _export.frame(self, t)

    def contact_sheet(self, cols: int = 4, **options: Any) -> Any:
        """Evenly spaced frames of the stitched video as one image."""
        return _export.contact_sheet(self, cols, **options)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(self._state))  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"<Storyboard {self.id} {self.status} {len(self.shots)} shots chain={self.chain!r}>"

    # ------------------------------------------------------------------ control

    def wait(self, timeout: float | None = None) -> Storyboard:
        """Block until stitched; returns the storyboard. Raises the failing shot's error (a
        :class:`~sora_widgets.errors.SoraWidgetsError`) when a shot failed for good; TimeoutError after timeout."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"storyboard {self.id} not done after {timeout}s (status {self.status})")
        if self.status == "failed":
            raise SoraWidgetsError(f"storyboard {self.id}: {self.error}")
        return self

    def retry(self) -> Storyboard:
        """Run again after a failure: completed shots are kept, the failed one is submitted again alone."""
        self._start()
        return self

    def _intact(self) -> bool:
        """Stitched, and every shot's job still completed with its video on disk."""
        if self.status != "completed" or self.video_path is None or not self.video_path.exists():
            return False
        return all(shot.video_path is not None and shot.video_path.exists() for shot in self.shots)

    def _check_budget(self) -> None:
        """Refuse up front when the shots still to be paid for would exceed the budget (each submit checks too)."""
        import sora_widgets as sw

        unpaid = sum(1 for shot in self.shots if shot.video_path is None)
        d = self._state["definition"]
        cost = sw.estimate_cost(d["model"], d["size"], d["seconds"])
        left = sw.budget_remaining()
        if unpaid and cost is not None and left is not None and cost * unpaid > left + 1e-9:
            raise BudgetExceededError(f"{unpaid} shots to render cost about ${cost * unpaid:.2f}; the budget has "
                                      f"${left:.2f} left (sw.configure(budget_usd=...))")

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._done.clear()
            self._update(status="running", error=None)
            self._thread = threading.Thread(target=self._run, name=f"storyboard-{self.id}", daemon=True)
            self._thread.start()

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._state.update(changes)
            self._save()
        self._notify()

    def reorder(self, order: list[int]) -> Storyboard:
        """Put the shots in ``order`` (a permutation of their indexes) and stitch again. Chained shots from the first
        moved position on are rendered again (their first frame changes); independent shots are reused."""
        count = len(self.shots)
        if sorted(order) != list(range(count)) or not all(isinstance(i, int) for i in order):
            raise ValidationError(f"order must list each shot index 0..{count - 1} once, got {order!r}", "order")
        first = next((k for k, i in enumerate(order) if i != k), None)
        if first is None:
            return self
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise ValidationError(f"storyboard {self.id} is still running; sb.wait() before reordering")
            shots = [self._state["shots"][i] for i in order]
            if self.chain is not None:
                for shot in shots[first:]:
                    if shot.get("job_id"):
                        shot.setdefault("history", []).append(shot["job_id"])
                    shot["job_id"] = None
            self._state["shots"] = shots
            self._update(video_path=None, stitch=None)
        self._start()
        return self

    def _save(self) -> None:
        self._state["updated_at"] = time.time()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        part = self.path.with_name(f"{self.path.name}.{os.getpid()}.part")
        part.write_text(json.dumps(self._state, indent=1))
        part.replace(self.path)  # atomic: a reader (or a killed writer) never leaves half a file

    def _regenerate(self, index: int, prompt: str | None) -> Storyboard:
        if prompt is not None and (not isinstance(prompt, str) or not prompt.strip()):
            raise ValidationError("prompt must be non-empty text describing the shot", "prompt")
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise ValidationError(f"storyboard {self.id} is still running; sb.wait() before regenerating")
            shots = self._state["shots"]
            redo = range(index, len(shots)) if self.chain is not None else range(index, index + 1)
            for k in redo:
                shot = shots[k]
                if shot.get("job_id"):
                    shot.setdefault("history", []).append(shot["job_id"])
                shot["job_id"] = None
            if prompt is not None:
                shots[index]["prompt"] = prompt
            shots[index]["fresh"] = True  # same prompt and reference: skip the cache, render anew
            self._update(video_path=None, stitch=None)
        self._start()
        return self

    # ------------------------------------------------------------------ the driver (background thread)

    def _run(self) -> None:
        from . import api

        try:
            api.resume()  # re-attach shots a killed process left in flight (and creates it never saw answered)
            if self.chain is None:
                for k in range(len(self.shots)):
                    self._job_for(k, reference=None)  # independent shots go out together
            for k in range(len(self.shots)):
                self._ensure(k)
            self._stitch()
            self._update(status="completed", error=None)
        except Exception as exc:  # the thread must end with a status a caller can read
            message = str(exc) if isinstance(exc, SoraWidgetsError) else f"{type(exc).__name__}: {exc}"
            self._update(status="failed", error=message)
        finally:
            self._done.set()

    def _reference(self, k: int) -> Any:
        if self.chain != "frame" or k == 0:
            return None
        prev = self.shots[k - 1].video_path
        assert prev is not None  # _ensure(k - 1) ran first
        info = _export.probe(prev)
        return _export.frame(prev, info.duration_s - 0.5 / info.fps)  # the last frame, decoded the same each time

    def _job_for(self, k: int, reference: Any) -> Any:
        """The shot's job, submitting it when it has none (or only a failed one)."""
        import sora_widgets as sw

        shot = self._state["shots"][k]
        job = None
        if shot.get("job_id"):
            try:
                job = sw.get_job(shot["job_id"])
            except KeyError:
                job = None
        media_gone = (job is not None and job.status == "completed" and job.done
                      and not (job.video_path and job.video_path.exists()))
        if job is None or job.status in _BAD or media_gone:
            d = self._state["definition"]
            if self.chain == "extend" and k > 0:  # the backend continues the shot before (its whole clip)
                prev = self.shots[k - 1].job
                job = prev.extend(shot["prompt"], seconds=d["seconds"], cache=not shot.get("fresh"))
            else:
                job = sw.submit(shot["prompt"], model=d["model"], size=d["size"], seconds=d["seconds"],
                                input_reference=reference, cache=not shot.get("fresh"))
            with self._lock:
                history = shot.setdefault("history", [])
                if shot.get("job_id") and shot["job_id"] != job.id:
                    history.append(shot["job_id"])
                if job.id in history:  # the cache served the job it had before (an identical request)
                    history.remove(job.id)
                shot["job_id"] = job.id
                shot.pop("fresh", None)
                self._save()
            self._notify()
        return job

    def _ensure(self, k: int) -> None:
        attempts = 0
        retries = int(self._state["definition"].get("retries", 1))
        while True:
            job = self._job_for(k, self._reference(k))
            job.wait(self._state["definition"].get("shot_timeout_s"))
            if job.status == "completed" and job.video_path and job.video_path.exists():
                return
            attempts += 1
            retryable = job.error is None or job.error.retryable
            if attempts > retries or not retryable:
                why = job.error.message if job.error else f"status {job.status}"
                raise SoraWidgetsError(f"shot {k} ({job.id}) failed: {why}")

    def _stitch(self) -> None:
        paths = [s.video_path for s in self.shots]
        assert all(p is not None for p in paths)
        if self.chain == "extend":  # the last extension holds the whole sequence, cut by the backend
            self._take_last(paths[-1])
            return
        result = _stitch.stitch([p for p in paths if p is not None], self.path.with_suffix(".mp4"))
        self._update(video_path=str(result.path), stitch={
            "method": result.method, "reason": result.reason, "frames": result.frames,
            "duration_s": result.duration_s, "fps": result.fps, "width": result.width, "height": result.height,
        })

    def _take_last(self, last: Path | None) -> None:
        import shutil

        assert last is not None
        dst = self.path.with_suffix(".mp4")
        part = dst.with_name(dst.name + ".part.mp4")
        shutil.copyfile(last, part)
        part.replace(dst)
        info = _export.probe(dst)
        self._update(video_path=str(dst), stitch={
            "method": "extension", "reason": "each shot extends the one before (the backend's extensions "
            "endpoint): the last one holds the whole sequence", "frames": info.frames,
            "duration_s": info.duration_s, "fps": info.fps, "width": info.width, "height": info.height,
        })
