"""A second process for the reliability tests: ``child.py submit N [PREFIX]`` | ``resume`` | ``submit-exit``.

Prints JSON lines: {"event": "submitted", "ids": [...]} then {"event": "done", "jobs": [...]}.
"""

from __future__ import annotations

import json
import os
import sys

import sora_widgets as sw
from sora_widgets.profiles import BackendProfile, ModelSpec

TINY = BackendProfile(name="tiny-reliab", models=(ModelSpec("tiny-1", ("96x64",), ("1", "2"), {"*": 0.01}),),
                      description="reliability tests")


def say(**data):
    print(json.dumps(data), flush=True)


def main() -> None:
    sw.configure(base_url=os.environ["T_BASE_URL"], api_key=os.environ["T_API_KEY"], home=os.environ["T_HOME"],
                 profile=TINY)
    command = sys.argv[1]
    if command in ("submit", "submit-exit"):
        n = int(sys.argv[2])
        prefix = sys.argv[3] if len(sys.argv) > 3 else "two processes"
        jobs = [sw.submit(f"{prefix} #{i}", cache=False) for i in range(n)]
        say(event="submitted", ids=[j.id for j in jobs])
        if command == "submit-exit":
            return  # exit at once: the creates must still go out (or stay resumable)
    else:
        jobs = sw.resume()
        say(event="submitted", ids=[j.id for j in jobs])
    for job in jobs:
        job.wait(180)
    say(event="done", jobs=[{"id": j.id, "status": j.status, "video_id": j.video_id,
                             "video_path": str(j.video_path) if j.video_path else None,
                             "error": j.error.to_dict() if j.error else None} for j in jobs])


if __name__ == "__main__":
    main()
