"""The parser behind ``%sora`` / ``%%sora``: an argument line in, a :class:`Command` (or a ParseError) out.

No IPython and no engine here, so it can be fuzzed on its own. The standard library does the work:

- :mod:`shlex` (POSIX rules) splits words: quotes, backslashes, ``--ref "my file.png"``.
- :mod:`argparse`, one subparser per subcommand, reads options and arguments and checks their values
  (``--opt=value``, switches, choices, counts).
- :class:`string.Formatter` fills in ``{name}`` afterwards (:mod:`sora_widgets.magic_fill`).

What is still written by hand is what those cannot do; each such part says why. The rules a user sees: the
first word may be a subcommand (``list``, ``show ID``, ``remix ID PROMPT``...); otherwise options come first,
then the prompt, taken *as written* (``a cat's toy`` needs no quotes); known options at the end of an unquoted
prompt are options too (``%sora a fox --wait``); a prompt that starts with a quote is one quoted word; ``--``
ends the options, so ``%sora -- list of things`` is a prompt.

``shlex``'s ``punctuation_chars`` is not used: it would split ``(``, ``;``, ``&``... out of words, changing paths
like ``--ref shot(1).png``; IPython's ``magic_arguments`` is not used either: it splits the whole line into
words, which a free-text prompt cannot survive.
"""

from __future__ import annotations

import argparse
import difflib
import io
import keyword
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from .vocab import FITS  # one definition; vocab imports nothing heavy

__all__ = [
    "FITS",
    "SUBCOMMANDS",
    "Command",
    "GenerateOptions",
    "ParseError",
    "parse_line",
    "usage",
]


#: One-line usage of each command; ``%sora help SUBCOMMAND`` prints it, and parse errors end with it.
_USAGE = {
    "generate": "%sora [options] PROMPT",
    "list": "%sora list",
    "show": "%sora show ID",
    "gallery": "%sora gallery",
    "panel": "%sora panel",
    "remix": "%sora remix [-o NAME] [--wait] ID PROMPT",
    "delete": "%sora delete ID [ID ...]",
    "resume": "%sora resume",
    "backend": "%sora backend [URL | emulator | openai | gemini | fal | ...] [--profile NAME]",
    "budget": "%sora budget [USD | off]",
    "cost": "%sora cost [--model M] [--size S] [--seconds N]",
    "storyboard": "%%sora storyboard [--model M] [--size S] [--seconds N] [--chain frame|extend|none] [-o NAME] "
                  "[--wait], then one shot per line",
    "help": "%sora help [SUBCOMMAND]",
}
#: Subcommand words; a prompt that starts with one of them needs ``--`` (or quotes) in front.
SUBCOMMANDS = tuple(name for name in _USAGE if name != "generate")


class ParseError(ValueError):
    """A line the magic cannot understand. ``str(err)`` is one line that says what to fix."""


@dataclass(frozen=True)
class GenerateOptions:
    """Options of a generation (and, in part, of ``remix``, ``cost`` and ``backend``). None: the default."""

    model: str | None = None
    size: str | None = None
    seconds: str | None = None
    ref: str | None = None
    fit: str | None = None
    cache: bool = True
    wait: bool = False
    out: str | None = None
    profile: str | None = None  # backend only
    chain: str | None = None  # storyboard only: frame | extend | none


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


def usage(command: str) -> str:
    """The one-line usage of ``command``."""
    return _USAGE.get(command, _USAGE["generate"])


# ---------------------------------------------------------------------------------------------- argparse


class _Parser(argparse.ArgumentParser):
    """argparse that raises a one-line ParseError instead of printing usage and exiting."""

    def error(self, message: str) -> Any:
        raise ParseError(f"{self.prog}: {message}; usage: {usage(self.prog.partition(' ')[2] or 'generate')}")


def _value(example: str) -> Any:
    def check(value: str) -> str:
        if not value.strip():
            raise argparse.ArgumentTypeError(f"needs a non-empty value (e.g. {example})")
        return value

    return check


def _identifier(value: str) -> str:
    if not value.isidentifier() or keyword.iskeyword(value):
        raise argparse.ArgumentTypeError(f"needs a Python variable name, got {value!r} (e.g. -o clip)")
    return value


