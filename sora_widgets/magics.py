"""``%sora`` and ``%%sora``: generate, list, show, remix and delete videos from a notebook cell.

Load with ``%load_ext sora_widgets``. The magic is thin: :mod:`sora_widgets.magic_args` parses the line, this
module calls the public API (``sw.submit``, ``sw.jobs``, ...) and shows widgets. Any mistake (bad option, bad
size, an undefined ``{name}``, missing file, unknown id, budget, backend down, a job that failed under
``--wait``) raises IPython's :class:`~IPython.core.error.UsageError`: one line that says what to fix, no
traceback, and the cell *fails*, so "Run all" stops there and ``_`` keeps its value.
"""

from __future__ import annotations

import os
import sys
from collections import ChainMap
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, needs_local_scope, no_var_expand
from traitlets import Int, Unicode, Union
from traitlets.config import Configurable

import sora_widgets as sw

# not exported by sora_widgets: a message constant and the key scrubber every error line goes through
from .errors import SHUTDOWN_NOTE, redact
from .magic_args import (
    SUBCOMMANDS,
    Command,
    GenerateOptions,
    ParseError,
    parse_line,
    usage,
)
from .magic_fill import interpolated, parse_usd, with_defaults
from .magic_table import JobTable, one_line
from .vocab import ENDED_WITHOUT_VIDEO

__all__ = ["JobTable", "SoraMagics", "load_ipython_extension", "unload_ipython_extension"]


OPENAI_BASE_URL = "https://api.openai.com/v1"

HELP = """\
%sora [options] PROMPT        generate a video; shows a live card, returns the job (job = _)
%%sora [options]              the cell body is the prompt (multi-line)

options (before the prompt; known options at its end work too):
  --model M        model (default: %config SoraMagics.default_model, else the backend's first)
  --size WxH       e.g. 1280x720 (default: SoraMagics.default_size)
  --seconds N      e.g. 8 (default: SoraMagics.default_seconds)
  --ref PATH       first-frame image (JPEG/PNG/WebP), fitted to the size
  --fit F          cover (crop, default) | contain (letterbox) | error (refuse a mismatch)
  --no-cache       generate again even if the same video exists
  --wait           block until the video is done
  -o NAME          also store the job in the variable NAME

prompt: taken as written (a cat's toy needs no quotes); "quoted" works too. {name} fills in a variable
(an undefined name is an error), {{ and }} are literal braces. Start the prompt with -- if it begins with a
subcommand word or a dash. A mistake fails the cell with one line (UsageError).

subcommands:
  %sora list                     table of jobs (id, status, model, size, seconds, cost, created, prompt)
  %sora show ID                  the card of a job
  %sora gallery                  a gallery of all jobs
  %sora panel                    the generator panel
  %sora remix [-o NAME] [--wait] ID PROMPT
  %sora delete ID [ID ...]
  %sora resume                   pick up jobs left running by an earlier session
  %sora backend [URL | emulator | openai | gemini | fal | ...] [--profile NAME]
                                 show or switch the backend; a profile names its models, sizes, prices
  %sora budget [USD | off]       show or set the spending limit
  %sora cost [--model M] [--size S] [--seconds N]
  %%sora storyboard [--model M] [--size S] [--seconds N] [--chain frame|extend|none] [-o NAME] [--wait]
                                 one shot per line of the cell: shots chained and stitched (the widget)
  %sora help"""


# -------------------------------------------------------------------------------------------------- magics


def _usd(amount: float | None) -> str:
    return "unknown" if amount is None else f"${amount:.2f}"


