"""The shell the magic tests drive: a real InteractiveShell whose run_cell raises (jupysql's TestingShell)."""

from __future__ import annotations

import atexit

from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config


class TestingShell(InteractiveShell):
    """run_cell raises whatever the cell raised, so a traceback anywhere fails the test."""

    __test__ = False  # not a pytest class

    def run_cell(self, *args, **kwargs):
        result = super().run_cell(*args, **kwargs)
        result.raise_error()
        return result


def base_config() -> Config:
    config = Config()
    config.HistoryAccessor.enabled = False  # otherwise sqlite files pile up: "too many open files"
    config.InteractiveShell.colors = "nocolor"
    return config


def make_shell(config: Config) -> TestingShell:
    """A fresh shell with ``%load_ext sora_widgets`` done."""
    TestingShell.clear_instance()
    shell = TestingShell.instance(config=config)
    shell.extension_manager.load_extension("sora_widgets")
    return shell


def dispose(shell: TestingShell) -> None:
    """Forget ``shell``. Each shell registers an atexit hook that runs a full ``gc.collect()``; a hundred of
    them added about 40 s to the exit of the test process."""
    if "sora_widgets" in shell.extension_manager.loaded:
        shell.extension_manager.unload_extension("sora_widgets")
    atexit.unregister(shell.atexit_operations)
    TestingShell.clear_instance()


_UNSET = object()


def fails_the_cell(ip: TestingShell, source: str, capsys) -> str:
    """Run ``source`` as a cell that must fail with IPython's UsageError: one line on stderr, no traceback,
    and ``_`` (the last result) untouched. Returns the message."""
    from IPython.core.error import UsageError

    before = ip.user_ns.get("_", _UNSET)
    capsys.readouterr()
    try:
        ip.run_cell(source, store_history=True)
    except UsageError as exc:
        message = str(exc)
    else:
        raise AssertionError(f"the cell succeeded, expected a UsageError: {source!r}")
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "\n" not in message and message.strip()
    assert [line for line in captured.err.splitlines() if line.strip()] == [f"UsageError: {message}"], (
        captured.err
    )
    assert ip.user_ns.get("_", _UNSET) is before, "a failed cell changed _"
    return message
