"""Storyboards: several shots rendered as ordinary jobs, chained, then stitched into one MP4.

::

    sb = sw.storyboard(["a red ball rolls in", "it bounces", "it rolls away"], size="1280x720", seconds="4",
                       chain="frame")
    sb.wait(); sb.video_path            # the stitched MP4; sb.stitch says stream copy or re-encode
    sb.shots[1].regenerate("it bounces twice")   # re-renders shot 1 and, chained by frame, the shots after it

``chain="frame"``: shot k+1 starts from shot k's last frame (its ``input_reference``), so it works on any backend
with image-to-video; ``chain="extend"``: shot k+1 is shot k's video extended by the backend (the extensions
endpoint, ``job.extend``; profiles with the ``extensions`` feature), and the last one is the whole sequence;
``chain=None``: independent shots (submitted together).

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
import threading
import time
from pathlib import Path
from typing import Any

from .errors import ValidationError
from .storyboard_runner import Shot, Storyboard

__all__ = ["CHAINS", "Shot", "Storyboard", "list_storyboards", "load", "resume_unfinished", "storyboard"]

CHAINS = ("frame", "extend", None)
_live: dict[str, Storyboard] = {}
_live_lock = threading.Lock()


def _home() -> Path:
    """The configured home (the current session's; opening it starts no engine)."""
    from . import api

    return api.session().home


def _dir() -> Path:
    return _home() / "storyboards"


# ---------------------------------------------------------------------------------------------------------------


def _definition(prompts: Any, model: str | None, size: str | None, seconds: Any, chain: Any) -> dict[str, Any]:
    """Check everything before any request; returns the normalised definition (model/size/seconds resolved)."""
    import sora_widgets as sw

    from .params import validate

    if isinstance(prompts, str) or not isinstance(prompts, (list, tuple)) or not prompts:
        raise ValidationError("prompts must be a non-empty list of shot prompts (one string per shot)", "prompts")
    if chain not in CHAINS:
        raise ValidationError(f"chain must be one of 'frame', 'extend' or None, got {chain!r}", "chain")
    info = sw.backend_info()
    if chain == "extend" and not info["profile_object"].supports("extensions"):
        raise ValidationError(f"chain='extend' needs the extensions endpoint, which backend profile "
                              f"{info['profile']!r} does not have; use chain='frame' (any backend with "
                              "image-to-video) or chain=None", "chain")
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
    path = _dir() / f"{board_id}.json"
    with _live_lock:
        board = _live.get(str(path))  # by path: the same definition in another home is another storyboard
        if board is None:
            state: dict[str, Any] = _read(path) if path.exists() else {
                "id": board_id, "version": 1, "definition": definition, "status": "running", "error": None,
                "video_path": None, "stitch": None, "created_at": time.time(),
                "shots": [{"prompt": p, "job_id": None, "history": []} for p in definition["prompts"]],
            }
            state["definition"].update(retries=retries, shot_timeout_s=shot_timeout_s)
            board = _live[str(path)] = Storyboard(state, path)
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
    path = _dir() / f"{board_id}.json"
    with _live_lock:
        board = _live.get(str(path))
    if board is not None:
        return board
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
                     "created_at": state.get("created_at"),
                     "backend_key": state["definition"].get("backend_key")})
    return sorted(rows, key=lambda r: r["created_at"] or 0)



def resume_unfinished() -> list[Storyboard]:
    """Start again every storyboard of the configured home and backend that a process left running (killed
    mid-storyboard): its shots already made are reused, the rest rendered. Called by ``sw.resume()``."""
    import sora_widgets as sw

    key = sw.backend_info()["backend_key"]
    boards = []
    for row in list_storyboards():
        if row["status"] == "running" and row.get("backend_key") == key:
            boards.append(load(row["id"]))
    return boards