@magics_class
class SoraMagics(Magics, Configurable):
    """``%sora`` / ``%%sora``. Defaults come from ``%config SoraMagics.<trait>`` or ``ipython_config.py``."""

    default_model = Unicode(
        None,
        allow_none=True,
        config=True,
        help="Model used when --model is not given (None: the backend's default).",
    )
    default_size = Unicode(
        None,
        allow_none=True,
        config=True,
        help="Size WIDTHxHEIGHT used when --size is not given (None: the model's default).",
    )
    default_seconds = Union(
        [Int(), Unicode()],
        default_value=None,
        allow_none=True,
        config=True,
        help="Duration in seconds used when --seconds is not given (None: the model's default).",
    )

    def __init__(self, shell: Any) -> None:
        Configurable.__init__(self, config=shell.config)
        Magics.__init__(self, shell=shell)
        # lets `%config SoraMagics.default_model = ...` find this instance (IPython 9 adds it already)
        if self not in shell.configurables:
            shell.configurables.append(self)
        self.last_job: Any = None

    @property
    def _user_ns(self) -> dict[str, Any]:
        """The shell's namespace, read each time (a host may replace it); IPython types ``shell`` optional."""
        namespace: dict[str, Any] = getattr(self.shell, "user_ns", {})
        return namespace

    @no_var_expand  # we interpolate {name} ourselves, after parsing, so values cannot inject options
    @needs_local_scope
    @line_cell_magic
    def sora(self, line: str = "", cell: str | None = None, local_ns: Mapping[str, Any] | None = None) -> Any:
        """Generate a video from a prompt, or run a subcommand. ``%sora help`` lists everything."""
        silenced = False
        if cell is None and line.rstrip().endswith(";"):  # IPython's "no output" convention
            line, silenced = line.rstrip()[:-1], True
        namespace: Mapping[str, Any] = ChainMap(dict(local_ns or {}), self._user_ns)
        try:
            command = parse_line(line, cell)
            result = self._run(interpolated(command, namespace))
        except sw.BudgetExceededError as exc:
            raise _usage_error(f"{_describe(exc)} (in a notebook: %sora budget USD)") from None
        except (ParseError, sw.SoraWidgetsError, ValueError, OSError, LookupError) as exc:
            raise _usage_error(_describe(exc)) from None
        # anything else is a bug in sora_widgets and keeps its traceback (that is what a bug report needs);
        # KeyboardInterrupt goes to IPython too, which stops the cell
        return None if silenced else result

    # ---- output helpers

    @staticmethod
    def _say(message: str) -> None:
        print(f"sora: {redact(message)}")

    # ---- dispatch

    def _run(self, command: Command) -> Any:
        handler = getattr(self, f"_cmd_{command.name}")
        return handler(command)

    def _cmd_help(self, command: Command) -> None:
        topic = command.args[0] if command.args else None
        if topic in SUBCOMMANDS and topic != "help":
            print(f"usage: {usage(topic)}")
        else:
            print(HELP)

    def _cmd_generate(self, command: Command) -> Any:
        options = self._with_config(command.options)
        reference = _reference_path(options.ref)
        job = sw.submit(
            command.prompt,
            model=options.model,
            size=options.size,
            seconds=options.seconds,
            input_reference=reference,
            fit=options.fit or "cover",
            cache=options.cache,
        )
        return self._deliver(job, options)

    def _cmd_remix(self, command: Command) -> Any:
        source = _find_job(command.args[0])
        job = source.remix(command.prompt)
        return self._deliver(job, command.options)

    def _cmd_storyboard(self, command: Command) -> Any:
        """``%%sora storyboard``: one shot per non-empty line of the cell; the storyboard widget is the value."""
        options = self._with_config(command.options)
        shots = [line.strip() for line in (command.prompt or "").splitlines() if line.strip()]
        chain = None if options.chain == "none" else options.chain or "frame"
        board = sw.storyboard(shots, model=options.model, size=options.size, seconds=options.seconds, chain=chain)
        if options.out:
            self._user_ns[options.out] = board
        if options.wait:
            try:
                board.wait()
            except KeyboardInterrupt:
                raise _usage_error(f"stopped waiting; storyboard {board.id} keeps running") from None
        return board

    def _cmd_list(self, command: Command) -> JobTable:
        return JobTable.from_jobs(sw.jobs())

    def _cmd_show(self, command: Command) -> Any:
        job = _find_job(command.args[0])
        self._show_card(job)
        self.last_job = job
        return job

    def _cmd_gallery(self, command: Command) -> Any:
        return sw.Gallery()

    def _cmd_panel(self, command: Command) -> Any:
        return sw.GeneratorPanel()

    def _cmd_delete(self, command: Command) -> None:
        jobs = [_find_job(job_id, exact=True) for job_id in command.args]  # all checked before any is deleted
        for job in jobs:
            job.delete()
            self._say(f"deleted {job.id}")

    def _cmd_resume(self, command: Command) -> list[Any]:
        jobs = list(sw.resume() or [])
        if not jobs:
            self._say("nothing to resume: no unfinished jobs in the journal")
        else:
            self._say(f"resumed {len(jobs)} job(s): {', '.join(str(j.id) for j in jobs)}")
        return jobs

    def _cmd_backend(self, command: Command) -> None:
        target = command.args[0] if command.args else None
        changes: dict[str, Any] = {}
        if command.options.profile is not None:
            changes["profile"] = command.options.profile
        shown_url = None
        if target is None:
            pass
        elif target.lower() in _provider_words():
            # a provider with its own API; its key comes from its usual variable (GEMINI_API_KEY, FAL_KEY, ...)
            changes.update(provider=target.lower())
        elif target.lower() == "emulator":
            # the embedded emulator, even with OPENAI_API_KEY set (the api then ignores the key)
            changes.update(base_url="emulator", api_key=None, client=None, provider=None)
        elif target.lower() == "openai":
            key = os.environ.get("OPENAI_API_KEY")
            if not key:
                raise ParseError("set OPENAI_API_KEY first; and note: " + SHUTDOWN_NOTE)
            print(f"sora: warning: {SHUTDOWN_NOTE}", file=sys.stderr)
            changes.update(base_url=OPENAI_BASE_URL, api_key=key, client=None, provider=None)
        else:
            parsed = urlparse(target)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ParseError(
                    f"backend must be a URL like https://host/v1, 'emulator', 'openai' or a provider "
                    f"({', '.join(sorted(_provider_words()))}), got {target!r}"
                )
            # the key comes from the environment, never from an earlier backend (no leak to a new host)
            changes.update(base_url=target, api_key=os.environ.get("OPENAI_API_KEY"), client=None, provider=None)
            # shown as given, minus any user:password@ or query (where secrets hide): says more than the host
            shown_url = parsed._replace(
                netloc=parsed.netloc.rpartition("@")[2], query="", fragment=""
            ).geturl()
        if changes:
            sw.configure(**changes)
        self._say(_backend_line(sw.backend_info(), url=shown_url))

    def _cmd_budget(self, command: Command) -> None:
        if command.args:  # checked here, after {name} is filled in
            sw.configure(budget_usd=parse_usd(command.args[0]))
        spent, remaining = sw.spend(), sw.budget_remaining()
        if remaining is None:
            self._say(f"spent {_usd(spent)} (estimated); no budget set: %sora budget 5 sets one")
        else:
            self._say(f"spent {_usd(spent)} (estimated); {_usd(remaining)} of the budget remaining")

    def _cmd_cost(self, command: Command) -> None:
        options = self._with_config(command.options)
        estimate = sw.estimate_cost(model=options.model, size=options.size, seconds=options.seconds)
        model, size, seconds = _resolved(options)
        what = f"{model}, {size}, {seconds} s"
        price = "no price known for this backend" if estimate is None else f"about {_usd(estimate)}"
        remaining = sw.budget_remaining()
        budget = "" if remaining is None else f", {_usd(remaining)} of the budget remaining"
        self._say(f"one video ({what}): {price}; spent so far {_usd(sw.spend())}{budget}")

    # ---- shared pieces

    def _with_config(self, options: GenerateOptions) -> GenerateOptions:
        seconds = self.default_seconds
        return with_defaults(
            options,
            model=self.default_model or None,
            size=self.default_size or None,
            seconds=None if seconds in (None, "") else str(seconds),
        )

    def _deliver(self, job: Any, options: GenerateOptions) -> Any:
        """Show the card, bind ``-o NAME``, wait if asked; the job is the magic's value.

        Under ``--wait`` a job that does not complete fails the cell (like ``sw.generate`` raises), after
        ``-o NAME`` is bound, so the failed job can still be looked at.
        """
        self._show_card(job)
        self.last_job = job
        if options.out:
            self._user_ns[options.out] = job
        if options.wait:
            try:
                job.wait()
            except KeyboardInterrupt:
                raise _usage_error(f"stopped waiting; {job.id} keeps running (see %sora list)") from None
            except sw.SoraWidgetsError as exc:
                raise _usage_error(f"{job.id}: {_describe(exc)}") from None
            error = getattr(job, "error", None)
            if getattr(job, "status", None) in ENDED_WITHOUT_VIDEO and error is not None:
                blocked = getattr(error, "blocked_input", None)
                which = f" (the {blocked} was flagged; change it and try again)" if blocked else ""
                raise _usage_error(f"{job.id} {job.status}: {getattr(error, 'message', error)}{which}")
        return job

    def _show_card(self, job: Any) -> None:
        from IPython.display import display

        display(sw.VideoCard(job))  # type: ignore[no-untyped-call]
        _CARD_SHOWN.add(id(job))  # the magic's value (the job) then shows nothing more under its card


