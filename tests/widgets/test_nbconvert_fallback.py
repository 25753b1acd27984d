"""The static previews in a real executed notebook, rendered by ``nbconvert --to html``.

The notebook is saved without widget state, as JupyterLab saves by default ("Save Widget State
Automatically" is off): that is where JupyterLab says "model not found" and GitHub shows nothing without a
fallback. (With widget state saved, nbconvert's HTML renders the widget view itself, through the
html-manager it loads from a CDN.)
"""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys

import nbformat
from PIL import Image

CELLS = [
    "import sora_widgets as sw\njob = sw.generate('Wide shot of a red kite over dunes, late <sun>', seconds='4')",
    "sw.VideoCard(job)",
    "sw.Gallery()",
]


def test_executed_notebook_as_html_shows_what_was_made(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    source = tmp_path / "made.ipynb"
    nbformat.write(nb, source)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")},
        "SORA_WIDGETS_HOME": str(tmp_path / "home"),  # the embedded emulator, fast
        "SORA_WIDGETS_EMULATOR_SPEED": os.environ.get("SORA_WIDGETS_EMULATOR_SPEED", "40"),
    }
    jupyter = [sys.executable, "-m", "jupyter", "nbconvert"]
    subprocess.run(
        [*jupyter, "--to", "notebook", "--execute", "--output", "executed.ipynb",
         "--ExecutePreprocessor.store_widget_state=False", str(source)],
        check=True, env=env, cwd=tmp_path, capture_output=True, timeout=300,
    )
    executed = nbformat.read(tmp_path / "executed.ipynb", as_version=4)
    card_out, gallery_out = executed.cells[1].outputs[0], executed.cells[2].outputs[0]
    assert "application/vnd.jupyter.widget-view+json" in card_out["data"]  # still the live widget in Jupyter
    assert card_out["data"]["text/plain"].startswith("VideoCard(job_")
    assert gallery_out["data"]["text/plain"] == "Gallery(1 videos: 1 completed)"
    subprocess.run([*jupyter, "--to", "html", str(tmp_path / "executed.ipynb")],
                   check=True, env=env, cwd=tmp_path, capture_output=True, timeout=120)
    page = (tmp_path / "executed.html").read_text()
    images = re.findall(r'src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2  # the card's thumbnail and the gallery's contact sheet
    for data in images:
        assert Image.open(io.BytesIO(base64.b64decode(data))).format == "JPEG"
    assert "late &lt;sun&gt;" in page and "late <sun>" not in page
    assert "model not found" not in page and "object at 0x" not in page
    assert "Run the cell to make it live" in page
