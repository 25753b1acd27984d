"""Storyboards: several shots rendered as ordinary jobs, chained, then stitched into one MP4.

::

    sb = sw.storyboard(["a red ball rolls in", "it bounces", "it rolls away"], size="1280x720", seconds="4",
                       chain="frame")
    sb.wait(); sb.video_path            # the stitched MP4; sb.stitch says stream copy or re-encode
    sb.shots[1].regenerate("it bounces twice")   # re-renders shot 1 and, chained by frame, the shots after it

``chain="frame"``: shot k+1 starts from shot k's last frame (its ``input_reference``), so it works on any backend
with image-to-video; ``chain=None``: independent shots (submitted together). ``chain="extend"`` (the backend's
extensions endpoint) needs an extend call in the public job API, which does not exist yet: it is refused.

Every shot is an ordinary journaled job made with ``sw.submit`` (budget, cache, resume, gallery all apply). The
storyboard itself is a small JSON file under ``<home>/storyboards/<id>.json`` (written atomically): its definition,
each shot's job id and the ids it replaced. The id is a hash of the definition and the backend, so calling
``sw.storyboard(...)`` again with the same arguments, in this or a new process, picks the same file up: completed
shots are reused, in-flight ones are waited for (``sw.resume()`` re-attaches them), a failed one is submitted
again alone. A create whose job id never reached the file is found by the engine's request cache (the reference
frame is decoded deterministically, so the request is identical) and is not paid twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
import types
from pathlib import Path
from typing import Any

from . import export as _export
from . import stitch as _stitch
from .errors import BudgetExceededError, SoraWidgetsError, ValidationError

__all__ = ["CHAINS", "Shot", "Storyboard", "list_storyboards", "load", "storyboard"]

CHAINS = ("frame", "extend", None)
_BAD = ("failed", "expired", "deleted", "unknown")
_live: dict[str, Storyboard] = {}
_live_lock = threading.Lock()


def _home() -> Path:
    # The configured home; api has no public accessor for it yet (see the merge notes).
    from . import api

    plan = getattr(api, "_plan", None)
    if plan is not None:
        return Path(plan().home)
    from .store import default_home

    return default_home()


def _dir() -> Path:
    return _home() / "storyboards"


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
        """The shot's current :class:`~sora_widgets.jobs.VideoJob`, or None before it is submitted."""
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
        self.shots = [Shot(self, i) for i in range(len(state["shots"]))]

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
            redo = range(index, len(shots)) if self.chain == "frame" else range(index, index + 1)
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
        import sora_widgets as sw

        try:
            sw.resume()  # re-attach shots a killed process left in flight (and creates it never saw answered)
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
        result = _stitch.stitch([p for p in paths if p is not None], self.path.with_suffix(".mp4"))
        self._update(video_path=str(result.path), stitch={
            "method": result.method, "reason": result.reason, "frames": result.frames,
            "duration_s": result.duration_s, "fps": result.fps, "width": result.width, "height": result.height,
        })


# ---------------------------------------------------------------------------------------------------------------


def _definition(prompts: Any, model: str | None, size: str | None, seconds: Any, chain: Any) -> dict[str, Any]:
    """Check everything before any request; returns the normalised definition (model/size/seconds resolved)."""
    import sora_widgets as sw

    from .params import validate

    if isinstance(prompts, str) or not isinstance(prompts, (list, tuple)) or not prompts:
        raise ValidationError("prompts must be a non-empty list of shot prompts (one string per shot)", "prompts")
    if chain not in CHAINS:
        raise ValidationError(f"chain must be one of 'frame', 'extend' or None, got {chain!r}", "chain")
    if chain == "extend":
        raise ValidationError("chain='extend' needs an extend call in the job API, which this version does not "
                              "have; use chain='frame' (any backend with image-to-video) or chain=None", "chain")
    info = sw.backend_info()
    checked = [validate(info["profile_object"], p, model=model, size=size, seconds=seconds) for p in prompts]
    first = checked[0]
    return {"prompts": [c.prompt for c in checked], "model": first.model, "size": first.size,
            "seconds": first.seconds, "chain": chain, "backend_key": info["backend_key"]}


