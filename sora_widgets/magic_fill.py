"""What a parsed ``%sora`` line leaves open, filled in: ``{name}`` from the user's namespace, config defaults,
the budget amount.

``{name}`` is filled with :class:`string.Formatter` after parsing (:mod:`sora_widgets.magic_args`), in the
prompt, option values and ids, so a value can never add options. The rules are :meth:`str.format`'s, and a
name that is not defined is an error (a prompt with a typo must not pay for a video of the literal text).
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .magic_args import Command, GenerateOptions, ParseError

__all__ = ["interpolate", "interpolated", "parse_usd", "with_defaults"]


class _Filler(string.Formatter):
    """:class:`string.Formatter` over the user's namespace, where a name that is not defined is an error."""

    def __init__(self, namespace: Mapping[str, Any]) -> None:
        super().__init__()
        self.namespace = namespace

    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        if isinstance(key, int) or not key.isidentifier():
            raise ParseError(
                f"{{{key}}} is not a variable name (write {{animal}} to fill one in, {{{{ and }}}} for braces)"
            )
        try:
            return self.namespace[key]
        except KeyError:
            raise ParseError(
                f"{{{key}}} names no variable: define {key} first, or write {{{{{key}}}}} for the literal text"
            ) from None

    def format_field(self, value: Any, format_spec: str) -> Any:
        # hand-written: str.format happily builds a gigabyte string for "{x:>999999999}"
        if re.search(r"\d{5,}", format_spec):
            raise ParseError(
                f"the format spec {format_spec[:20]!r} asks for too wide a field; use at most 4 digits"
            )
        return super().format_field(value, format_spec)


def interpolate(text: str, namespace: Mapping[str, Any]) -> str:
    """Replace ``{name}`` with values from ``namespace``, the way :meth:`str.format` does.

    ``{{`` and ``}}`` give literal braces; ``{name.attr}``, ``{name[key]}``, ``{name!r}`` and ``{name:>8}`` work.

    Raises
    ------
    ParseError
        A name that is not defined, a lone brace, or a value that cannot be formatted as asked.
    """
    if "{" not in text and "}" not in text:
        return text
    try:
        return _Filler(namespace).vformat(text, (), {})
    except ParseError:
        raise
    except Exception as exc:  # user text drives format specs and attribute access: any failure is input
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParseError(
            f"cannot fill in the braces in {_clip(text)!r}: {message}; write {{{{ and }}}} for literal braces"
        ) from None


def _clip(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def interpolated(command: Command, namespace: Mapping[str, Any]) -> Command:
    """Fill ``{name}`` in the prompt, option values and ids (after parsing, so values cannot add options)."""

    def fill(value: str | None) -> str | None:
        return None if value is None else interpolate(value, namespace)

    options = command.options
    return replace(
        command,
        prompt=fill(command.prompt),
        options=replace(
            options,
            model=fill(options.model),
            size=fill(options.size),
            seconds=fill(options.seconds),
            ref=fill(options.ref),
            profile=fill(options.profile),
        ),
        args=tuple(interpolate(a, namespace) for a in command.args),
    )


def with_defaults(options: GenerateOptions, **defaults: Any) -> GenerateOptions:
    """``options`` with each None field taken from ``defaults`` (config values)."""
    changes = {k: v for k, v in defaults.items() if getattr(options, k) is None and v is not None}
    return replace(options, **changes)


def parse_usd(text: str) -> float | None:
    """``"5"``, ``"$2.50"`` → dollars; ``"off"``/``"none"`` → None (no budget). ParseError otherwise.

    Checked after ``{name}`` is filled in (``%sora budget {limit}``), so not by :func:`parse_line`.
    """
    word = text.strip().lstrip("$").replace("_", "")
    if word.lower() in ("off", "none", "unlimited"):
        return None
    try:
        amount = float(word)
    except ValueError:
        amount = math.nan
    if not math.isfinite(amount) or amount < 0:
        raise ParseError(f"budget must be an amount in US dollars like 5 or 2.50 (or 'off'), got {text!r}")
    return amount
