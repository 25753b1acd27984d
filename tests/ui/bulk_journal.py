"""A notebook cell that journals thousands of completed jobs in a second or two: two real renders (emulator),
then copies of their rows (same media files) straight through the journal API, in one transaction. Used by
the 10,000-video browser test and benchmarks/frontend.py."""

from __future__ import annotations

COLOURS = ("red", "green", "blue", "gold")


def bulk_cell(count: int, home_prefix: str = "sora-bulk-") -> str:
    """Source of a cell that leaves ``count`` completed jobs in a fresh journal and prints ``journaled N``."""
    return f"""\
import os, tempfile, time
os.environ["SORA_WIDGETS_HOME"] = tempfile.mkdtemp(prefix={home_prefix!r})
import sora_widgets as sw
from sora_widgets import api
from sora_widgets.catalog import Query

seeds = [sw.submit(f"A {{what}} kite over the dunes", seconds="4", size=size)
         for what, size in (("paper", "1280x720"), ("silk", "720x1280"))]
for job in seeds:
    job.wait(timeout=120)
journal = api.session().journal
rows = [{{k: v for k, v in journal.get(j.id).items() if k != "updated_at"}} for j in seeds]
started = time.perf_counter()
with journal.lock():
    journal.raw().execute("BEGIN")
    for i in range({count} - len(seeds)):
        base = rows[i % 2]
        journal.insert({{**base, "id": f"job_bulk{{i:05d}}", "video_id": f"video_bulk{{i:05d}}",
                        "created_at": base["created_at"] - 10 - i, "cost_usd": round(0.1 * (1 + i % 9), 2),
                        "model": "sora-2-pro" if i % 5 == 0 else "sora-2",
                        "prompt": f"Clip {{i}}: a {{{COLOURS!r}[i % 4]}} kite over the dunes"}})
    journal.raw().execute("COMMIT")
print("journaled", sw.job_catalog().count(Query()), "in", round(time.perf_counter() - started, 2), "s")
"""


def expected(count: int, colour: str, model: str | None = None) -> int:
    """How many bulk jobs of :func:`bulk_cell` have ``colour`` in their prompt (and ``model``)."""
    k = COLOURS.index(colour)
    return sum(
        1
        for i in range(count - 2)
        if i % 4 == k and (model is None or (model == "sora-2-pro") == (i % 5 == 0))
    )
