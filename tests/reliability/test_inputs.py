"""Fault family: hostile or careless input. Each gets a ValidationError naming the value and what is allowed,
before anything is stored or sent."""

from __future__ import annotations

import struct
import zlib

import pytest

import sora_widgets as sw
from sora_widgets import cli
from sora_widgets.errors import ValidationError

from .conftest import TINY


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (no real pixel data: nothing big is ever built)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


@pytest.fixture()
def on_tiny(tiny, tmp_path):
    sw.configure(base_url=tiny.base_url, api_key=tiny.api_key, home=tmp_path / "home", profile=TINY)
    return tiny


def requests_of(emulator) -> int:
    return sum(emulator.stats()["requests"].values())


@pytest.mark.parametrize(("pixels", "words"), [((9500, 9500), "90 megapixels"), ((40000, 40000), "megapixels")])
def test_decompression_bombs_are_refused_before_decoding(on_tiny, pixels, words):
    before = requests_of(on_tiny)
    with pytest.raises(ValidationError, match=words) as info:
        sw.submit("a bomb", input_reference=png_header(*pixels))
    assert info.value.param == "input_reference"
    assert requests_of(on_tiny) == before and sw.jobs() == []


@pytest.mark.parametrize(("prompt", "words"), [
    ("a \ud800 lone surrogate", "lone surrogate"),
    ("NUL\x00inside", "U\\+0000"),
    ("\x1b[31mred\x1b[0m text", "U\\+001B"),
])
def test_prompts_that_cannot_be_stored_or_shown(on_tiny, prompt, words):
    before = requests_of(on_tiny)
    with pytest.raises(ValidationError, match=words):
        sw.submit(prompt)
    assert requests_of(on_tiny) == before and sw.jobs() == []


def test_line_breaks_and_tabs_are_fine_in_prompts(on_tiny):
    job = sw.submit("line one\n\tline two", cache=False)
    assert job.prompt == "line one\n\tline two"
    job.wait(60)


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"budget_usd": "5"}, "budget_usd must be a number"),
    ({"budget_usd": float("nan")}, "finite"),
    ({"budget_usd": float("inf")}, "finite"),
    ({"budget_usd": True}, "budget_usd must be a number"),
    ({"max_concurrent": 2.5}, "whole number"),
    ({"max_per_minute": "3"}, "whole number"),
    ({"base_url": "not a url"}, "is not a URL"),
    ({"base_url": "ftp://host/v1"}, "is not a URL"),
    ({"base_url": "http://host:99999/v1"}, "is not a URL"),
    ({"base_url": 42}, "base_url must be text"),
    ({"api_key": "key with\nnewline"}, "line breaks"),
    ({"api_key": ""}, "api_key must be non-empty"),
    ({"profile": 3}, "profile must be"),
    ({"client": object()}, "client must be"),
    ({"home": 5}, "home must be a directory"),
])
def test_configure_checks_its_arguments_like_submit(tmp_path, kwargs, words):
    sw.configure(home=tmp_path / "home", budget_usd=1.0)
    with pytest.raises(ValidationError, match=words):
        sw.configure(**kwargs)
    assert sw.api.session().limits.budget_usd == 1.0  # a refused configure changes nothing


def test_budget_given_as_an_int_still_applies(on_tiny):
    sw.configure(budget_usd=0)
    with pytest.raises(ValidationError, match="budget"):
        sw.submit("over budget")


def test_cli_output_is_checked_before_the_video_is_paid_for(on_tiny, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", on_tiny.api_key)
    before = requests_of(on_tiny)
    rc = cli.main(["--base-url", on_tiny.base_url, "--home", str(tmp_path / "h"), "generate", "x",
                   "-o", "/nonexistent/o.mp4"])
    assert rc == 1 and "/nonexistent does not exist" in capsys.readouterr().err
    assert requests_of(on_tiny) == before
