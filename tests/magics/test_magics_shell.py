"""%sora through a real IPython shell, for what needs no backend: loading, help, %config, parse errors."""

from __future__ import annotations

import pytest
from magic_testing import base_config, dispose, make_shell

from sora_widgets.magics import SoraMagics


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert "Traceback" not in captured.err + captured.out
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("sora: ")
    return lines[0]


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
        ('"a fox', 'unbalanced " quote'),
        ("--fit stretch a fox", "--fit 'stretch' is not one of: cover, contain, error"),
        ("show", "exactly one job id"),
        ("", "no prompt given"),
        ("budget lots", "budget must be an amount in US dollars"),
        ("backend ftp://x", "backend must be a URL like https://host/v1"),
        ("--ref /no/such/file.png a fox", "--ref file not found: /no/such/file.png"),
        ("{n:zz} a fox", "cannot fill in {n:zz}"),
    ],
)
def test_bad_input_is_one_line_never_a_traceback(ip, capsys, line, needle):
    ip.user_ns["n"] = 3
    result = ip.run_cell(f"%sora {line}")
    assert result.result is None
    assert needle in _one_error_line(capsys)


def test_cell_magic_errors_are_one_line(ip, capsys):
    ip.run_cell("%%sora a prompt on the first line\nand the body")
    assert "takes the prompt from the cell body" in _one_error_line(capsys)
    ip.run_cell("%%sora --wait\n   \n")
    assert "the cell is empty" in _one_error_line(capsys)


def test_reload_ext_keeps_one_configurable(ip):
    ip.run_line_magic("reload_ext", "sora_widgets")
    assert "sora" in ip.magics_manager.magics["cell"]
    assert len([c for c in ip.configurables if isinstance(c, SoraMagics)]) == 1
