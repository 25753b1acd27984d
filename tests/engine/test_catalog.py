"""The gallery's catalog over a real journal: filters, FTS5 search (untrusted text too), counts, order, windows."""

from __future__ import annotations

import sqlite3

import pytest

from sora_widgets.catalog import Catalog, Query, fts_query
from sora_widgets.store import Journal

EMU = "local-emulator:8000"
OTHER = "https://videos.example.test/v1"


def _row(i: int, **over) -> dict:
    row = {
        "id": f"job_{i:05d}",
        "backend_key": EMU,
        "backend_label": "emulator",
        "video_id": f"video_{i:05d}",
        "prompt": f"clip {i} of a paper boat on a pond",
        "model": "sora-2",
        "size": "1280x720",
        "seconds": "4",
        "status": "completed",
        "cost_usd": 0.4,
        "created_at": 1_000_000.0 + i,
        "completed_at": 1_000_030.0 + i,
    }
    return {**row, **over}


@pytest.fixture()
def journal(tmp_path):
    j = Journal(tmp_path / "home")
    yield j
    j.close()


def _fill(journal: Journal) -> None:
    journal.insert(
        _row(0, prompt='A "quoted" zebra AND a lion: NEAR the water*', model="sora-2-pro", cost_usd=1.2)
    )
    journal.insert(_row(1, prompt="Zebras running across the savanna at dawn", seconds="8", cost_usd=0.8))
    journal.insert(_row(2, prompt="A lighthouse at dusk", status="failed", cost_usd=None))
    journal.insert(_row(3, prompt="A lighthouse in the storm", status="in_progress", backend_key=OTHER,
                        backend_label="videos.example.test"))  # fmt: skip
    journal.insert(_row(4, prompt="A zebra asleep", status="deleted"))
    journal.insert(_row(5, prompt="Neon city at night", status="expired", seconds="12", cost_usd=2.0))


def _ids(catalog: Catalog, q: Query) -> list[str]:
    return [r["id"] for r in catalog.window(q, 0, 100)]


def test_filters_search_sort_and_windows(journal):
    _fill(journal)
    cat = Catalog(journal)
    assert cat.has_fts
    every = Query()
    # deleted jobs never show; newest first
    assert _ids(cat, every) == ["job_00005", "job_00003", "job_00002", "job_00001", "job_00000"]
    assert cat.count(every) == 5
    assert _ids(cat, Query(descending=False))[0] == "job_00000"
    assert _ids(cat, Query(status="running")) == ["job_00003"]
    assert _ids(cat, Query(status="failed")) == ["job_00002"]
    assert _ids(cat, Query(model="sora-2-pro")) == ["job_00000"]
    assert _ids(cat, Query(backend=OTHER)) == ["job_00003"]
    assert _ids(cat, Query(backend="videos.example.test")) == ["job_00003"]
    assert _ids(cat, Query(created_from=1_000_001.0, created_to=1_000_003.0)) == ["job_00002", "job_00001"]
    assert _ids(cat, Query(cost_min=0.5, cost_max=1.5)) == ["job_00001", "job_00000"]
    # search: every word, the last as a prefix; ids and video ids match too
    assert _ids(cat, Query(search="lighthouse")) == ["job_00003", "job_00002"]
    assert _ids(cat, Query(search="lighthouse st")) == ["job_00003"]
    assert _ids(cat, Query(search="zeb")) == ["job_00001", "job_00000"]
    assert _ids(cat, Query(search="zebra water")) == ["job_00000"]  # whole words but the last: not "Zebras"
    assert _ids(cat, Query(search="ebra")) == []  # words, not substrings
    assert _ids(cat, Query(search="job_00002")) == ["job_00002"]
    assert _ids(cat, Query(search="video_00005")) == ["job_00005"]
    # sorts: cost (unpriced last when descending), clip length
    assert _ids(cat, Query(sort="cost"))[:3] == ["job_00005", "job_00000", "job_00001"]
    assert _ids(cat, Query(sort="cost"))[-1] == "job_00002"
    assert _ids(cat, Query(sort="duration"))[:2] == ["job_00005", "job_00001"]
    # windows and positions in the current ordering
    assert [r["id"] for r in cat.window(every, 1, 2)] == ["job_00003", "job_00002"]
    assert cat.window(every, 10, 5) == []
    assert cat.locate(every, "job_00002") == 2
    assert cat.locate(Query(sort="cost"), "job_00002") == 4
    assert cat.locate(Query(status="failed"), "job_00001") is None
    assert cat.locate(every, "job_00004") is None  # deleted
    assert cat.ids(Query(status="completed")) == ["job_00001", "job_00000"]


