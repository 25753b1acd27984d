"""What the three widgets share: the front-end module, the command protocol, visible errors.

Front end: one ESM module (``static/sora.js``) whose ``render`` dispatches on the ``_view`` trait, because the
card renderer is shared by the card, the panel and the gallery and anywidget's Blob-URL import rules out
relative imports between files.

Browser -> kernel actions are anywidget commands (``anywidget.experimental.command``), with anywidget's wire
format: ``{kind: "anywidget-command", id, name, msg}`` (+ buffers) is answered by
``{kind: "anywidget-command-response", id, response}`` (+ buffers carrying media bytes), where ``response`` is
``{ok: true, result}`` or ``{ok: false, error}``. Commands are methods named ``_cmd_<name>`` marked with
``@command``; the wire name is ``<name>``. anywidget's own dispatcher is synchronous (it would run a slow
command on the shell thread) and has no error reply, so this class dispatches the marked methods itself.
The older ``{kind: "sora-request"}`` form is still answered the older way (``sora-reply``).

Commands never block the kernel's shell thread: a handler either answers at once or returns a
:class:`concurrent.futures.Future` (the slow part runs on the engine or a ``sora-command`` worker thread), and
the reply goes out when it resolves (comm sends are thread-safe in ipykernel).
"""

from __future__ import annotations

import concurrent.futures
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import anywidget
import traitlets as t
from anywidget.experimental import command

from ..errors import SoraWidgetsError, redact
from ..vocab import TERMINAL
from ._summary import (
    backend_state,
    describe_error,
    download_name,
    is_mine,
    mime_of,
    profile_object,
    summarize,
)
from ._throttle import Throttle

__all__ = [
    "TERMINAL", "SoraWidget", "Throttle", "backend_state", "command", "describe_error", "download_name",
    "in_background", "is_mine", "mime_of", "profile_object", "summarize",
]

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent.parent / "static"

#: Widget traits that ipywidgets' DOMWidget accepts and that make sense for these widgets.
_ALWAYS_ALLOWED = frozenset({"layout"})

Reply = tuple[Any, list[bytes]]
_workers = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="sora-command")


def in_background(fn: Callable[[], Reply]) -> concurrent.futures.Future[Reply]:
    """Run the slow part of a command off the shell thread; the reply follows when it is done."""
    return _workers.submit(fn)


