"""Waiting for a job in a script: a tqdm bar outside notebooks, and the typed error of a failed job."""

from __future__ import annotations

import sys
import threading

from .job import VideoJob
from .vocab import ENDED_WITHOUT_VIDEO

__all__ = ["in_notebook", "raise_if_failed", "wait_with_bar"]


def in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    try:
        ip = shell.get_ipython()
    except Exception:
        return False
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def wait_with_bar(job: VideoJob, timeout: float | None) -> None:
    from tqdm import tqdm

    done = threading.Event()
    bar = tqdm(total=100, desc=job.id, unit="%", bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}",
               file=sys.stderr)

    def refresh(j: VideoJob) -> None:
        if j.progress is not None:
            bar.n = j.progress
        bar.set_postfix_str(f"{j.status} {j.elapsed_s:.0f}s", refresh=False)
        bar.refresh()
        if j.done:
            done.set()

    unsubscribe = job.on_change(refresh)
    try:
        if not job.done:
            job.wait(timeout)
        refresh(job)
    finally:
        unsubscribe()
        bar.close()


def raise_if_failed(job: VideoJob) -> VideoJob:
    if job.status in ENDED_WITHOUT_VIDEO and job.error is not None:
        exc = job.error.exception()
        exc.job = job  # type: ignore[attr-defined]
        raise exc
    if job.status == "completed" and job.video_path is None and job.error is not None:
        exc = job.error.exception()
        exc.job = job  # type: ignore[attr-defined]
        raise exc
    return job
