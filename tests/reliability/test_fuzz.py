"""Fuzz (hypothesis) over ``submit``, ``configure`` and the CLI's arguments: a ``SoraWidgetsError`` subclass or
success, never anything else, and no request sent on error."""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sora_widgets as sw
from sora_widgets import cli
from sora_widgets.errors import SoraWidgetsError

from .conftest import TINY

FUZZ = settings(max_examples=int(os.environ.get("SORA_FUZZ_EXAMPLES", "120")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

anything = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40), st.binary(max_size=64), st.lists(st.integers(), max_size=3),
)
texts = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=60)  # surrogates too
sizes = st.one_of(st.sampled_from(["96x64", "96X64 ", "1280x720", "0x0", "x", ""]), anything)
seconds = st.one_of(st.sampled_from(["1", "2", 1, 2.0, "3", -1, "1.5"]), anything)


def requests_of(emulator) -> int:
    return sum(emulator.stats()["requests"].values())


@pytest.fixture()
def on_tiny(tiny, tmp_path_factory):
    home = tmp_path_factory.mktemp("fuzz-home")
    sw.configure(base_url=tiny.base_url, api_key=tiny.api_key, home=home, profile=TINY)
    return tiny


@FUZZ
@given(prompt=st.one_of(texts, anything), model=st.one_of(st.just("tiny-1"), anything), size=sizes,
       seconds=seconds, fit=st.one_of(st.sampled_from(["cover", "contain", "error"]), anything),
       reference=st.one_of(st.none(), st.binary(max_size=200), st.integers(), st.text(max_size=20)))
def test_submit_raises_our_errors_or_succeeds(on_tiny, prompt, model, size, seconds, fit, reference):
    before = requests_of(on_tiny)
    journaled = len(sw.jobs())
    try:
        job = sw.submit(prompt, model=model, size=size, seconds=seconds, fit=fit, input_reference=reference,
                        cache=False)
    except SoraWidgetsError:
        assert requests_of(on_tiny) == before, "a refused submit sent a request"
        assert len(sw.jobs()) == journaled, "a refused submit journaled a job"
        return
    assert job.status == "pending" and job.prompt == prompt
    job.wait(60)  # whatever the backend says, the job ends (typed error or a video)


@FUZZ
@given(budget=anything, max_concurrent=anything, max_per_minute=anything,
       base_url=st.one_of(st.none(), texts, st.sampled_from(["emulator", "http://h/v1", "https://h:1/v1?k=v"])),
       api_key=st.one_of(st.none(), texts), home_name=st.one_of(st.none(), texts))
def test_configure_raises_our_errors_or_succeeds(tmp_path_factory, budget, max_concurrent, max_per_minute,
                                                 base_url, api_key, home_name):
    base = tmp_path_factory.mktemp("cfg")
    home: object = None if home_name is None else str(base / home_name.replace("/", "_")) if home_name else ""
    kwargs = {"budget_usd": budget, "max_concurrent": max_concurrent, "max_per_minute": max_per_minute,
              "base_url": base_url, "api_key": api_key, "home": home}
    try:
        info = sw.configure(**kwargs)
    except SoraWidgetsError:
        return
    finally:
        sw.api.reset()
    assert isinstance(info, dict)
    if isinstance(budget, float):
        assert math.isfinite(budget) and budget >= 0
    if api_key:
        assert api_key.strip() not in repr(info)


@FUZZ
@given(size=st.one_of(st.none(), st.text(max_size=12)), secs=st.one_of(st.none(), st.text(max_size=6)),
       model=st.one_of(st.none(), st.text(max_size=10)), budget=st.one_of(st.none(), st.text(max_size=8)),
       output=st.one_of(st.none(), st.text(max_size=30)), image=st.one_of(st.none(), st.text(max_size=20)),
       prompt=st.text(max_size=30))
def test_cli_arguments_give_our_errors_or_usage(on_tiny, tmp_path_factory, monkeypatch, capsys, size, secs, model,
                                                budget, output, image, prompt):
    monkeypatch.setenv("OPENAI_API_KEY", on_tiny.api_key)
    argv = ["--base-url", on_tiny.base_url, "--home", str(tmp_path_factory.mktemp("cli"))]
    if budget is not None:
        argv += ["--budget", budget]
    argv += ["generate", prompt, "--no-progress"]
    for flag, value in (("--size", size), ("--seconds", secs), ("--model", model), ("-o", output),
                        ("--image", image)):
        if value is not None:
            argv += [flag, value]
    before = requests_of(on_tiny)
    try:
        rc = cli.main(argv)
    except SystemExit as exc:  # argparse's own usage error (exit status 2): nothing ran
        assert exc.code == 2
        assert requests_of(on_tiny) == before
        return
    finally:
        sw.api.reset()
    assert rc in (0, 1)
    if rc == 1:
        assert "error:" in capsys.readouterr().err