class SoraWidget(anywidget.AnyWidget):
    """Base of the sora_widgets widgets: shared front end, strict constructor, commands, visible errors."""

    _esm = STATIC / "sora.js"
    _css = STATIC / "sora.css"
    _view = t.Unicode("").tag(sync=True)

    last_error = t.Unicode("").tag(sync=True)
    """The last error raised inside a callback or command of this widget, shown under it ("" when none)."""

    #: Keyword arguments the constructor accepts (besides ``layout``); set by each widget.
    _init_kwargs: ClassVar[tuple[str, ...]] = ()
    #: command name -> method name; each method takes (args, buffers) and returns (result, buffers) or a
    #: Future of it.
    _commands: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)  # anywidget collects the @command methods into _anywidget_commands
        marked = getattr(cls, "_anywidget_commands", {}) or {}
        table = dict(cls._commands)
        for attr in marked:
            if not attr.startswith("_cmd_"):
                raise TypeError(f"{cls.__name__}.{attr}: command methods are named _cmd_<name>")
            table[attr[len("_cmd_"):]] = attr
        cls._commands = table
        # our dispatcher answers them (off the shell thread, errors included); anywidget's would run them again
        cls._anywidget_commands = {}

    def __init__(self, **kwargs: Any) -> None:
        allowed = set(self._init_kwargs) | _ALWAYS_ALLOWED
        for name in kwargs:
            if name not in allowed:
                raise TypeError(
                    f"{type(self).__name__}() got an unexpected keyword argument {name!r}; "
                    f"allowed: {', '.join(sorted(allowed))}"
                )
        super().__init__(**kwargs)
        self.on_msg(self._on_frontend_msg)

    # ------------------------------------------------------------------ static preview

    def _fallback_bundle(self) -> dict[str, str] | None:
        """``text/plain`` + ``text/html`` shown where the widget cannot run (see fallback.py); None: none."""
        return None

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        return self._with_fallback(bundle)

    def _with_fallback(self, bundle: Any) -> Any:
        from .fallback import with_fallback

        try:
            fallback = self._fallback_bundle()
        except Exception as exc:  # a preview that cannot be made must not cost the widget
            log.warning("no static preview for %s: %s", type(self).__name__, describe_error(exc))
            return bundle
        return with_fallback(bundle, fallback) if fallback else bundle

    # ------------------------------------------------------------------ errors

    def _report(self, exc: BaseException, context: str) -> None:
        """Make an error from a callback visible under the widget (and in the log)."""
        text = f"{context}: {describe_error(exc)}"
        log.warning("%s\n%s", text, redact("".join(traceback.format_exception(exc))))
        self.last_error = text

    def _guard(self, fn: Callable[..., None], context: str) -> Callable[..., None]:
        """``fn`` wrapped so that an exception lands in ``last_error`` instead of vanishing on another thread."""

        def guarded(*args: Any) -> None:
            try:
                fn(*args)
            except Exception as exc:
                self._report(exc, context)

        return guarded

    # ------------------------------------------------------------------ commands

    @command
    def _cmd_ping(self, args: dict[str, Any], buffers: list[Any]) -> Reply:
        """Answered at once: the view asks at render and with actions to tell a live kernel from a lost one."""
        return {"pong": True, "widget": type(self).__name__}, []

    def _on_frontend_msg(self, widget: Any, content: Any, buffers: list[Any]) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("kind")
        if kind == "anywidget-command":
            wire = "anywidget"
            cmd, args = content.get("name"), content.get("msg")
        elif kind == "sora-request":
            wire = "sora"
            cmd, args = content.get("cmd"), content.get("args")
        else:
            return
        req_id = content.get("id")
        args = {} if args is None else args
        method = self._commands.get(cmd) if isinstance(cmd, str) else None
        try:
            if method is None:
                raise SoraWidgetsError(
                    f"unknown command {cmd!r} for {type(self).__name__}; known: {', '.join(sorted(self._commands))}"
                )
            if not isinstance(args, dict):
                raise SoraWidgetsError(
                    f"command {cmd!r} needs an object of arguments, got {type(args).__name__}"
                )
            answer = getattr(self, method)(args, list(buffers or []))
        except Exception as exc:
            self._reply_error(wire, req_id, cmd, exc)
            return
        if isinstance(answer, concurrent.futures.Future):
            answer.add_done_callback(lambda done: self._reply_future(wire, req_id, cmd, done))
        else:
            self._reply(wire, req_id, answer)

    def _send_reply(self, wire: str, req_id: Any, body: dict[str, Any], out: list[bytes] | None) -> None:
        if wire == "anywidget":
            self.send({"kind": "anywidget-command-response", "id": req_id, "response": body}, buffers=out or None)
        else:
            self.send({"kind": "sora-reply", "id": req_id, **body}, buffers=out or None)

    def _reply(self, wire: str, req_id: Any, answer: Reply) -> None:
        result, out = answer
        self._send_reply(wire, req_id, {"ok": True, "result": result}, out)

    def _reply_error(self, wire: str, req_id: Any, cmd: Any, exc: BaseException) -> None:
        if not isinstance(exc, SoraWidgetsError):
            log.error("command %r of %s failed", cmd, type(self).__name__, exc_info=exc)
        self._send_reply(wire, req_id, {"ok": False, "error": describe_error(exc)}, None)

    def _reply_future(self, wire: str, req_id: Any, cmd: Any, done: concurrent.futures.Future[Reply]) -> None:
        exc = done.exception()
        if exc is not None:
            self._reply_error(wire, req_id, cmd, exc)
        else:
            self._reply(wire, req_id, done.result())
