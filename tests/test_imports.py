"""``sw.jobs`` is the function whatever was imported first (the job module is ``sora_widgets.job``)."""

from __future__ import annotations

import subprocess
import sys

import pytest

ORDERS = [
    "import sora_widgets as sw",
    "import sora_widgets.job; import sora_widgets as sw",
    "import sora_widgets.widgets; import sora_widgets.magics; import sora_widgets as sw",
    "from sora_widgets import api, session, engine; import sora_widgets as sw",
]


@pytest.mark.parametrize("imports", ORDERS)
def test_sw_jobs_is_always_the_function(imports):
    code = f"{imports}; import types; f = sw.jobs; print(type(f).__name__, f.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["function", "sora_widgets.api"]


def test_there_is_no_jobs_module():
    out = subprocess.run([sys.executable, "-c", "import sora_widgets.jobs"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode != 0 and "No module named 'sora_widgets.jobs'" in out.stderr
