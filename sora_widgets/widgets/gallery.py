"""``sw.Gallery()``: every journaled job, this session's and earlier ones, searched, filtered and sorted in the
journal (:mod:`sora_widgets.catalog`); in-flight ones live.

One comm for the whole gallery, and never a list of every job: the traits carry the query (search, filters,
sort: both ways), its ``total``, the counts per filter value (``facets``) and the first window of summaries
(``items``: the first paint needs no round trip). The browser scrolls a virtual list and asks for the rows it
shows with the ``window`` command (``locate`` finds a job's row); ``revision`` changes whenever the result
set or its order does, so the browser knows its windows are stale. Jobs still in flight are followed and their
summaries sent in ``live`` (throttled), overlaid on whatever window shows them. Previews come in batches
(``previews``), the MP4 on play.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, ClassVar

import traitlets as t

from ..catalog import SORTS, STATUS_FILTERS, Catalog, Query
from ..errors import SoraWidgetsError
from ..vocab import TERMINAL
from ._base import SoraWidget, Throttle, backend_state, command, summarize
from ._commands import JobCommands

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..job import VideoJob

__all__ = ["MAX_WINDOW", "Gallery"]

#: Most summaries one ``window`` command answers.
MAX_WINDOW = 500

_QUERY_TRAITS = (
    "search", "status_filter", "model_filter", "backend_filter", "created_from", "created_to", "cost_min",
    "cost_max", "sort_by", "sort_desc", "page_size",
)  # fmt: skip


class Gallery(JobCommands, SoraWidget):
    """All videos of the configured journal, searchable and filterable over any number of them.

    Parameters
    ----------
    search
        Prompt search: every word must appear (the last one as a prefix); a job id or backend id also matches.
    status_filter
        ``"all"`` (default), ``"running"``, ``"completed"``, ``"failed"``, ``"cancelled"``, ``"expired"``.
    model_filter, backend_filter
        ``"all"`` or a model name / a backend (its label or key, as in ``facets["backend"]``).
    created_from, created_to
        Submitted at or after / before these times (seconds since the epoch), None: no bound.
    cost_min, cost_max
        Estimated cost bounds in USD, None: no bound (a bound leaves out unpriced jobs).
    sort_by, sort_desc
        ``"date"`` (default), ``"cost"`` or ``"duration"`` (clip length); descending by default.
    page_size
        Summaries sent with every change of the query (the first screen), 1..200 (default 24).
    layout
        Optional ipywidgets layout.
    """

    _view = t.Unicode("gallery").tag(sync=True)
    _init_kwargs: ClassVar[tuple[str, ...]] = _QUERY_TRAITS

    search = t.Unicode("").tag(sync=True)
    status_filter = t.Enum(STATUS_FILTERS, default_value="all").tag(sync=True)
    model_filter = t.Unicode("all").tag(sync=True)
    backend_filter = t.Unicode("all").tag(sync=True)
    created_from = t.Float(None, allow_none=True).tag(sync=True)
    created_to = t.Float(None, allow_none=True).tag(sync=True)
    cost_min = t.Float(None, allow_none=True).tag(sync=True)
    cost_max = t.Float(None, allow_none=True).tag(sync=True)
    sort_by = t.Enum(SORTS, default_value="date").tag(sync=True)
    sort_desc = t.Bool(True).tag(sync=True)
    page_size = t.Int(24).tag(sync=True)

    items = t.List(t.Dict(), read_only=True).tag(sync=True)
    """Summaries of the first ``page_size`` jobs of the current order (later rows: the ``window`` command)."""
    live = t.Dict(read_only=True).tag(sync=True)
    """``{job_id: summary}`` for the jobs still in flight."""
    total = t.Int(0, read_only=True).tag(sync=True)
    """How many jobs match the query."""
    all_count = t.Int(0, read_only=True).tag(sync=True)
    """How many jobs the journal holds (deleted ones left out), whatever the query."""
    facets = t.Dict(read_only=True).tag(sync=True)
    """Counts per value: ``{"status": {...}, "model": {...}, "backend": {...}}``, each under the other filters."""
    revision = t.Int(0, read_only=True).tag(sync=True)
    """Changes whenever the matching jobs or their order change: windows fetched before are stale."""

    def __init__(self, **kwargs: Any) -> None:
        self._lock = threading.RLock()
        self._followed: dict[str, Callable[[], None]] = {}
        self._dirty: set[str] = set()
        self._structural = False
        self._remix_ok = True
        self._backend_key: str | None = None
        self._facets_cache: dict[Query, dict[str, dict[str, int]]] = {}
        self._all_count: int | None = None
        self._data_version = -1
        self._throttle = Throttle(self._guard(self._flush, "updating the gallery"), interval_s=0.1)
        super().__init__(**kwargs)
        import sora_widgets as sw

        # jobs submitted from now on (panel, magics, sw.submit) appear, live
        self._unsub_added = sw.on_job_added(self._guard(self._on_added, "adding a new job"))
        self.observe(self._guard(self._on_query, "searching the journal"), names=list(_QUERY_TRAITS))
        self.reload()

    @t.validate("page_size")
    def _valid_page_size(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        if not 1 <= value <= 200:
            raise t.TraitError(f"page_size must be between 1 and 200, got {value}")
        return int(value)

    # ------------------------------------------------------------------ public

    @property
    def query(self) -> Query:
        """The current search, filters and order."""
        return Query(
            search=self.search, status=self.status_filter, model=self.model_filter, backend=self.backend_filter,
            created_from=self.created_from, created_to=self.created_to, cost_min=self.cost_min,
            cost_max=self.cost_max, sort=self.sort_by, descending=self.sort_desc,
        )  # fmt: skip

    @property
    def jobs(self) -> list[VideoJob]:
        """Every job matching the query, in its order (reads them all: the views use windows instead)."""
        cat = self._cat()
        return [job for row in cat.window(self.query, 0, 1 << 62) if (job := cat.job(row["id"])) is not None]

    def reload(self) -> None:
        """Read the journal again (jobs added by other processes show up), follow the jobs in flight, and
        re-read the configured backend."""
        cat = self._cat()
        for row in cat.in_flight_rows():
            job = cat.job(row["id"])
            if job is not None:
                self._follow(job)
        with self._lock:
            self._structural = True
        self._throttle.flush()  # live summaries of the jobs in flight, and the query

    def close(self) -> None:
        # also runs from __del__ of a widget whose constructor failed half-way
        if getattr(self, "_unsub_added", None) is not None:
            self._unsub_added()
        if getattr(self, "_throttle", None) is not None:
            with self._lock:
                unsubs = list(self._followed.values())
                self._followed.clear()
            for unsub in unsubs:
                unsub()
            self._throttle.close()
        super().close()

    # ------------------------------------------------------------------ the journal's side

    @staticmethod
    def _cat() -> Catalog:
        import sora_widgets as sw

        catalog: Catalog = sw.job_catalog()
        return catalog  # the configured journal's (sw.configure(home=...) may swap it)

    def _refresh_backend(self) -> None:
        try:
            profile, key = backend_state()
            self._remix_ok, self._backend_key = bool(profile.supports("remix")), key
        except Exception as exc:
            self._remix_ok = False
            self._report(exc, "reading the backend")

    def _summaries(self, cat: Catalog, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # a job this process knows is more current than its row; the others are read, not kept
        return [
            summarize(cat.reader(r), remix_ok=self._remix_ok, backend_key=self._backend_key) for r in rows
        ]

    def _refresh(self, cat: Catalog | None = None, *, journal_changed: bool = True) -> None:
        """The current query's total and first window, with a new revision, sent at once (what the browser
        waits for); then the counts per filter value, which take longer (cached per query until the journal
        changes)."""
        cat = cat or self._cat()
        with self._lock:
            if journal_changed:
                self._refresh_backend()
            version = cat.data_version()
            if journal_changed or version != self._data_version:
                self._facets_cache.clear()
                self._all_count, self._data_version = None, version
            q = self.query
            total = cat.count(q)
            head = self._summaries(cat, cat.window(q, 0, self.page_size))
            with self.hold_sync():
                self.set_trait("total", total)
                self.set_trait("items", head)
                self.set_trait("revision", self.revision + 1)
            facets = self._facets_cache.get(q)
            if facets is None:
                facets = self._facets_cache[q] = cat.facets(q)
                while len(self._facets_cache) > 64:
                    self._facets_cache.pop(next(iter(self._facets_cache)))
            if self._all_count is None:
                self._all_count = cat.count(Query())
            with self.hold_sync():
                self.set_trait("all_count", self._all_count)
                self.set_trait("facets", facets)

    def _on_query(self, change: dict[str, Any]) -> None:
        self._refresh(journal_changed=False)

    # ------------------------------------------------------------------ live jobs

    def _follow(self, job: VideoJob, *, acted_on: bool = False) -> None:
        """Watch ``job``: in flight, its summary goes to ``live``; any change of a finished one it was acted on
        (deleted, its media fetched) refreshes the query."""
        with self._lock:
            if job.id in self._followed or (job.status in TERMINAL and not acted_on):
                return
            self._followed[job.id] = lambda: None
        unsub = job.on_change(self._on_job_change)  # attaches a job of an earlier process to the engine
        with self._lock:
            self._followed[job.id] = unsub
            self._dirty.add(job.id)

    def _on_added(self, job: VideoJob) -> None:
        self._follow(job)
        with self._lock:
            self._structural = True
        self._throttle.flush()

    def _on_job_change(self, job: VideoJob) -> None:
        # engine thread
        with self._lock:
            if job.id not in self._followed:
                return
            self._dirty.add(job.id)
        self._throttle.poke(urgent=job.status in TERMINAL)

    def _flush(self) -> None:
        cat = self._cat()
        with self._lock:
            dirty = [i for i in self._dirty if i in self._followed]
            self._dirty.clear()
            structural, self._structural = self._structural, False
        live = dict(self.live)
        for job_id in dirty:
            job = cat.known(job_id)
            if job is None:
                continue
            if job.status in TERMINAL:
                live.pop(job_id, None)
                structural = True  # it may leave or join the filtered set, and its row changed
            else:
                live[job_id] = summarize(job, remix_ok=self._remix_ok, backend_key=self._backend_key)
        with self.hold_sync():
            if live != self.live:
                self.set_trait("live", live)
            if structural:
                self._refresh(cat)

    # ------------------------------------------------------------------ commands

    def _job_for(self, job_id: Any) -> VideoJob:
        job = self._cat().job(job_id) if isinstance(job_id, str) else None
        if job is None or job.status == "deleted":
            raise SoraWidgetsError(f"{job_id!r} is not shown in this {type(self).__name__}")
        self._refresh_backend()
        self._follow(job, acted_on=True)
        return job

    def _peek_job(self, job_id: Any) -> VideoJob:
        cat = self._cat()
        row = cat.journal.get(job_id) if isinstance(job_id, str) else None
        job = cat.reader(row) if row is not None else None
        if job is None or job.status == "deleted":
            raise SoraWidgetsError(f"{job_id!r} is not shown in this {type(self).__name__}")
        return job

    def _adopt(self, job: VideoJob) -> None:
        self._on_added(job)

    @command
    def _cmd_window(self, args: dict[str, Any], buffers: list[Any]) -> tuple[Any, list[bytes]]:
        """``{offset, limit}`` -> ``{revision, total, offset, items}``: the summaries of those rows of the
        current order (fewer at the end). Answered at once: a window is one indexed query."""
        offset, limit = args.get("offset", 0), args.get("limit", self.page_size)
        if (
            not isinstance(offset, int)
            or not isinstance(limit, int)
            or offset < 0
            or not 0 < limit <= MAX_WINDOW
        ):
            raise SoraWidgetsError(f"window needs offset >= 0 and 1 <= limit <= {MAX_WINDOW} (whole numbers)")
        cat = self._cat()
        with self._lock:
            rows = cat.window(self.query, offset, limit)
            revision, total = self.revision, self.total
        items = self._summaries(cat, rows)
        return {"revision": revision, "total": total, "offset": offset, "items": items}, []

    @command
    def _cmd_locate(self, args: dict[str, Any], buffers: list[Any]) -> tuple[Any, list[bytes]]:
        """``{job_id}`` -> ``{revision, index}``: where the job is in the current order (None: not in it)."""
        job_id = args.get("job_id")
        if not isinstance(job_id, str):
            raise SoraWidgetsError("locate needs a job_id string")
        with self._lock:
            index = self._cat().locate(self.query, job_id)
            revision = self.revision
        return {"revision": revision, "index": index}, []

    def _fallback_bundle(
        self,
    ) -> dict[str, str]:  # static preview: counts and a contact sheet of the first rows
        from .fallback import collection_bundle

        cat = self._cat()
        rows = cat.window(self.query, 0, self.page_size)
        counts = {k: n for k, n in (self.facets.get("status") or {}).items() if k != "all" and n}
        return collection_bundle(
            "Gallery",
            [cat.reader(r) for r in rows],
            page_size=self.page_size,
            total=self.total,
            counts=counts,
        )
