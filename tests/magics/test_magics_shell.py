"""%sora through a real IPython shell, for what needs no backend: loading, help, %config, parse errors."""

from __future__ import annotations

import pytest
from magic_testing import base_config, dispose, fails_the_cell, make_shell

from sora_widgets.magics import SoraMagics


def test_load_ext_registers_line_and_cell_magic(ip):
    assert "sora" in ip.magics_manager.magics["line"]
    assert "sora" in ip.magics_manager.magics["cell"]
    assert len([c for c in ip.configurables if isinstance(c, SoraMagics)]) == 1


def test_unload_removes_the_magic(ip):
    ip.extension_manager.unload_extension("sora_widgets")
    assert "sora" not in ip.magics_manager.magics["line"]
    assert not [c for c in ip.configurables if isinstance(c, SoraMagics)]
    ip.extension_manager.load_extension("sora_widgets")  # the fixture unloads again
    assert "sora" in ip.magics_manager.magics["line"]


def test_help_lists_every_subcommand(ip, capsys):
    ip.run_line_magic("sora", "help")
    out = capsys.readouterr().out
    for word in (
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
    ):
        assert f"%sora {word}" in out
    ip.run_line_magic("sora", "help remix")
    assert capsys.readouterr().out.strip() == "usage: %sora remix [-o NAME] [--wait] ID PROMPT"


def test_config_magic_sets_defaults(ip):
    ip.run_cell('%config SoraMagics.default_model = "sora-2-pro"')
    ip.run_cell('%config SoraMagics.default_size = "1792x1024"')
    ip.run_cell("%config SoraMagics.default_seconds = 8")
    magics = next(c for c in ip.configurables if isinstance(c, SoraMagics))
    assert (magics.default_model, magics.default_size, magics.default_seconds) == (
        "sora-2-pro",
        "1792x1024",
        8,
    )


def test_config_object_sets_defaults():
    """What ipython_config.py does: c.SoraMagics.default_model = ..."""
    config = base_config()
    config.SoraMagics.default_model = "sora-2-pro"
    config.SoraMagics.default_seconds = "12"
    shell = make_shell(config)
    try:
        magics = next(c for c in shell.configurables if isinstance(c, SoraMagics))
        assert magics.default_model == "sora-2-pro"
        assert magics.default_seconds == "12"
    finally:
        dispose(shell)


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("--modle sora-2 a fox", "unknown option --modle for %sora; did you mean --model?"),
        ('"a fox', "unbalanced quote"),
        ("--fit stretch a fox", "argument --fit: invalid choice: 'stretch'"),
        ("show", "the following arguments are required: ID"),
        ("", "no prompt given"),
        ("budget lots", "budget must be an amount in US dollars"),
        (
            "budget {n}x",
            "budget must be an amount in US dollars like 5 or 2.50 (or 'off'), got '3x'",
        ),  # checked after filling in
        ("backend ftp://x", "backend must be a URL like https://host/v1"),
        ("--ref /no/such/file.png a fox", "--ref file not found: /no/such/file.png"),
        ("{n:zz} a fox", "cannot fill in the braces in '{n:zz} a fox'"),
        ("{undefined_name} walks", "{undefined_name} names no variable: define undefined_name first"),
        ("a {n} and a lone } brace", "Single '}' encountered"),
        ("{} a fox", "{0} is not a variable name"),
    ],
)
def test_bad_input_fails_the_cell_with_one_line(ip, capsys, line, needle):
    ip.user_ns["n"] = 3
    ip.run_cell("41 + 1", store_history=True)  # _ holds 42; a failed %sora must leave it
    assert ip.user_ns["_"] == 42
    assert needle in fails_the_cell(ip, f"%sora {line}", capsys)
    assert ip.user_ns["_"] == 42


def test_a_failed_line_stops_the_rest_of_the_cell(ip, capsys):
    """What "Run all" relies on: the cell fails at the bad line, so what follows does not run."""
    fails_the_cell(ip, "%sora --fit stretch a fox\nafter = 1", capsys)
    assert "after" not in ip.user_ns


def test_cell_magic_errors_fail_the_cell(ip, capsys):
    message = fails_the_cell(ip, "%%sora a prompt on the first line\nand the body", capsys)
    assert "takes the prompt from the cell body" in message
    assert "the cell is empty" in fails_the_cell(ip, "%%sora --wait\n   \n", capsys)
    assert "{nope} names no variable" in fails_the_cell(ip, "%%sora --wait\na {nope}\n", capsys)
    assert "takes no cell body" in fails_the_cell(ip, "%%sora list\nbody\n", capsys)


def test_help_option_prints_usage(ip, capsys):
    ip.run_line_magic("sora", "show --help")
    assert capsys.readouterr().out.strip() == "usage: %sora show ID"
    ip.run_line_magic("sora", "--model x -h a fox")
    assert "%sora remix" in capsys.readouterr().out


def test_reload_ext_keeps_one_configurable(ip):
    ip.run_line_magic("reload_ext", "sora_widgets")
    assert "sora" in ip.magics_manager.magics["cell"]
    assert len([c for c in ip.configurables if isinstance(c, SoraMagics)]) == 1
