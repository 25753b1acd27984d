"""The embedded emulator: started on demand when no backend is configured (or ``base_url="emulator"``),
one per process, announced once on stdout (information, not an error: a notebook shows stderr in red)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

from .profiles import DEFAULT_PROFILE, BackendProfile

__all__ = ["current", "drop", "forget_announcement", "is_live_emulator", "matches", "start", "stop"]

_lock = threading.RLock()
_emulator: Any = None
_made: tuple[BackendProfile, Path] | None = None  # (profile, data_dir) it serves
_announced = False


def current() -> Any:
    """The running embedded emulator's handle, or None."""
    return _emulator


def matches(profile: BackendProfile, home: Path) -> bool:
    """The embedded emulator (if any) serves ``profile`` under ``home``."""
    with _lock:
        if _emulator is None or _made is None:
            return True
        return _made == (profile, home / "emulator") and bool(_emulator.running)


def drop() -> Any:
    """Forget the embedded emulator and return it (to :func:`stop` outside any lock)."""
    global _emulator, _made
    with _lock:
        old, _emulator, _made = _emulator, None, None
    return old


def stop(handle: Any) -> None:
    if handle is not None:
        try:
            handle.stop()
        except Exception:
            pass


def forget_announcement() -> None:
    global _announced
    _announced = False


def start(home: Path, profile: BackendProfile, *, forced: bool = False) -> Any:
    """The embedded emulator for ``profile`` under ``home``; one serving another profile or home (or one that
    died) is replaced."""
    global _emulator, _made, _announced
    with _lock:
        data_dir = home / "emulator"
        if _emulator is not None and not (_made == (profile, data_dir) and bool(getattr(_emulator, "running", True))):
            stop(drop())
        if _emulator is None:
            from .emulator import start_emulator

            speed = float(os.environ.get("SORA_WIDGETS_EMULATOR_SPEED", "1.0"))
            kwargs: dict[str, Any] = {"speed": speed, "data_dir": data_dir}
            if profile is not DEFAULT_PROFILE:
                kwargs["profile"] = profile
            _emulator = start_emulator(**kwargs)
            _made = (profile, data_dir)
        if not _announced:
            print(
                f"sora_widgets: {'as configured' if forced else 'no OPENAI_API_KEY set'}, "
                f"using the local emulator at {_emulator.base_url}",
                file=sys.stdout,
                flush=True,
            )
            _announced = True
        return _emulator


def is_live_emulator(url: str | None) -> bool:
    """``url`` is the base URL of an emulator started in this process (``sw.start_emulator()``) and running."""
    emulator = sys.modules.get("sora_widgets.emulator")  # not imported: none was started
    if emulator is None or not url:
        return False
    wanted = url.rstrip("/")
    return any(
        handle.base_url.rstrip("/") == wanted and handle.running for handle in list(getattr(emulator, "_LIVE", ()))
    )
