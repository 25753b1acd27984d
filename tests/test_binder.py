"""Binder, as near as we can get offline: a fresh venv built from ``binder/`` alone runs the quickstart.

repo2docker installs ``binder/requirements.txt``, then runs ``binder/postBuild``. This test does the same in a
new venv (no access to the project's own .venv), then executes ``notebooks/01-quickstart.ipynb`` there with
the library's default backend (the embedded emulator: no key is set), and checks that the panel was displayed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import venv
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _pins() -> dict[str, str]:
    """``binder/requirements.txt`` as {canonical name: version}; every line must be an exact pin."""
    pins: dict[str, str] = {}
    for raw in (BINDER / "requirements.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"not an exact pin: {raw!r}"
        pins[_canon(req.name)] = specs[0].version
    return pins


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_requirements_pin_every_runtime_dependency():
    """Each runtime dependency of pyproject.toml is pinned, and the pin satisfies pyproject's range."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _pins()
    missing, outside = [], []
    for spec in project["dependencies"]:
        req = Requirement(spec)
        if req.marker is not None and not req.marker.evaluate():
            continue
        version = pins.get(_canon(req.name))
        if version is None:
            missing.append(req.name)
        elif not req.specifier.contains(version, prereleases=True):
            outside.append(f"{req.name}=={version} (pyproject says {req.specifier})")
    assert not missing, f"binder/requirements.txt does not pin: {missing}"
    assert not outside, f"binder pins outside pyproject's ranges: {outside}"
    for jupyter in ("jupyterlab", "ipykernel"):
        assert jupyter in pins, f"binder/requirements.txt must pin {jupyter}"


def test_postbuild_installs_the_package():
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK), "binder/postBuild must be executable (repo2docker runs it directly)"
    text = post.read_text()
    assert text.startswith("#!"), "binder/postBuild needs a shebang"
    assert re.search(r"pip install\b.*\s\.(\s|$)", text), "binder/postBuild must pip install the package"


def _clean_env(tmp: Path, venv_dir: Path) -> dict[str, str]:
    """The environment a Binder user gets: no key, no endpoint, the venv first on PATH, a throwaway home."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "PYTHON", "VIRTUAL_ENV", "JUPYTER", "SORA_WIDGETS_"))
    }
    env["PATH"] = f"{venv_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv_dir)
    env["HOME"] = str(tmp / "home")
    (tmp / "home").mkdir(exist_ok=True)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        env[name] = str(tmp / name.lower())
    env["SORA_WIDGETS_HOME"] = str(tmp / "sora-home")
    # The same emulator speed as the rest of the suite (tests/conftest.py), so the quickstart stays quick.
    env["SORA_WIDGETS_EMULATOR_SPEED"] = os.environ.get("SORA_WIDGETS_EMULATOR_SPEED", "40")
    # Reuse pip's cache between runs, even though HOME is throwaway.
    env.setdefault("PIP_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "pip"))
    return env


def _run(cmd: list[str], *, env: dict[str, str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (
        f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
    )
    return proc


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_fresh_binder_venv_runs_the_quickstart(tmp_path):
    venv_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    py = str(venv_dir / "bin" / "python")
    env = _clean_env(tmp_path, venv_dir)
    work = tmp_path / "work"
    work.mkdir()

    # 1. repo2docker: pip install -r binder/requirements.txt, then binder/postBuild.
    _run([py, "-m", "pip", "install", "-q", "-r", str(BINDER / "requirements.txt")], env=env, cwd=work, timeout=480)
    _run(["bash", str(BINDER / "postBuild")], env=env, cwd=work, timeout=240)

    # The package came from postBuild into this venv (not from the source tree), and nothing is missing.
    _run([py, "-m", "pip", "check"], env=env, cwd=work, timeout=60)
    where = _run([py, "-c", "import sora_widgets; print(sora_widgets.__file__)"], env=env, cwd=work, timeout=60)
    assert Path(where.stdout.strip()).is_relative_to(venv_dir), where.stdout

    # 2. Run the quickstart the way a Binder user would: top to bottom, default backend.
    notebook = work / "01-quickstart.ipynb"
    notebook.write_bytes((ROOT / "notebooks" / "01-quickstart.ipynb").read_bytes())
    executed = work / "executed.ipynb"
    _run(
        [
            py, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
            "--ExecutePreprocessor.timeout=240",
            "--ExecutePreprocessor.kernel_name=python3",
            "--ExecutePreprocessor.store_widget_state=False",
            "--output", str(executed), str(notebook),
        ],
        env=env,
        cwd=work,
        timeout=420,
    )

    nb = json.loads(executed.read_text())
    outputs = [out for cell in nb["cells"] if cell["cell_type"] == "code" for out in cell.get("outputs", [])]
    errors = [out for out in outputs if out.get("output_type") == "error"]
    assert not errors, f"the quickstart raised: {[(e['ename'], e['evalue']) for e in errors]}"
    views = [out for out in outputs if WIDGET_VIEW in out.get("data", {})]
    assert views, "the quickstart displayed no widget"
    assert all(view["data"][WIDGET_VIEW].get("model_id") for view in views)
    # The default backend was the local emulator (the quickstart prints sw.backend_info()), and no key leaked.
    text = json.dumps(outputs)
    assert "'is_emulator': True" in text, "the quickstart did not run on the local emulator"
    assert not re.search(r"sk-[A-Za-z0-9]{6,}", text)
