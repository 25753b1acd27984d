"""The pure %sora parser (shlex + argparse subparsers + the prompt scan) and {name} interpolation: examples,
then hypothesis fuzzing."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sora_widgets.magic_args import (
    SUBCOMMANDS,
    Command,
    GenerateOptions,
    ParseError,
    parse_line,
)
from sora_widgets.magic_fill import interpolate, parse_usd, with_defaults

# ------------------------------------------------------------------------------------------ prompts, quoting


@pytest.mark.parametrize(
    ("line", "prompt"),
    [
        ("a red fox", "a red fox"),
        ("a cat's toy", "a cat's toy"),  # an apostrophe needs no quoting
        ('"a cat\'s \\"toy\\""', 'a cat\'s "toy"'),
        ("'single quoted'", "single quoted"),
        ("  spaced   out  ", "spaced   out"),  # inner spacing is kept as written
        ("a \\ backslash", "a \\ backslash"),
        ("-5 degrees outside", "-5 degrees outside"),
        ("- dash first", "- dash first"),
        ("naïve 🦊 über", "naïve 🦊 über"),
        ('"list"', "list"),  # quoted: a prompt, not the subcommand
        ("-- list all the things", "list all the things"),
        ("-- --wait is text here", "--wait is text here"),
        ("-- 'twas a night", "'twas a night"),  # unbalanced after -- is just text
        ('-- "quoted whole"', "quoted whole"),
        ("a film about -- dashes", "a film about -- dashes"),
        ("a flag called --verbose", "a flag called --verbose"),
    ],
)
def test_prompt_text(line, prompt):
    command = parse_line(line)
    assert command == Command("generate", prompt=prompt)


def test_options_before_the_prompt():
    command = parse_line(
        "--model sora-2-pro --size 1792x1024 --seconds 8 --ref img.png --fit contain "
        "--no-cache --wait -o clip a lighthouse at dusk"
    )
    assert command.prompt == "a lighthouse at dusk"
    assert command.options == GenerateOptions(
        model="sora-2-pro",
        size="1792x1024",
        seconds="8",
        ref="img.png",
        fit="contain",
        cache=False,
        wait=True,
        out="clip",
    )


def test_equals_form_and_quoted_values():
    command = parse_line('--model=sora-2 --ref "my pics/first frame.png" a fox')
    assert command.options.model == "sora-2"
    assert command.options.ref == "my pics/first frame.png"
    assert command.prompt == "a fox"


def test_known_options_after_the_prompt():
    assert parse_line("a fox --wait") == Command(
        "generate", prompt="a fox", options=GenerateOptions(wait=True)
    )
    command = parse_line('"a cat\'s toy" --seconds 8 -o toy')
    assert command.prompt == "a cat's toy"
    assert command.options == GenerateOptions(seconds="8", out="toy")


def test_cell_body_is_the_prompt():
    body = "A slow pan over a harbour.\nFog rolls in; gulls call.\n"
    command = parse_line("--model sora-2 -o harbour", body)
    assert command.prompt == "A slow pan over a harbour.\nFog rolls in; gulls call."
    assert command.options == GenerateOptions(model="sora-2", out="harbour")


def test_cell_remix_takes_body():
    command = parse_line("remix --wait job_1", "make it\nnight time")
    assert command == Command(
        "remix", prompt="make it\nnight time", options=GenerateOptions(wait=True), args=("job_1",)
    )


# ------------------------------------------------------------------------------------------------ subcommands


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("list", Command("list")),
        ("show job_1", Command("show", args=("job_1",))),
        ("gallery", Command("gallery")),
        ("panel", Command("panel")),
        ("delete job_1 job_2", Command("delete", args=("job_1", "job_2"))),
        ("resume", Command("resume")),
        ("backend", Command("backend")),
        ("backend emulator", Command("backend", args=("emulator",))),
        ("backend http://127.0.0.1:9/v1", Command("backend", args=("http://127.0.0.1:9/v1",))),
        (
            "backend https://gw.example/v1 --profile veo",
            Command("backend", options=GenerateOptions(profile="veo"), args=("https://gw.example/v1",)),
        ),
        ("budget", Command("budget")),
        ("budget $2.50", Command("budget", args=("$2.50",))),
        (
            "cost --model sora-2-pro --seconds 12",
            Command("cost", options=GenerateOptions(model="sora-2-pro", seconds="12")),
        ),
        ("help", Command("help")),
        ("help remix", Command("help", args=("remix",))),
        ("--help", Command("help")),
        ("show --help", Command("help", args=("show",))),
        ("budget -3", Command("budget", args=("-3",))),  # a number, not an option; the magic checks amounts
        ("--model x -h a fox", Command("help")),
        ("remix job_1 make it blue", Command("remix", prompt="make it blue", args=("job_1",))),
        (
            'remix -o r job_1 "it\'s blue" --wait',
            Command(
                "remix", prompt="it's blue", options=GenerateOptions(out="r", wait=True), args=("job_1",)
            ),
        ),
    ],
)
def test_subcommands(line, expected):
    assert parse_line(line) == expected


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("", "no prompt given"),
        ("--wait", "no prompt given"),
        ("--modle sora-2 a fox", "unknown option --modle for %sora; did you mean --model?"),
        ("--model", "argument --model: expected one argument"),
        ("--size --wait a fox", "argument --size: expected one argument"),
        ("--model= a fox", "argument --model: needs a non-empty value (e.g. --model sora-2-pro)"),
        ('"unclosed prompt', "unbalanced quote or lone backslash in '\"unclosed prompt'"),
        ("'unclosed", "unbalanced quote"),
        ("--ref 'my file.png a fox", "unbalanced quote"),
        ("a fox \\", None),  # a trailing backslash inside a plain prompt is text
        ('"quoted" then words', "unexpected text 'then'"),
        (
            "--fit stretch a fox",
            "argument --fit: invalid choice: 'stretch' (choose from 'cover', 'contain', 'error')",
        ),
        ("-o 2fast a fox", "-o/--out: needs a Python variable name, got '2fast'"),
        ("-o class a fox", "-o/--out: needs a Python variable name, got 'class'"),
        ("--wait=yes a fox", "argument --wait: ignored explicit argument 'yes'"),
        ("show", "%sora show: the following arguments are required: ID; usage: %sora show ID"),
        ("show a b", "%sora show: unexpected text 'b'"),
        ("list everything", "%sora list: unexpected text 'everything'"),
        ("delete", "the following arguments are required: ID"),
        ("backend a b", "%sora backend: unexpected text 'b'"),
        ("backend --profile", "argument --profile: expected one argument"),
        ("--profile openai a fox", "unknown option --profile for %sora; allowed:"),
        ("remix", "%sora remix: the following arguments are required: ID"),
        ("remix job_1", "needs a prompt"),
        (
            "remix --model x job_1 p",
            "unknown option --model for %sora remix; allowed: --help, --out, --wait, -h, -o",
        ),
        ("cost a fox", "%sora cost: unexpected text 'a'"),
        ("show 'job_1", "unbalanced"),
        ("a\x00b", "NUL"),
    ],
)
def test_bad_lines_name_the_problem(line, needle):
    if needle is None:
        assert parse_line(line).prompt == line
        return
    with pytest.raises(ParseError) as info:
        parse_line(line)
    message = str(info.value)
    assert needle in message
    assert "\n" not in message


def test_cell_mode_errors():
    with pytest.raises(ParseError, match="cell is empty"):
        parse_line("--wait", "  \n\n ")
    with pytest.raises(ParseError, match="prompt from the cell body"):
        parse_line("a fox", "and more")
    with pytest.raises(ParseError, match="takes no cell body"):
        parse_line("list", "something")


def test_parse_usd():
    assert parse_usd("5") == 5.0
    assert parse_usd("$2.50") == 2.5
    assert parse_usd("off") is None
    for bad in ("-1", "inf", "five", ""):
        with pytest.raises(ParseError):
            parse_usd(bad)


def test_with_defaults_fills_only_missing():
    options = with_defaults(GenerateOptions(model="m"), model="x", size="1280x720", seconds=None)
    assert options == GenerateOptions(model="m", size="1280x720")


# ---------------------------------------------------------------------------------------------- interpolation


class Thing:
    name = "lamp"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a {animal} at dusk", "a fox at dusk"),
        ("{{animal}} stays", "{animal} stays"),
        ("{{ and }}", "{ and }"),
        ('json {{"a": 1}} in double braces', 'json {"a": 1} in double braces'),
        ("{n:03d} frames", "007 frames"),
        ("{animal!r}", "'fox'"),
        ("{thing.name}", "lamp"),
        ("{items[1]}", "b"),
        ("{animal}{animal}", "foxfox"),
        ("{n:{width}}", "  7"),  # a nested field, as in str.format
        ("no braces at all", "no braces at all"),
    ],
)
def test_interpolate(text, expected):
    namespace = {"animal": "fox", "n": 7, "thing": Thing(), "items": ["a", "b"], "width": 3}
    assert interpolate(text, namespace) == expected


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{unknown} walks", "{unknown} names no variable: define unknown first, or write {{unknown}}"),
        ('json {"a": 1} unescaped', "is not a variable name"),
        ("lone { brace", "expected '}' before end of string"),
        ("lone } brace", "Single '}' encountered"),
        ("{}", "{0} is not a variable name"),
        ("{0}", "{0} is not a variable name"),
        ("{ n }", "{ n } is not a variable name"),
        ("{n:zz}", "cannot fill in the braces in '{n:zz}'"),
        ("{thing.missing}", "'Thing' object has no attribute 'missing'"),
        ("{items[9]}", "list index out of range"),
        ("{n!z}", "Unknown conversion specifier z"),
        ("{n:>999999999}", "too wide"),
    ],
)
def test_interpolate_errors_are_readable(text, needle):
    with pytest.raises(ParseError) as info:
        interpolate(text, {"n": 7, "thing": Thing(), "items": ["a"]})
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------------------------------- fuzzing

_ALPHABET = st.sampled_from(
    list(" \t\n'\"\\-={}[]!:.$;,#") + list("abcxyz019") + ["--", "-o", "é", "🦊", "\u00a0", "\u2028", "\x00"]
)
_WORDS = st.sampled_from(
    [
        *list(SUBCOMMANDS),
        "--model",
        "--size",
        "--seconds",
        "--ref",
        "--fit",
        "--no-cache",
        "--wait",
        "-o",
        "--out",
        "--",
        "-h",
        "--model=",
        "cover",
        "contain",
        "sora-2",
        "1280x720",
        "8",
        "job_1",
        "'",
        '"',
        "{x}",
        "{{",
        "}}",
        "{x:>5}",
        "{x.y}",
        "{x!z}",
        "a cat's",
    ]
)
_LINES = st.one_of(
    st.text(),
    st.lists(_ALPHABET, max_size=60).map("".join),
    st.lists(st.one_of(_WORDS, st.text(max_size=8)), max_size=12).map(" ".join),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=_LINES, cell=st.one_of(st.none(), st.text(max_size=40)))
@example(line='--ref "', cell=None)
@example(line="remix -- x", cell=None)
@example(line="-- ", cell=None)
def test_parser_never_raises_anything_but_parse_error(line, cell):
    try:
        command = parse_line(line, cell)
    except ParseError as exc:
        message = str(exc)
        assert message and "\n" not in message
        return
    assert command.name == "generate" or command.name in SUBCOMMANDS
    if command.name in ("generate", "remix"):
        assert command.prompt and command.prompt.strip()


@settings(max_examples=400, deadline=None)
@given(text=_LINES)
def test_interpolation_never_raises_anything_but_parse_error(text):
    namespace = {"x": 7, "y": "why", "thing": Thing(), "items": [1, 2]}
    try:
        result = interpolate(text, namespace)
    except ParseError as exc:
        assert str(exc)
        return
    assert isinstance(result, str)
    if "{" not in text and "}" not in text:
        assert result == text


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(
        st.text(min_size=1).filter(lambda w: w.strip() == w and "\x00" not in w), min_size=2, max_size=6
    )
)
def test_shlex_quoted_prompt_round_trips(words):
    """Whatever shlex.quote produces for a multi-word prompt, the parser reads back (POSIX rules)."""
    prompt = " ".join(words)
    line = "--wait " + shlex.quote(prompt)
    assert parse_line(line) == Command("generate", prompt=prompt, options=GenerateOptions(wait=True))


_KNOWN_WORDS = {"--model", "--size", "--seconds", "--ref", "--fit", "--no-cache", "--wait", "-o", "--out"}


@settings(max_examples=300, deadline=None)
@given(
    prompt=st.text(min_size=1).filter(
        lambda p: (
            p.strip()
            and p.strip()[0] not in "-'\""
            and "\x00" not in p
            and p.split()[0] not in SUBCOMMANDS
            and not any(w.partition("=")[0] in _KNOWN_WORDS for w in p.split())
        )
    ),
    wait=st.booleans(),
)
def test_unquoted_prompt_is_kept_as_written(prompt, wait):
    """Whatever free text follows the options (apostrophes, backslashes, braces, odd spacing), it is the prompt
    exactly as typed, minus the outer whitespace."""
    line = ("--wait --seconds 4 " if wait else "") + prompt
    command = parse_line(line)
    assert command.prompt == prompt.strip()
    assert command.options.wait is wait


def test_cell_line_rejects_double_dash():
    with pytest.raises(ParseError, match=r"^%%sora takes the prompt from the cell body, not after --$"):
        parse_line("-- a fox", "body")


def test_shlex_whitespace_is_what_isspace_accepts():
    from sora_widgets.magic_args import WHITESPACE

    assert set(WHITESPACE) == {c for c in map(chr, range(0x110000)) if c.isspace()}


@pytest.mark.parametrize("space", ["\u00a0", "\u2028", "\u3000", "\x1f"])
def test_unicode_spaces_separate_options_like_plain_spaces(space):
    command = parse_line(f"--model{space}sora-2{space}a{space}fox")
    assert (command.options.model, command.prompt) == ("sora-2", f"a{space}fox")