# option -> (argparse keyword arguments, the commands that take it). Also read by the prompt scanner below,
# which must know which options take a value to find where the prompt starts.
_OPTIONS: dict[tuple[str, ...], tuple[dict[str, Any], tuple[str, ...]]] = {
    ("--model",): ({"metavar": "M", "type": _value("--model sora-2-pro")}, ("generate", "cost", "storyboard")),
    ("--size",): ({"metavar": "WxH", "type": _value("--size 1280x720")}, ("generate", "cost", "storyboard")),
    ("--seconds",): ({"metavar": "N", "type": _value("--seconds 8")}, ("generate", "cost", "storyboard")),
    ("--chain",): ({"choices": ("frame", "extend", "none")}, ("storyboard",)),
    ("--ref",): ({"metavar": "PATH", "type": _value("--ref first_frame.png")}, ("generate",)),
    ("--fit",): ({"choices": FITS}, ("generate",)),
    ("--no-cache",): ({"dest": "cache", "action": "store_false"}, ("generate",)),
    ("--wait",): ({"action": "store_true"}, ("generate", "remix", "storyboard")),
    ("-o", "--out"): ({"metavar": "NAME", "type": _identifier}, ("generate", "remix", "storyboard")),
    ("--profile",): ({"metavar": "NAME", "type": _value("--profile openai")}, ("backend",)),
}
_HELP = ("-h", "--help")
_SWITCHES = {"--no-cache", "--wait"}
# positionals of each subcommand: (dest, nargs, metavar); remix's prompt is not among them (see _scan)
_POSITIONALS: dict[str, tuple[tuple[str, Any, str], ...]] = {
    "remix": (("args", 1, "ID"),),
    "show": (("args", 1, "ID"),),
    "delete": (("args", "+", "ID"),),
    "backend": (("args", "?", "URL"),),
    "budget": (("args", "?", "USD"),),
    "help": (("args", "?", "SUBCOMMAND"),),
}


def _build() -> tuple[_Parser, dict[str, _Parser]]:
    root = _Parser(prog="%sora", add_help=False, allow_abbrev=False)
    commands = root.add_subparsers(dest="name", required=True, parser_class=_Parser)
    parsers: dict[str, _Parser] = {}
    for name in _USAGE:
        prog = "%sora" if name == "generate" else f"%sora {name}"
        parsers[name] = sub = commands.add_parser(name, prog=prog, add_help=False, allow_abbrev=False)
        for flags, (kwargs, takers) in _OPTIONS.items():
            if name in takers:
                sub.add_argument(*flags, **kwargs)
        for dest, nargs, metavar in _POSITIONALS.get(name, ()):
            sub.add_argument(dest, nargs=nargs, metavar=metavar)
    return root, parsers


_ROOT, _PARSERS = _build()


def _known(command: str) -> set[str]:
    return {flag for flags, (_, takers) in _OPTIONS.items() if command in takers for flag in flags}