def test_counts_per_filter_value_follow_the_other_filters(journal):
    _fill(journal)
    cat = Catalog(journal)
    facets = cat.facets(Query())
    assert facets["status"] == {"all": 5, "running": 1, "completed": 2, "failed": 1, "cancelled": 0, "expired": 1}
    assert facets["model"] == {"sora-2": 4, "sora-2-pro": 1}
    assert facets["backend"] == {"emulator": 4, "videos.example.test": 1}
    # a status filter does not narrow its own counts, but it narrows the others'
    facets = cat.facets(Query(status="failed", search="zeb"))
    assert facets["status"] == {"all": 2, "running": 0, "completed": 2, "failed": 0, "cancelled": 0, "expired": 0}
    assert facets["model"] == {} and facets["backend"] == {}
    assert cat.facets(Query(status="completed", search="zebra water"))["model"] == {"sora-2-pro": 1}


def test_cancelled_jobs_have_their_own_status_filter(journal):
    _fill(journal)
    journal.insert(_row(6, prompt="A kite stopped half-way", status="cancelled"))
    cat = Catalog(journal)
    assert _ids(cat, Query(status="cancelled")) == ["job_00006"]
    assert "job_00006" not in _ids(cat, Query(status="failed")) + _ids(cat, Query(status="running"))
    assert cat.facets(Query())["status"]["cancelled"] == 1
    assert cat.facets(Query(status="cancelled"))["status"]["all"] == 6


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '""',
        'zebra"',
        '"zebra',
        "AND",
        "OR zebra",
        "NOT",
        "zebra NEAR(lion)",
        "*",
        "zebra*",
        "prompt:zebra",
        "^zebra",
        "(",
        ")",
        "a - b",
        "+",
        "{prompt}: x",
        "'; DROP TABLE jobs; --",
        "%",
        "_",
        "\\",
        "  ",
        "NEAR/2",
    ],
)
def test_untrusted_search_text_never_breaks_the_query(journal, text):
    _fill(journal)
    cat = Catalog(journal)
    q = Query(search=text)
    rows = cat.window(q, 0, 50)  # must not raise an FTS5 syntax error
    assert cat.count(q) == len(rows)
    assert cat.count(Query()) == 5  # and nothing was dropped


def test_operators_and_quotes_are_searched_as_words(journal):
    _fill(journal)
    cat = Catalog(journal)
    assert _ids(cat, Query(search='"quoted" zebra AND')) == ["job_00000"]
    assert _ids(cat, Query(search="NEAR water*")) == ["job_00000"]
    assert _ids(cat, Query(search="lion: NEAR")) == ["job_00000"]
    assert fts_query('say "hi"') == '"say" """hi"""*'
    assert fts_query("   ") is None and fts_query("* - (") is None


def test_the_prompt_index_is_built_once_for_an_older_journal_and_kept_in_step(tmp_path):
    home = tmp_path / "home"
    journal = Journal(home)
    for i in range(3):
        journal.insert(_row(i, prompt=f"old clip {i} with a red kite"))
    journal.close()
    # as a journal made before the index: no FTS table, no triggers
    db = sqlite3.connect(home / "jobs.sqlite3")
    db.executescript(
        "DROP TRIGGER jobs_fts_insert; DROP TRIGGER jobs_fts_delete; DROP TRIGGER jobs_fts_update; DROP TABLE jobs_fts;"
    )
    db.close()
    journal = Journal(home)  # opening builds it from the rows
    cat = Catalog(journal)
    assert cat.count(Query(search="kite")) == 3
    journal.close()
    journal = Journal(home)  # and opening again changes nothing (idempotent)
    cat = Catalog(journal)
    assert cat.count(Query(search="kite")) == 3
    journal.insert(_row(7, prompt="a new blue kite"))
    journal.update("job_00001", prompt="renamed: a gull")
    assert _ids(cat, Query(search="kite")) == ["job_00007", "job_00002", "job_00000"]
    assert _ids(cat, Query(search="gull")) == ["job_00001"]
    with journal.lock():
        journal.raw().execute("DELETE FROM jobs WHERE id = 'job_00007'")
    assert _ids(cat, Query(search="blue")) == []
    integrity = journal.raw().execute("INSERT INTO jobs_fts(jobs_fts, rank) VALUES ('integrity-check', 1)")
    assert integrity is not None  # raises when the index and the rows disagree
    journal.close()


def test_bad_query_words_are_refused():
    with pytest.raises(ValueError, match="allowed: all, running"):
        Query(status="done")
    with pytest.raises(ValueError, match="allowed: date, cost, duration"):
        Query(sort="name")