def _board_id(definition: dict[str, Any]) -> str:
    blob = json.dumps(definition, sort_keys=True, separators=(",", ":"))
    return "sb_" + hashlib.sha256(blob.encode()).hexdigest()[:12]


def storyboard(prompts: list[str], *, model: str | None = None, size: str | None = None,
               seconds: int | str | None = None, chain: str | None = "frame", retries: int = 1,
               shot_timeout_s: float | None = 3600.0) -> Storyboard:
    """Start (or pick up) a storyboard of ``prompts``, one shot each, and return it at once.

    ``model``/``size``/``seconds``: as for ``sw.submit``, the same for every shot. ``chain``: ``"frame"``
    (default), or None. ``retries``: how often a failed shot is submitted again (alone) before the storyboard
    fails. The same arguments on the same backend and home always give the same storyboard (see the module notes).
    """
    if not isinstance(retries, int) or retries < 0:
        raise ValidationError(f"retries must be a whole number >= 0, got {retries!r}", "retries")
    definition = _definition(prompts, model, size, seconds, chain)
    board_id = _board_id(definition)
    definition.update(retries=retries, shot_timeout_s=shot_timeout_s)
    with _live_lock:
        board = _live.get(board_id)
        if board is None:
            path = _dir() / f"{board_id}.json"
            state: dict[str, Any] = _read(path) if path.exists() else {
                "id": board_id, "version": 1, "definition": definition, "status": "running", "error": None,
                "video_path": None, "stitch": None, "created_at": time.time(),
                "shots": [{"prompt": p, "job_id": None, "history": []} for p in definition["prompts"]],
            }
            state["definition"].update(retries=retries, shot_timeout_s=shot_timeout_s)
            board = _live[board_id] = Storyboard(state, path)
    if board._intact():
        board._done.set()
    else:
        board._check_budget()
        board._start()
    return board


def _read(path: Path) -> dict[str, Any]:
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValidationError(f"storyboard file {path} is unreadable: {exc}", "id") from None
    return state


def load(board_id: str) -> Storyboard:
    """The storyboard ``board_id`` of the configured home (resumed if it had not finished). KeyError if none."""
    with _live_lock:
        board = _live.get(board_id)
    if board is not None:
        return board
    path = _dir() / f"{board_id}.json"
    if not path.exists():
        raise KeyError(f"no storyboard {board_id!r} under {_dir()}")
    import sora_widgets as sw

    d = _read(path)["definition"]
    if d.get("backend_key") != sw.backend_info()["backend_key"]:
        raise KeyError(f"storyboard {board_id!r} belongs to backend {d.get('backend_key')!r}, not the configured "
                       "one; sw.configure() that backend to load it")
    return storyboard(d["prompts"], model=d["model"], size=d["size"], seconds=d["seconds"], chain=d["chain"],
                      retries=d.get("retries", 1), shot_timeout_s=d.get("shot_timeout_s", 3600.0))


def list_storyboards() -> list[dict[str, Any]]:
    """Every storyboard of the configured home: id, status, shot count, chain, video_path, oldest first."""
    rows = []
    for path in sorted(_dir().glob("sb_*.json")):
        try:
            state = _read(path)
        except ValidationError:
            continue
        rows.append({"id": state["id"], "status": state["status"], "shots": len(state["shots"]),
                     "chain": state["definition"]["chain"], "video_path": state.get("video_path"),
                     "created_at": state.get("created_at")})
    return sorted(rows, key=lambda r: r["created_at"] or 0)


# ``sw.storyboard`` may be this module or the function (depending on how it was reached): both have these.
storyboard.load = load  # type: ignore[attr-defined]
storyboard.list_storyboards = list_storyboards  # type: ignore[attr-defined]


class _CallableModule(types.ModuleType):
    """``sw.storyboard([...])`` is public API and ``sora_widgets.storyboard`` is also this module (importing a
    submodule binds it over the package attribute of the same name), so the module forwards calls."""

    def __call__(self, prompts: list[str], **kwargs: Any) -> Storyboard:
        return storyboard(prompts, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