# ------------------------------------------------------------------------------------------------- helpers


def _resolved(options: GenerateOptions) -> tuple[str, str, str]:
    """Model, size and seconds a job with ``options`` would get (the profile's defaults filled in)."""
    try:
        profile = sw.get_profile(str(sw.backend_info()["profile"]))
        spec = profile.find_model(options.model or profile.default_model)
    except (KeyError, sw.SoraWidgetsError):  # an unregistered profile: name what we know
        spec = None
    if spec is None:
        return options.model or "default model", options.size or "default size", options.seconds or "default"
    return spec.name, options.size or spec.default_size, options.seconds or spec.default_seconds


def _usage_error(message: str) -> UsageError:
    """One line, with anything key-shaped scrubbed: IPython prints it as ``UsageError: ...`` and fails the cell."""
    return UsageError(one_line(redact(message)))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])  # KeyError's str() is the repr of the key
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc) or type(exc).__name__


def _reference_path(ref: str | None) -> Path | None:
    if ref is None:
        return None
    path = Path(ref).expanduser()
    if not path.is_file():
        raise ParseError(
            f"--ref file not found: {path} (a JPEG, PNG or WebP image path, relative to {Path.cwd()})"
        )
    return path


def _find_job(job_id: str, *, exact: bool = False) -> Any:
    """The job for an id or a unique prefix (``exact``: the whole id, so a short prefix never deletes)."""
    try:
        job = sw.get_job(job_id)
    except KeyError as exc:  # unknown or ambiguous: the engine's message says which
        raise ParseError(f"{_describe(exc)}; %sora list shows the ids") from None
    if exact and job_id not in (job.id, job.video_id):
        raise ParseError(f"{job_id!r} is only the start of {job.id}; give the whole id to delete it")
    return job


