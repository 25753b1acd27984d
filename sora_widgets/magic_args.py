"""The pure parser behind ``%sora`` / ``%%sora``: argument lines in, a :class:`Command` (or a ParseError) out.

No IPython and no engine here, so it can be fuzzed on its own. Rules, in the order they apply:

- The first word, unquoted, may be a subcommand (``list``, ``show ID``, ``remix ID PROMPT``...).
- Otherwise options come first (``--model M``, ``--size S``, ``--seconds N``, ``--ref PATH``, ``--fit F``,
  ``--no-cache``, ``--wait``, ``-o NAME``; ``--opt=value`` works too), then the prompt.
- The prompt is the rest of the line taken *as written*, so ``a cat's toy`` needs no quoting. A prompt
  that starts with a quote is one quoted word (POSIX shell rules: ``"a cat's \\"toy\\""``), and options
  may follow it.
  Known options at the end of an unquoted prompt are options too (``%sora a fox --wait``).
- ``--`` ends the options: everything after it is the prompt, even ``list`` or ``--wait``.

Option words are split with POSIX shell rules (a small tokenizer that also reports where each word sits in the
line, which :mod:`shlex` cannot): never on plain spaces.
"""

from __future__ import annotations

import difflib
import keyword
import math
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = [
    "FITS",
    "SUBCOMMANDS",
    "Command",
    "GenerateOptions",
    "ParseError",
    "interpolate",
    "parse_line",
    "parse_usd",
]

#: Subcommand words; a prompt that starts with one of them needs ``--`` (or quotes) in front.
SUBCOMMANDS = (
    "list",
    "show",
    "gallery",
    "panel",
    "remix",
    "delete",
    "resume",
    "backend",
    "budget",
    "cost",
    "help",
)
FITS = ("cover", "contain", "error")  # same as params.FITS; repeated so the parser imports nothing heavy

_QUOTES = "'\""


class ParseError(ValueError):
    """A line the magic cannot understand. ``str(err)`` is one line that says what to fix."""


@dataclass(frozen=True)
class GenerateOptions:
    """Options of a generation (and, in part, of ``remix`` and ``cost``). None means "use the default"."""

    model: str | None = None
    size: str | None = None
    seconds: str | None = None
    ref: str | None = None
    fit: str | None = None
    cache: bool = True
    wait: bool = False
    out: str | None = None
    profile: str | None = None  # backend only


@dataclass(frozen=True)
class Command:
    """What a line asks for.

    ``name`` is ``"generate"`` or a subcommand word; ``prompt`` is set for ``generate`` and ``remix``;
    ``args`` holds the positional words of the other subcommands.
    """

    name: str
    prompt: str | None = None
    options: GenerateOptions = field(default_factory=GenerateOptions)
    args: tuple[str, ...] = ()


# ----------------------------------------------------------------------------------------------- tokenizer


@dataclass(frozen=True)
class _Token:
    value: str
    start: int
    end: int

    quoted: bool  # the word began with a quote character


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _next_token(text: str, pos: int) -> _Token | None:
    """The word at or after ``pos`` (POSIX shell quoting), or None at the end of the line."""
    start = _skip_space(text, pos)
    if start >= len(text):
        return None
    out: list[str] = []
    i = start
    while i < len(text) and not text[i].isspace():
        ch = text[i]
        if ch == "\\":
            if i + 1 >= len(text):
                raise ParseError(
                    "the line ends with a lone backslash; remove it or write \\\\ for a backslash"
                )
            out.append(text[i + 1])
            i += 2
        elif ch == "'":
            close = text.find("'", i + 1)
            if close < 0:
                raise ParseError(_unbalanced("'", text, i))
            out.append(text[i + 1 : close])
            i = close + 1
        elif ch == '"':
            i += 1
            while True:
                if i >= len(text):
                    raise ParseError(_unbalanced('"', text, start))
                ch = text[i]
                if ch == '"':
                    i += 1
                    break
                if ch == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
                    out.append(text[i + 1])
                    i += 2
                else:
                    out.append(ch)
                    i += 1
        else:
            out.append(ch)
            i += 1
    return _Token("".join(out), start, i, text[start] in _QUOTES)


