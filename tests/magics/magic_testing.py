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
