"""``%%sora storyboard``: one shot per line of the cell, options on the line; parsed, then run in a real shell."""

from __future__ import annotations

import atexit

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from sora_widgets import export as ex
from sora_widgets.magic_args import ParseError, parse_line
from sora_widgets.widgets.storyboard import StoryboardWidget

from .conftest import creates


class Shell(InteractiveShell):
    """run_cell raises whatever the cell raised."""

    def run_cell(self, *args, **kwargs):
        result = super().run_cell(*args, **kwargs)
        result.raise_error()
        return result


@pytest.fixture()
def shell(story):
    config = Config()
    config.HistoryAccessor.enabled = False
    Shell.clear_instance()
    ip = Shell.instance(config=config)
    ip.extension_manager.load_extension("sora_widgets")
    yield ip
    ip.extension_manager.unload_extension("sora_widgets")
    atexit.unregister(ip.atexit_operations)
    Shell.clear_instance()


def test_the_cell_is_the_shots_and_the_line_the_options():
    command = parse_line("storyboard --seconds 4 --chain none -o sb --wait", "a red ball\n\n  a blue cube\n")
    assert command.name == "storyboard" and command.prompt == "a red ball\n\n  a blue cube"
    assert (command.options.seconds, command.options.chain, command.options.out, command.options.wait) == (
        "4", "none", "sb", True)


@pytest.mark.parametrize(("line", "cell", "match"), [
    ("storyboard", None, "needs the shots in the cell body, one per line"),
    ("storyboard", "  \n", "needs the shots in the cell body, one per line"),
    ("storyboard --chain sideways", "a shot", "invalid choice: 'sideways'"),
    ("storyboard a shot", "another", "the shots go in the cell body, one per line"),
])
def test_bad_storyboard_lines_say_what_to_fix(line, cell, match):
    with pytest.raises(ParseError, match=match):
        parse_line(line, cell)


def test_sora_storyboard_renders_one_shot_per_line_and_stitches(shell, story_emulator):
    before = creates(story_emulator)
    shell.user_ns["colour"] = "green"
    shell.run_cell("%%sora storyboard --size 320x180 --seconds 4 -o sb --wait\n"
                   "a red ball rolls in\n\na blue cube spinning fast\nthree {colour} stars orbiting\n")
    sb = shell.user_ns["sb"]
    assert isinstance(sb, StoryboardWidget) and sb.status == "completed"
    assert [shot.prompt for shot in sb.shots] == ["a red ball rolls in", "a blue cube spinning fast",
                                                 "three green stars orbiting"]
    assert sb.chain == "frame" and creates(story_emulator) - before == 3
    assert abs(ex.probe(sb.video_path).duration_s - 12.0) <= 1 / 24


def test_a_bad_shot_fails_the_cell_with_one_line(shell, story_emulator):
    before = creates(story_emulator)
    with pytest.raises(UsageError, match="seconds '3' is not available"):
        shell.run_cell("%%sora storyboard --seconds 3\na shot\n")
    assert creates(story_emulator) == before