def _unbalanced(quote: str, text: str, at: int) -> str:
    snippet = text[at : at + 24] + ("…" if len(text) > at + 24 else "")
    return (
        f"unbalanced {quote} quote in {snippet!r}; close the quote, or put the prompt after -- to take it "
        "as written"
    )


def _tokens(text: str, pos: int) -> Iterator[_Token]:
    while (token := _next_token(text, pos)) is not None:
        yield token
        pos = token.end


# ------------------------------------------------------------------------------------------------- options

_VALUE_OPTIONS = {
    "--model": "model",
    "--size": "size",
    "--seconds": "seconds",
    "--ref": "ref",
    "--fit": "fit",
    "-o": "out",
    "--out": "out",
    "--profile": "profile",
}
_FLAG_OPTIONS = {"--no-cache": ("cache", False), "--wait": ("wait", True)}
_HELP_OPTIONS = ("-h", "--help")
_EXAMPLES = {
    "model": "--model sora-2-pro",
    "size": "--size 1280x720",
    "seconds": "--seconds 8",
    "ref": "--ref first_frame.png",
    "fit": "--fit contain",
    "out": "-o clip",
    "profile": "--profile openai",
}

# Which options each command takes.
_GENERATE_OPTS = (frozenset(_VALUE_OPTIONS) | frozenset(_FLAG_OPTIONS)) - {"--profile"}
_REMIX_OPTS = frozenset({"-o", "--out", "--wait"})
_COST_OPTS = frozenset({"--model", "--size", "--seconds"})
_BACKEND_OPTS = frozenset({"--profile"})


def _looks_like_option(word: str) -> bool:
    """``-x``/``--xyz``: a dash then a letter or dash. ``-5 degrees`` or a lone ``-`` start a prompt."""
    return len(word) > 1 and word[0] == "-" and (word[1].isalpha() or word[1] == "-")


def _split_option(word: str) -> tuple[str, str | None]:
    if word.startswith("--") and "=" in word:
        name, value = word.split("=", 1)
        return name, value
    return word, None