def _run_argparse(command: str, words: list[str], *, extra: str) -> argparse.Namespace:
    """Parse ``words`` with ``command``'s subparser; a leftover word is an error that ``extra`` explains."""
    if any(w in _HELP or w.startswith("--help=") for w in words):
        raise _HelpRequested(command)
    namespace, leftover = _ROOT.parse_known_args([command, *words])
    if leftover:
        word, prog = leftover[0], _PARSERS[command].prog
        if _looks_like_option(word):
            # hand-written: argparse only says "unrecognized arguments"; a near miss is worth naming
            allowed = sorted(_known(command) | set(_HELP))
            close = difflib.get_close_matches(word.partition("=")[0], sorted(_known(command)), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ParseError(f"unknown option {_shown(word)} for {prog}; {hint}allowed: {', '.join(allowed)}")
        raise ParseError(f"{prog}: unexpected text {word!r}; {extra}; usage: {usage(command)}")
    return namespace


class _HelpRequested(Exception):
    def __init__(self, topic: str) -> None:
        self.topic = topic


def _looks_like_option(word: str) -> bool:
    """``-x``/``--xyz``: a dash then a letter or dash (argparse's rule). ``-5 degrees`` or ``-`` are text."""
    return len(word) > 1 and word[0] == "-" and (word[1].isalpha() or word[1] == "-")


def _shown(word: str) -> str:
    """``word`` as typed when it is plain, else its repr (so a message stays one readable line)."""
    return word if word.isprintable() and not any(c.isspace() for c in word) else repr(word)


# ------------------------------------------------------------------------------------------ shlex, by word

#: Every character ``str.isspace()`` accepts, so shlex splits where the prompt scan (``str.split``) does
#: (shlex's default is only " \t\r\n"); tests/magics checks the list against ``isspace``.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)


class _Words:
    """shlex (POSIX rules) over ``line``, one word at a time, knowing where the next word starts.

    hand-written: ``shlex.split`` splits the whole line, but the prompt must be cut out of the line as
    written. Reading the stream word by word, ``tell()`` says where the lexer stopped.
    """

    def __init__(self, line: str, pos: int = 0) -> None:
        self.line = line
        self._stream = io.StringIO(line)
        self._stream.seek(pos)
        self._lexer = shlex.shlex(self._stream, posix=True)
        self._lexer.whitespace = WHITESPACE
        self._lexer.whitespace_split = True
        self._lexer.commenters = ""  # "#" is text in a prompt

    def peek(self) -> int | None:
        """Where the next word starts, or None at the end of the line."""
        pos = self._stream.tell()
        while pos < len(self.line) and self.line[pos].isspace():
            pos += 1
        return pos if pos < len(self.line) else None

    def take(self) -> str:
        start = self.peek()
        try:
            word = self._lexer.get_token()
        except ValueError:  # "No closing quotation" / "No escaped character": say which and where
            at = start or 0
            snippet = self.line[at : at + 24] + ("…" if len(self.line) > at + 24 else "")
            raise ParseError(
                f"unbalanced quote or lone backslash in {snippet!r}; close the quote, or put the prompt after "
                "-- to take it as written"
            ) from None
        return "" if word is None else word

    def rest(self) -> list[str]:
        words = []
        while self.peek() is not None:
            words.append(self.take())
        return words


# ------------------------------------------------------------------------------------------ the prompt scan


def _trailing_options(text: str, known: set[str]) -> int | None:
    """Where known options begin at the end of an unquoted prompt (``a fox --wait``), or None.

    hand-written: "options anywhere" with a free-text prompt. Only exact option names count (after the first
    word), so ``a film about -- dashes`` or ``--verbose`` in a prompt stay text.
    """
    for match in re.finditer(r"\S+", text):
        if match.start() > 0 and match.group().partition("=")[0] in known:
            return match.start()
    return None


def _scan(line: str, pos: int, command: str, *, positionals: int, cell: bool) -> tuple[list[str], str | None]:
    """Option words (and ``positionals`` plain words: remix's ID) from ``pos``, then the prompt as written.

    hand-written: argparse reads words, but the prompt is text (spacing, apostrophes and ``{{`` kept), so this
    finds where the options stop and the prompt starts. Returns the words for argparse and the prompt (None
    when the line has none).
    """
    known = _known(command)
    words = _Words(line, pos)
    taken: list[str] = []
    while (start := words.peek()) is not None:
        raw = line[start:]
        if raw.startswith("--") and (len(raw) == 2 or raw[2].isspace()):  # a bare --: the rest is the prompt
            if cell:
                name = "%%sora" if command == "generate" else f"%%sora {command}"
                raise ParseError(f"{name} takes the prompt from the cell body, not after --")
            return taken, _literal(raw[2:])
        if _looks_like_option(raw):
            option = words.take()
            taken.append(option)
            if option in known and option not in _SWITCHES:  # its value is the next word, unless an option
                after = words.peek()
                if after is not None and (line[after] in "'\"" or not _looks_like_option(line[after:])):
                    taken.append(words.take())
            continue
        if positionals or cell or raw[0] in "'\"":
            # remix's ID, a plain word on a %%sora line (an error), or a quoted prompt: one shlex word
            word = words.take()
            if positionals:
                taken.append(word)
                positionals -= 1
                continue
            if cell:
                raise ParseError(
                    "%%sora takes the prompt from the cell body; the first line holds only options, found "
                    f"{word!r}"
                )
            return taken + words.rest(), word
        trailing = _trailing_options(raw, known)
        if trailing is None:
            return taken, raw.strip()
        return taken + _Words(raw, trailing).rest(), raw[:trailing].strip()
    return taken, None


def _literal(rest: str) -> str:
    """The text after ``--``: as written, unless it is exactly one quoted word (then unquoted).

    hand-written: argparse's own ``--`` would hand over the words after it, not the text as typed.
    """
    rest = rest.strip()
    if rest[:1] in ("'", '"'):
        try:
            parts = shlex.split(rest, comments=False, posix=True)
        except ValueError:  # an unbalanced quote after -- is just text
            return rest
        if len(parts) == 1:
            return parts[0]
    return rest


# ---------------------------------------------------------------------------------------------- the parser


def parse_line(line: str, cell: str | None = None) -> Command:
    """Parse the argument line of ``%sora`` (``cell`` is None) or of ``%%sora`` (``cell`` is the body).

    Returns
    -------
    Command
        What to run. ``-h``/``--help`` among the options gives ``Command("help")`` (for a subcommand: its usage).

    Raises
    ------
    ParseError
        One readable line saying what is wrong and how to fix it; the parser raises nothing else.
    """
    if not isinstance(line, str):
        raise ParseError(f"the argument line must be text, got {type(line).__name__}")
    # hand-written: a NUL cannot reach the backend (HTTP forms and the SQLite journal refuse it); say so now
    if "\x00" in line or (cell is not None and "\x00" in cell):
        raise ParseError("the line contains a NUL character; remove it")
    try:
        return _parse(line, cell)
    except _HelpRequested as help_:
        return Command("help", args=() if help_.topic == "generate" else (help_.topic,))


def _parse(line: str, cell: str | None) -> Command:
    words = _Words(line)
    start = words.peek()
    first = line[start:].split(maxsplit=1)[0] if start is not None else ""
    # hand-written: argparse's subparsers have no default, and here the default (any other first word) is a
    # prompt, so the first word picks the subparser; unquoted only: '"list"' is a prompt
    if first in SUBCOMMANDS:
        words.take()
        if first == "remix":
            return _parse_prompted("remix", line, words.peek() or len(line), cell)
        if first == "storyboard":  # the cell body is the shots, one per line (its prompt, filled like one)
            if cell is None or not cell.strip():
                raise ParseError(f"%%sora storyboard needs the shots in the cell body, one per line; usage: "
                                 f"{usage('storyboard')}")
            parsed = _run_argparse(first, words.rest(), extra="the shots go in the cell body, one per line")
            return Command(first, prompt=cell.strip("\n"), options=_options(parsed))
        if cell is not None and cell.strip():
            raise ParseError(f"%%sora {first} takes no cell body; use the line magic: {usage(first)}")
        parsed = _run_argparse(first, words.rest(), extra=f"%sora {first} takes no more words")
        return Command(first, options=_options(parsed), args=_args(parsed))
    return _parse_prompted("generate", line, 0, cell)


def _parse_prompted(command: str, line: str, pos: int, cell: str | None) -> Command:
    """``generate`` and ``remix``: options (and remix's ID) by argparse, then the prompt (or the cell body)."""
    words, prompt = _scan(line, pos, command, positionals=int(command == "remix"), cell=cell is not None)
    extra = "put options before the prompt, quote the whole prompt, or write `%sora -- PROMPT` to take it as written"
    parsed = _run_argparse(command, words, extra=extra)
    args = _args(parsed)
    if cell is not None:
        prompt = cell.strip("\n")
        if not prompt.strip():
            raise ParseError("the cell is empty: write the prompt in the cell body under %%sora")
    if not prompt or not prompt.strip():
        if command == "remix":
            raise ParseError(f"%sora remix needs a prompt after the job id; usage: {usage('remix')}")
        raise ParseError(f"no prompt given; usage: {usage('generate')} (see %sora help)")
    return Command(command, prompt=prompt, options=_options(parsed), args=args)


def _args(parsed: argparse.Namespace) -> tuple[str, ...]:
    value = getattr(parsed, "args", None)  # nargs "?" gives a word or None, 1 and "+" a list
    return () if value is None else (value,) if isinstance(value, str) else tuple(value)


def _options(parsed: argparse.Namespace) -> GenerateOptions:
    values = vars(parsed)
    return GenerateOptions(**{k: values[k] for k in GenerateOptions.__dataclass_fields__ if k in values})
