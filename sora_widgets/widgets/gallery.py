"""``sw.Gallery()``: every journaled job, this session's and earlier ones, newest first; in-flight ones live.

One comm for the whole gallery: the browser renders a page of cards from the ``items``/``live`` summaries
and asks for the visible page's thumbnails in one ``previews`` command, then its spritesheets in a second, then
the next page's thumbnails; video bytes are sent when the user presses play. Filtering by status and model
and searching prompts happen in the
browser.
"""

from __future__ import annotations

from typing import Any, ClassVar

import traitlets as t

from ._collection import JobCollection

__all__ = ["Gallery"]

_STATUS_FILTERS = ("all", "running", "completed", "failed", "expired")


class Gallery(JobCollection):
    """All videos of the configured journal, filterable, with lazy previews.

    Parameters
    ----------
    status_filter
        Initial status filter: ``"all"`` (default), ``"running"``, ``"completed"``, ``"failed"``, ``"expired"``.
    model_filter
        Initial model filter (``"all"`` or a model name).
    search
        Initial search text (matches prompts and ids).
    page_size
        Cards per page (1..200, default 24).
    layout
        Optional ipywidgets layout.
    """

    _view = t.Unicode("gallery").tag(sync=True)
    _init_kwargs: ClassVar[tuple[str, ...]] = ("status_filter", "model_filter", "search", "page_size")
    _drop_deleted = True

    status_filter = t.Enum(_STATUS_FILTERS, default_value="all").tag(sync=True)
    """Status filter applied when the gallery renders."""
    model_filter = t.Unicode("all").tag(sync=True)
    """Model filter applied when the gallery renders ("all" or a model name)."""
    search = t.Unicode("").tag(sync=True)
    """Search text applied when the gallery renders."""
    page_size = t.Int(24).tag(sync=True)
    """Cards per page; only the visible page fetches media."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        import sora_widgets as sw

        self._refresh_backend()
        # jobs submitted from now on (panel, magics, sw.submit) appear at the top
        self._unsub_added = sw.on_job_added(self._guard(self._on_added, "adding a new job"))
        self.reload()

    @t.validate("page_size")
    def _valid_page_size(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        if not 1 <= value <= 200:
            raise t.TraitError(f"page_size must be between 1 and 200, got {value}")
        return int(value)

    def reload(self) -> None:
        """Read the journal again (jobs added by other processes show up) and the configured backend."""
        import sora_widgets as sw

        self._follow_backend(force=True)
        jobs = sorted(sw.jobs(), key=lambda job: job.created_at or 0.0, reverse=True)
        self._track(jobs)

    def _fallback_bundle(self) -> dict[str, str]:  # static preview: contact sheet of the first page
        from .fallback import collection_bundle
        return collection_bundle("Gallery", self.jobs, page_size=self.page_size)

    def close(self) -> None:
        if getattr(self, "_unsub_added", None) is not None:
            self._unsub_added()
        super().close()

    def _on_added(self, job: Any) -> None:
        self._follow_backend()  # a submit after sw.configure(): other jobs' actions may have changed
        self._track([job])