def _unknown_option(name: str, allowed: frozenset[str], command: str) -> ParseError:
    choices = sorted(allowed | set(_HELP_OPTIONS))
    close = difflib.get_close_matches(name, choices, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return ParseError(f"unknown option {_shown(name)} for {command}; {hint}allowed: {', '.join(choices)}")


def _shown(word: str) -> str:
    """``word`` as typed when it is plain, else its repr (so a message stays one readable line)."""
    return word if word.isprintable() and not any(c.isspace() for c in word) else repr(word)


class _HelpRequested(Exception):
    pass


def _check_value(dest: str, value: str, option: str) -> str:
    if dest == "fit" and value not in FITS:
        raise ParseError(f"{option} {value!r} is not one of: {', '.join(FITS)}")
    if dest == "out" and (not value.isidentifier() or keyword.iskeyword(value)):
        raise ParseError(f"{option} needs a Python variable name, got {value!r} (e.g. {_EXAMPLES['out']})")
    if not value.strip():
        raise ParseError(f"{option} needs a non-empty value (e.g. {_EXAMPLES[dest]})")
    return value


def _read_option(
    text: str, token: _Token, allowed: frozenset[str], command: str, values: dict[str, Any]
) -> int:
    """Apply the option in ``token`` (reading its value word if needed) to ``values``; return the position
    after it."""
    name, inline = _split_option(token.value)
    if name in _HELP_OPTIONS:
        raise _HelpRequested
    if name not in allowed:
        raise _unknown_option(name, allowed, command)
    if name in _FLAG_OPTIONS:
        if inline is not None:
            raise ParseError(f"{name} is a switch and takes no value")
        dest, flag = _FLAG_OPTIONS[name]
        values[dest] = flag
        return token.end
    dest = _VALUE_OPTIONS[name]
    if inline is not None:
        values[dest] = _check_value(dest, inline, name)
        return token.end
    value = _next_token(text, token.end)
    if value is None or (not value.quoted and _looks_like_option(value.value)):
        raise ParseError(f"{name} needs a value (e.g. {_EXAMPLES[dest]})")
    values[dest] = _check_value(dest, value.value, name)
    return value.end


def _only_options(text: str, pos: int, allowed: frozenset[str], command: str, values: dict[str, Any]) -> None:
    """Everything from ``pos`` on must be options."""
    while (token := _next_token(text, pos)) is not None:
        if token.quoted or not _looks_like_option(token.value):
            raise ParseError(
                f"unexpected text {token.value!r} after the prompt; put options before the prompt, quote the "
                "whole prompt, or write `%sora -- PROMPT` to send the text as written"
            )
        pos = _read_option(text, token, allowed, command, values)


def _literal_rest(text: str, pos: int) -> str:
    """The text after ``--``: as written, unless it is exactly one quoted word (then unquoted)."""
    rest = text[pos:].strip()
    if rest and rest[0] in _QUOTES:
        try:
            token = _next_token(rest, 0)
            if token is not None and token.end == len(rest):
                return token.value
        except ParseError:
            pass  # an unbalanced quote after -- is just text
    return rest


def _trailing_options_start(text: str, start: int, allowed: frozenset[str]) -> int | None:
    """Where known options begin at the end of an unquoted prompt (``a fox --wait``), or None.

    Only exact option names count, so ``a film about -- dashes`` or ``--verbose`` in a prompt stay text.
    """
    pos = start
    while pos < len(text):
        pos = _skip_space(text, pos)
        end = pos
        while end < len(text) and not text[end].isspace():
            end += 1
        word = text[pos:end]
        if pos > start and _split_option(word)[0] in allowed:
            return pos
        pos = end
    return None


def _parse_prompt_and_options(
    text: str, pos: int, allowed: frozenset[str], command: str, values: dict[str, Any], *, cell: bool
) -> str | None:
    """Read options from ``pos``, then the prompt (see the module docstring). None when there is no prompt."""
    while True:
        token = _next_token(text, pos)
        if token is None:
            return None
        if not token.quoted and token.value == "--":
            if cell:
                raise ParseError(f"%%sora {command} takes the prompt from the cell body, not after --")
            return _literal_rest(text, token.end)
        if not token.quoted and _looks_like_option(token.value):
            pos = _read_option(text, token, allowed, command, values)
            continue
        if cell:
            raise ParseError(
                "%%sora takes the prompt from the cell body; the first line holds only options, found "
                f"{token.value!r}"
            )
        if token.quoted:
            _only_options(text, token.end, allowed, command, values)
            return token.value
        trailing = _trailing_options_start(text, token.start, allowed)
        if trailing is None:
            return text[token.start :].strip()
        _only_options(text, trailing, allowed, command, values)
        return text[token.start : trailing].strip()


# ---------------------------------------------------------------------------------------------- the parser

_USAGE = {
    "generate": "%sora [options] PROMPT",
    "list": "%sora list",
    "show": "%sora show ID",
    "gallery": "%sora gallery",
    "panel": "%sora panel",
    "remix": "%sora remix [-o NAME] [--wait] ID PROMPT",
    "delete": "%sora delete ID [ID ...]",
    "resume": "%sora resume",
    "backend": "%sora backend [URL | emulator | openai] [--profile NAME]",
    "budget": "%sora budget [USD | off]",
    "cost": "%sora cost [--model M] [--size S] [--seconds N]",
    "help": "%sora help [SUBCOMMAND]",
}


def usage(command: str) -> str:
    """The one-line usage of ``command``."""
    return _USAGE.get(command, _USAGE["generate"])


def parse_line(line: str, cell: str | None = None) -> Command:
    """Parse the argument line of ``%sora`` (``cell`` is None) or of ``%%sora`` (``cell`` is the body).

    Returns
    -------
    Command
        What to run. ``-h``/``--help`` anywhere among the options gives ``Command("help")``.

    Raises
    ------
    ParseError
        One readable line saying what is wrong and how to fix it; the parser raises nothing else.
    """
    if not isinstance(line, str):
        raise ParseError(f"the argument line must be text, got {type(line).__name__}")
    if "\x00" in line or (cell is not None and "\x00" in cell):
        raise ParseError("the line contains a NUL character; remove it")
    try:
        return _parse(line, cell)
    except _HelpRequested:
        return Command("help")
    except RecursionError:  # pragma: no cover - the tokenizer is iterative; belt and braces
        raise ParseError("the line is too deeply nested to parse") from None


def _parse(line: str, cell: str | None) -> Command:
    first = _next_token(line, 0)
    if first is not None and not first.quoted and first.value in SUBCOMMANDS:
        return _parse_subcommand(first.value, line, first.end, cell)
    values: dict[str, Any] = {}
    prompt = _parse_prompt_and_options(line, 0, _GENERATE_OPTS, "%sora", values, cell=cell is not None)
    if cell is not None:
        prompt = cell.strip("\n")
        if not prompt.strip():
            raise ParseError("the cell is empty: write the prompt in the cell body under %%sora")
    elif prompt is None or not prompt.strip():
        raise ParseError(f"no prompt given; usage: {usage('generate')} (see %sora help)")
    return Command("generate", prompt=prompt, options=GenerateOptions(**values))


def _words(line: str, pos: int, command: str) -> list[str]:
    words = []
    for token in _tokens(line, pos):
        if not token.quoted and token.value in _HELP_OPTIONS:
            raise _HelpRequested
        if not token.quoted and _looks_like_option(token.value):
            raise ParseError(f"{_shown(token.value)} is not an option of {command}; usage: {usage(command)}")
        words.append(token.value)
    return words


def _parse_subcommand(name: str, line: str, pos: int, cell: str | None) -> Command:
    if name == "remix":
        return _parse_remix(line, pos, cell)
    if cell is not None and cell.strip():
        raise ParseError(f"%%sora {name} takes no cell body; use the line magic: {usage(name)}")
    if name == "cost":
        values: dict[str, Any] = {}
        _only_options(line, pos, _COST_OPTS, "%sora cost", values)
        return Command("cost", options=GenerateOptions(**values))
    if name == "backend":
        return _parse_backend(line, pos)
    words = _words(line, pos, name)
    if name in ("list", "gallery", "panel", "resume"):
        if words:
            raise ParseError(f"%sora {name} takes no arguments, got {words[0]!r}; usage: {usage(name)}")
    elif name == "show":
        if len(words) != 1:
            raise ParseError(f"%sora show takes exactly one job id (see %sora list); usage: {usage(name)}")
    elif name == "delete":
        if not words:
            raise ParseError(f"%sora delete needs a job id (see %sora list); usage: {usage(name)}")
    elif name == "help":
        if len(words) > 1:
            raise ParseError(f"%sora {name} takes at most one argument; usage: {usage(name)}")
    elif name == "budget":
        if len(words) > 1:
            raise ParseError(f"%sora budget takes at most one amount; usage: {usage(name)}")
        if words:
            parse_usd(words[0])  # fail here, before anything runs
    return Command(name, args=tuple(words))


def _parse_backend(line: str, pos: int) -> Command:
    values: dict[str, Any] = {}
    words = []
    while (token := _next_token(line, pos)) is not None:
        if not token.quoted and _looks_like_option(token.value):
            pos = _read_option(line, token, _BACKEND_OPTS, "%sora backend", values)
            continue
        words.append(token.value)
        pos = token.end
    if len(words) > 1:
        raise ParseError(f"%sora backend takes at most one URL or name; usage: {usage('backend')}")
    return Command("backend", options=GenerateOptions(**values), args=tuple(words))


def _parse_remix(line: str, pos: int, cell: str | None) -> Command:
    values: dict[str, Any] = {}
    job_id = None
    while (token := _next_token(line, pos)) is not None:
        if not token.quoted and _looks_like_option(token.value):
            pos = _read_option(line, token, _REMIX_OPTS, "%sora remix", values)
            continue
        job_id, pos = token.value, token.end
        break
    if job_id is None or not job_id.strip():
        raise ParseError(f"%sora remix needs a job id and a prompt; usage: {usage('remix')}")
    if cell is not None:
        _only_options(line, pos, _REMIX_OPTS, "%%sora remix", values)
        prompt: str | None = cell.strip("\n")
    else:
        prompt = _parse_prompt_and_options(line, pos, _REMIX_OPTS, "%sora remix", values, cell=False)
    if prompt is None or not prompt.strip():
        raise ParseError(f"%sora remix needs a prompt after the job id; usage: {usage('remix')}")
    return Command("remix", prompt=prompt, options=GenerateOptions(**values), args=(job_id,))


def parse_usd(text: str) -> float | None:
    """``"5"``, ``"$2.50"`` → dollars; ``"off"``/``"none"`` → None (no budget). ParseError otherwise."""
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


# ----------------------------------------------------------------------------------------- interpolation

_FORMATTER = string.Formatter()


def interpolate(text: str, namespace: Mapping[str, Any]) -> str:
    """Replace ``{name}`` with values from ``namespace``, the way jupyter-ai's ``%%ai`` does.

    ``{{`` and ``}}`` give literal braces. ``{name.attr}``, ``{name[key]}``, ``{name!r}`` and ``{name:>8}``
    work as in :meth:`str.format`. Names not in ``namespace``, and anything that is not a field
    (``{"a": 1}``, a lone brace), stay as written, so JSON or code in a prompt survives.

    Raises
    ------
    ParseError
        When a known name cannot be formatted as asked (a bad format spec, a missing attribute).
    """
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "{}" and i + 1 < n and text[i + 1] == ch:
            out.append(ch)
            i += 2
            continue
        if ch == "{":
            close = text.find("}", i + 1)
            inner = text[i + 1 : close] if close >= 0 else ""
            if close >= 0 and "{" not in inner:
                replaced = _format_field(inner, namespace)
                if replaced is not None:
                    out.append(replaced)
                    i = close + 1
                    continue
        out.append(ch)
        i += 1
    return "".join(out)


def _field_name(inner: str) -> str:
    """The leading identifier of a replacement field: ``x`` in ``x.y[0]!r:>5``."""
    end = 0
    while end < len(inner) and inner[end] not in ".[!:":
        end += 1
    return inner[:end]


def _format_field(inner: str, namespace: Mapping[str, Any]) -> str | None:
    """The formatted field, or None to leave ``{inner}`` as written."""
    name = _field_name(inner)
    if not name.isidentifier():
        return None
    try:
        present = name in namespace
    except Exception:  # an exotic mapping
        return None
    if not present:
        return None
    spec = inner.partition(":")[2]
    if re.search(r"\d{5,}", spec):  # "{x:>999999999}" would build a gigabyte string
        raise ParseError(
            f"the format spec in {{{inner[:40]}}} asks for too wide a field; use at most 4 digits"
        )
    try:
        return _FORMATTER.vformat("{" + inner + "}", (), _OneName(name, namespace))
    except Exception as exc:  # user text drives format specs and attribute access: any failure is input
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParseError(
            f"cannot fill in {{{inner}}}: {message}; write {{{{ and }}}} for literal braces"
        ) from None


class _OneName(dict):  # type: ignore[type-arg]
    """A mapping that exposes one name of the namespace (str.format looks up only that name)."""

    def __init__(self, name: str, namespace: Mapping[str, Any]) -> None:
        super().__init__()
        self[name] = namespace[name]


def with_defaults(options: GenerateOptions, **defaults: Any) -> GenerateOptions:
    """``options`` with each None field taken from ``defaults`` (config values)."""
    changes = {k: v for k, v in defaults.items() if getattr(options, k) is None and v is not None}
    return replace(options, **changes)
