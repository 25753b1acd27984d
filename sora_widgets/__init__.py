"""sora_widgets: video generation as a live, visual thing inside Jupyter.

Everything is imported lazily, so ``import sora_widgets`` stays cheap and IPython/ipywidgets load only
when a widget or the magics are used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # engine (api.py / job.py)
    "configure": "api",
    "submit": "api",
    "generate": "api",
    "agenerate": "api",
    "jobs": "api",
    "get_job": "api",
    "job_catalog": "api",
    "resume": "resuming",
    "on_job_added": "api",
    "estimate_cost": "api",
    "backend_info": "api",
    "spend": "api",
    "budget_remaining": "api",
    "VideoJob": "job",
    "JobError": "job",
    # errors
    "SoraWidgetsError": "errors",
    "ValidationError": "errors",
    "ContentPolicyError": "errors",
    "AuthenticationError": "errors",
    "RateLimitError": "errors",
    "BackendUnavailableError": "errors",
    "BudgetExceededError": "errors",
    # profiles
    "BackendProfile": "profiles",
    "ModelSpec": "profiles",
    "register_profile": "profiles",
    "get_profile": "profiles",
    # emulator
    "start_emulator": "emulator",
    # workflows: widgets over storyboards.py / takes.py (no module is named like a function exported here)
    "storyboard": "widgets.storyboard",
    "variations": "widgets.variations",
    # widgets
    "VideoCard": "widgets",
    "GeneratorPanel": "widgets",
    "Gallery": "widgets",
}

__all__ = [*sorted(_EXPORTS), "load_ipython_extension", "unload_ipython_extension", "__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sora_widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"sora_widgets.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext sora_widgets``: register ``%sora`` and ``%%sora``."""
    from .magics import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .magics import unload_ipython_extension as _unload

    _unload(ipython)