def _provider_words() -> set[str]:
    from .providers import provider_aliases, provider_names

    return {*provider_names(), *provider_aliases()}


def _backend_line(info: Mapping[str, Any], url: str | None = None) -> str:
    label = url or info.get("label") or info.get("base_url_host") or "unknown"
    profile = info.get("profile")
    profile_name = getattr(profile, "name", profile)
    kind = "local emulator" if info.get("is_emulator") else "remote"
    host = info.get("base_url_host")
    where = f" at {host}" if host and host not in label else ""
    return f"backend: {label}{where} ({kind}, profile {profile_name})"


#: ids of jobs whose card the magic has just displayed: their value as the cell's result shows nothing more
#: (a second card, or a ``<VideoJob … queued 0% …>`` line that goes stale under a card that says "Ready").
_CARD_SHOWN: set[int] = set()


def _display_job(job: Any) -> None:
    """A job as a cell's value: its live card, unless %sora showed that card a moment ago."""
    if id(job) in _CARD_SHOWN:
        _CARD_SHOWN.discard(id(job))
        return
    from IPython.display import display

    display(sw.VideoCard(job))  # type: ignore[no-untyped-call]


def _forget_shown(*_info: Any) -> None:
    _CARD_SHOWN.clear()  # per cell: `j = %sora ...` (no displayhook) must not hide a later `j`


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%sora`` and ``%%sora`` (``%load_ext sora_widgets``), and show a job value as its card."""
    ipython.register_magics(SoraMagics)
    ipython.display_formatter.ipython_display_formatter.for_type_by_name(
        "sora_widgets.job", "VideoJob", _display_job
    )
    if _forget_shown not in ipython.events.callbacks.get("pre_run_cell", []):
        ipython.events.register("pre_run_cell", _forget_shown)


def unload_ipython_extension(ipython: Any) -> None:
    """Remove the magics and the config hook again (``%unload_ext sora_widgets``)."""
    manager = ipython.magics_manager
    for kind in ("line", "cell"):
        manager.magics[kind].pop("sora", None)
    ipython.configurables[:] = [c for c in ipython.configurables if not isinstance(c, SoraMagics)]
    manager.registry.pop("SoraMagics", None)
    if _forget_shown in ipython.events.callbacks.get("pre_run_cell", []):
        ipython.events.unregister("pre_run_cell", _forget_shown)
