"""Creating a video exactly once, whatever the network does, and finding out whether a create happened.

A job is journaled before its create is sent and its send time stored; a create whose answer never came
(5xx, dropped connection) is looked for with ``list`` before anything is sent again, so nothing is paid twice.
A listed video is taken for ours only on the fields this backend is known to echo (LiteLLM drops ``prompt``):
where it cannot list, or echoes too little to be sure, the job ends ``unknown`` (retryable), never re-sent.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from typing import TYPE_CHECKING, Any, Literal

from .client import UnknownOutcome
from .errors import BackendUnavailableError, RateLimitError, SoraWidgetsError, ValidationError
from .job import JobError, VideoJob
from .loop import interpreter_exiting
from .outcomes import Gone, Transient, Unsupported
from .params import VideoParams
from .poller import backoff_delay

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["create_flow", "server_clock_offset"]

log = logging.getLogger(__name__)

MAX_CREATE_ATTEMPTS = 8
UNREACHABLE_ATTEMPTS = 3  # refused connections: retry briefly, then say the backend is down
RECONCILE_SETTLE_S = (0.0, 1.0, 2.0)  # list again after these pauses before concluding "not created"
RECONCILE_SLACK_S = 3.0  # the server stamps whole seconds; its clock offset is measured from `Date`
RECONCILE_SLACK_NO_DATE_S = 60.0  # when the server sends no Date header, allow for clock skew


async def create_flow(eng: Engine, job: VideoJob, params: VideoParams, *, outcome_unknown: bool = False) -> None:
    """Create the video once, whatever the network does. ``outcome_unknown``: a previous process sent it."""
    try:
        row = eng.journal.get(job.id) or {}
        first_sent = row.get("sent_at")
        attempt = 0
        while True:
            if outcome_unknown:
                found = await reconcile(eng, job, first_sent or time.time())
                if found is None:
                    why = ("cannot list videos" if not eng.caps.allows("list") else
                           "does not echo the prompt in its video objects, so a listed video cannot be told ours")
                    eng._fail(job, JobError(
                        "unknown_outcome",
                        "the create request's outcome is unknown (the connection failed after sending) and "
                        f"{eng.label} {why}; it was not sent again, to avoid paying twice. Look for it on the "
                        "backend, or press Retry (job.retry()) to send it again.",
                        None, True), status="unknown")
                    return
                if found:
                    eng._ack(job, found, guessed=True)
                    return
                outcome_unknown = False
                attempt += 1
                if attempt >= MAX_CREATE_ATTEMPTS:
                    raise BackendUnavailableError(
                        f"{eng.label} failed the create {attempt} times (each time it had made nothing); "
                        "giving up: job.retry() sends it again")
                await asyncio.sleep(backoff_delay(attempt))
            if first_sent is None:
                first_sent = time.time()
                eng.journal.update(job.id, sent_at=first_sent)
            try:
                if job.remixed_from:
                    source_video = (eng.journal.get(job.id) or {}).get("remix_source_video_id")
                    video, headers = await eng.client.remix(str(source_video), params.prompt)
                    eng.caps.learn("remix", True, "a remix answered")
                elif job.extended_from:
                    source_video = (eng.journal.get(job.extended_from) or {}).get("video_id")
                    video, headers = await eng.client.extend(str(source_video), params.prompt, params.seconds)
                else:
                    video, headers = await eng.client.create(params)
            except Unsupported as exc:
                eng.caps.learn(exc.op, False, str(exc))
                eng._fail(job, JobError("unsupported", f"{eng.label} cannot {exc.op} videos ({exc}); nothing "
                                        "was created", None, False))
                return
            except ValidationError as exc:
                raise await _naming_models(eng, exc) from None
            except UnknownOutcome as exc:
                log.info("create for %s: outcome unknown (%s); looking for it", job.id, exc)
                outcome_unknown = True
                continue
            except Transient as exc:  # 429 or refused connection: nothing was created
                attempt += 1
                if exc.not_sent and attempt >= UNREACHABLE_ATTEMPTS:
                    raise BackendUnavailableError(
                        f"{exc}. Is the server running? Point sora_widgets elsewhere with "
                        "sw.configure(base_url=...) or OPENAI_BASE_URL, or unset OPENAI_API_KEY to use the "
                        "local emulator."
                    ) from None
                if attempt >= MAX_CREATE_ATTEMPTS:
                    raise RateLimitError(
                        f"{eng.label} kept answering 429 to the create ({attempt} tries): {exc}",
                        exc.retry_after_s,
                    ) from None
                await asyncio.sleep(backoff_delay(attempt, exc.retry_after_s))
                continue
            eng._ack(job, video, headers)
            return
    except asyncio.CancelledError:
        raise
    except SoraWidgetsError as exc:
        eng._fail(job, JobError.from_exception(exc))
    except Gone as exc:
        eng._fail(job, JobError("not_found", f"the remix source is gone: {exc}"))
    except Exception as exc:  # never leave a job hanging on a bug
        if interpreter_exiting():
            # The interpreter is going down under us (threads/executors refused): not a failure of the job.
            # The row stays pending (with its send time when sent), so the next process's resume() finishes it.
            log.info("create for %s interrupted by interpreter exit (%s); it stays resumable", job.id, exc)
            return
        log.exception("create flow for %s failed", job.id)
        eng._fail(job, JobError.from_exception(exc))

async def _naming_models(eng: Engine, exc: ValidationError) -> ValidationError:
    """An unknown model: say which ones the backend serves, when it can tell (``GET /models``)."""
    if "model" not in str(exc).lower() and getattr(exc, "param", None) != "model":
        return exc
    served = await eng.served_models()
    if not served:
        return exc
    return ValidationError(f"{exc} (the backend serves: {', '.join(served)})", "model")


def could_be_ours(eng: Engine, job: VideoJob, video: dict[str, Any], oldest: float, claimed: set[str]) -> bool:
    """Could ``video`` be the one our create made? Same inputs, made after we sent, claimed by no row."""
    if video.get("id") in claimed or video.get("prompt") != job.prompt:
        return False
    created = video.get("created_at")
    if isinstance(created, (int, float)) and created < oldest:
        return False
    if job.remixed_from:
        source = (eng.journal.get(job.id) or {}).get("remix_source_video_id")
        return video.get("remixed_from_video_id") == source
    if job.extended_from:  # an extension's `seconds` is the whole continued clip's
        return str(video.get("size") or job.size) == job.size
    model = str(video.get("model") or job.model)
    return (model == job.model or model.startswith(job.model + "-")) and \
        str(video.get("size") or job.size) == job.size and str(video.get("seconds") or job.seconds) == job.seconds

async def reconcile(eng: Engine, job: VideoJob, since: float) -> dict[str, Any] | Literal[False] | None:
    """Find the video an unanswered create made. The video, False if surely absent, None if we cannot tell
    (the backend cannot list, or does not echo the prompt)."""
    if not eng.caps.allows("list"):
        return None
    failures = 0
    settle = 0
    while settle < len(RECONCILE_SETTLE_S):
        await asyncio.sleep(RECONCILE_SETTLE_S[settle])
        try:
            candidates, oldest = await list_since(eng, since)
        except (Unsupported, Gone, BackendUnavailableError) as exc:
            eng.caps.learn("list", False, str(exc))
            return None
        except Transient as exc:
            failures += 1
            if failures >= MAX_CREATE_ATTEMPTS:
                raise BackendUnavailableError(
                    f"could not list videos on {eng.label} to check a create: {exc}") from None
            await asyncio.sleep(backoff_delay(failures, exc.retry_after_s))
            continue
        own = (eng.journal.get(job.id) or {}).get("video_id")
        if own:  # another process (the job's earlier owner) recorded this job's video meanwhile: it is ours
            return next((v for v in candidates if v.get("id") == own), {"id": own, "status": "queued"})
        if any(v.get("prompt") for v in candidates) and not eng.caps.echoes("prompt"):
            eng.caps.learn("echo", sorted({*(eng.caps.facts.get("echo") or ()), "prompt"}), "listed videos")
        if candidates and not eng.caps.echoes("prompt"):
            return None  # nothing to tell our video from another one made with other words
        # Per job: a video another row owns is never ours; this row's own id is not "another's".
        claimed = (eng.journal.claimed_video_ids(eng.backend_key) | set(eng._by_video)) - {own}
        found = [v for v in candidates if could_be_ours(eng, job, v, oldest, claimed)]
        if found:
            found.sort(key=lambda v: (v.get("created_at") or 0, str(v.get("id"))))
            log.info("create for %s had succeeded: found %s", job.id, found[0].get("id"))
            return found[0]
        settle += 1
    return False

async def list_since(eng: Engine, sent_at: float) -> tuple[list[dict[str, Any]], float]:
    """Videos listed (newest first) back to our send time in the server's clock, and that bound."""
    found: list[dict[str, Any]] = []
    after = None
    oldest = sent_at - RECONCILE_SLACK_NO_DATE_S
    for page_number in range(50):
        page, has_more, headers = await eng.client.list_page(after=after)
        page = [eng.caps.read(v) for v in page]
        if page_number == 0:
            offset = server_clock_offset(headers.get("date"))
            if offset is not None:
                oldest = sent_at + offset - RECONCILE_SLACK_S
        found.extend(page)
        if not has_more or not page:
            break
        last = page[-1].get("created_at")
        if isinstance(last, (int, float)) and last < oldest:
            break
        after = page[-1].get("id")
    return found, oldest


def server_clock_offset(date_header: str | None) -> float | None:
    """Server clock minus ours, from an HTTP ``Date`` header (whole seconds), or None."""
    if not date_header:
        return None
    try:
        server = email.utils.parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError):
        return None
    return server - time.time()
