"""``sb = sw.storyboard([...])``: a storyboard as a widget. The shots as a strip (status, thumbnail, prompt; edit,
regenerate, reorder) and one player for the whole stitched sequence, with a timeline that scrubs across the shots.

The widget wraps a :class:`~sora_widgets.storyboard_runner.Storyboard` (``sb.board``) and reads through to it, so
``sb.wait()``, ``sb.shots``, ``sb.video_path``, ``sb.export(...)`` work as on the storyboard itself. Thumbnails
come over the ``media`` command, the stitched MP4 over ``sequence`` (``{mime, size, version}`` + ``buffers[0]``),
fetched by the view when the sequence is ready (``sequence.version`` changes each time it is stitched again).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, ClassVar

import traitlets as t

from ..errors import SoraWidgetsError
from ..storyboard_runner import Storyboard
from ._base import Reply, SoraWidget, Throttle, in_background
from ._commands import JobCommands

__all__ = ["StoryboardWidget", "storyboard"]


class StoryboardWidget(JobCommands, SoraWidget):
    """A storyboard's strip and sequence player. Make one with :func:`sora_widgets.storyboard`."""

    _view = t.Unicode("storyboard").tag(sync=True)
    _commands: ClassVar[dict[str, str]] = {
        **JobCommands._commands,
        "sequence": "_cmd_sequence",
        "regenerate": "_cmd_regenerate",
        "reorder": "_cmd_reorder",
    }

    board_id = t.Unicode("").tag(sync=True)
    board_status = t.Unicode("running").tag(sync=True)
    """``running``, ``completed`` or ``failed`` (the storyboard's ``status``)."""
    board_error = t.Unicode("").tag(sync=True)
    board_chain = t.Unicode("").tag(sync=True)
    strip = t.List(t.Dict()).tag(sync=True)
    """One entry per shot: ``{index, prompt, job_id, status, progress, has_thumbnail, redone}``."""
    sequence = t.Dict().tag(sync=True)
    """``{has_video, duration_s, fps, cuts: [start of each shot, s], method, version}``."""

    def __init__(self, board: Storyboard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.board = board
        self._lock = threading.RLock()
        self._job_unsubs: dict[str, Callable[[], None]] = {}
        self._version = 0
        self._stitched: str | None = None
        self._throttle = Throttle(self._guard(self._sync, "updating the storyboard"), interval_s=0.1)
        self._unsub_board = board.on_change(lambda _board: self._throttle.poke(urgent=True))
        self._sync()

    def __getattr__(self, name: str) -> Any:
        # read through to the storyboard (sb.wait(), sb.shots, sb.video_path, sb.export(...))
        if name.startswith("_") or "board" not in self.__dict__:
            raise AttributeError(name)
        return getattr(self.__dict__["board"], name)

    def __repr__(self) -> str:
        return repr(self.board).replace("<Storyboard", "<StoryboardWidget", 1)

    def close(self) -> None:
        if getattr(self, "_throttle", None) is not None:
            self._unsub_board()
            with self._lock:
                unsubs = list(self._job_unsubs.values())
                self._job_unsubs.clear()
            for unsub in unsubs:
                unsub()
            self._throttle.close()
        super().close()

    # ------------------------------------------------------------------ state -> traits

    def _sync(self) -> None:
        board = self.board
        jobs = [shot.job for shot in board.shots]
        self._follow([job for job in jobs if job is not None])
        strip = []
        for shot, job in zip(board.shots, jobs, strict=True):
            strip.append({
                "index": shot.index, "prompt": shot.prompt, "job_id": job.id if job else None,
                "status": job.status if job else "waiting",
                "progress": None if job is None or job.progress is None else float(job.progress),
                "has_thumbnail": bool(job and job.thumbnail_path and job.thumbnail_path.exists()),
                "redone": len(shot.history),
            })
        with self.hold_sync():
            self.board_id = board.id
            self.board_status = board.status
            self.board_error = board.error or ""
            self.board_chain = board.chain or ""
            self.strip = strip
            self.sequence = self._sequence()

    def _sequence(self) -> dict[str, Any]:
        board = self.board
        path = board.video_path
        if path is None or not path.exists():
            return {"has_video": False, "version": self._version}
        stamp = f"{path}:{path.stat().st_mtime_ns}"  # stitched again: the same path, a new file
        if stamp != self._stitched:
            self._stitched = stamp
            self._version += 1
        stitch = board.stitch or {}
        cuts, start = [], 0.0
        for shot in board.shots:
            cuts.append(round(start, 4))
            job = shot.job
            start += float(job.seconds) if job is not None else 0.0
        return {"has_video": True, "duration_s": stitch.get("duration_s"), "fps": stitch.get("fps"), "cuts": cuts,
                "method": stitch.get("method"), "version": self._version}

    def _follow(self, jobs: list[Any]) -> None:
        """Subscribe to the shots' current jobs (progress ticks); drop jobs no shot has any more."""
        wanted = {job.id: job for job in jobs}
        with self._lock:
            stale = [self._job_unsubs.pop(i) for i in list(self._job_unsubs) if i not in wanted]
            new = [job for i, job in wanted.items() if i not in self._job_unsubs]
        for unsub in stale:
            unsub()
        for job in new:
            unsub = job.on_change(lambda j: self._throttle.poke(urgent=j.done))
            with self._lock:
                self._job_unsubs[job.id] = unsub

    # ------------------------------------------------------------------ commands

    def _job_for(self, job_id: Any) -> Any:
        for shot in self.board.shots:
            if shot.job_id is not None and shot.job_id == job_id:
                return shot.job
        raise SoraWidgetsError(f"{job_id!r} is not a shot of storyboard {self.board.id}")

    def _adopt(self, job: Any) -> None:
        raise SoraWidgetsError("a storyboard's shots are regenerated from the strip, not remixed or retried")

    def _cmd_sequence(self, args: dict[str, Any], buffers: list[Any]) -> Any:
        return in_background(self._sequence_bytes)

    def _sequence_bytes(self) -> Reply:
        path = self.board.video_path
        if path is None or not path.exists():
            raise SoraWidgetsError(f"storyboard {self.board.id} has no stitched video yet (status "
                                   f"{self.board.status})")
        data = path.read_bytes()
        return {"mime": "video/mp4", "size": len(data), "version": self._version}, [data]

    def _index(self, args: dict[str, Any]) -> int:
        index = args.get("index")
        if not isinstance(index, int) or not 0 <= index < len(self.board.shots):
            raise SoraWidgetsError(f"index must be a shot number 0..{len(self.board.shots) - 1}, got {index!r}")
        return index

    def _cmd_regenerate(self, args: dict[str, Any], buffers: list[Any]) -> Any:
        """``{index, prompt?}``: render the shot again (with a new prompt: an edit), then stitch again."""
        index = self._index(args)
        prompt = args.get("prompt")
        self.board.shots[index].regenerate(prompt if isinstance(prompt, str) and prompt.strip() else None)
        return {"index": index}, []

    def _cmd_reorder(self, args: dict[str, Any], buffers: list[Any]) -> Any:
        """``{order: [shot indexes]}``: the shots in a new order, stitched again."""
        order = args.get("order")
        if not isinstance(order, list):
            raise SoraWidgetsError("reorder needs order: a list of shot indexes")
        self.board.reorder(order)
        return {"order": order}, []


def storyboard(prompts: list[str], **kwargs: Any) -> StoryboardWidget:
    """Start (or pick up) a storyboard and return its widget; see :func:`sora_widgets.storyboards.storyboard`
    for the arguments (``model``, ``size``, ``seconds``, ``chain``, ``retries``, ``shot_timeout_s``)."""
    from ..storyboards import storyboard as start

    return StoryboardWidget(start(prompts, **kwargs))
