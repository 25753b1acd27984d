"""Real-browser harness: a throwaway JupyterLab / Notebook 7 server and Debian chromium driven by Playwright.

Shared by the UI tests (``tests/ui/conftest.py``) and the front-end benchmark (``benchmarks/frontend.py``).
Recipes from TESTING.md: a free loopback port, a new process group, throwaway Jupyter config/data/runtime
dirs, the news toast silenced, readiness polled on ``/api/status``, and ``killpg`` on the way out.
Everything waits on a condition with a deadline; nothing sleeps to synchronise.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from typing_extensions import Self

NOTEBOOKS_DIR = Path(__file__).parent / "notebooks"

#: Debian chromium flags proven on these machines (TESTING.md).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Environment variables the kernel must not inherit: without them sora_widgets starts its embedded
#: emulator, which is the default path a new user takes.
BACKEND_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID")

ServerKind = Literal["lab", "notebook"]

#: Page errors a server front end raises by itself, with nothing of ours involved.
KNOWN_PAGE_ERRORS: dict[str, tuple[str, ...]] = {
    "lab": (),
    # Notebook 7 always raises this one at start-up (TESTING.md).
    "notebook": ("Cannot read properties of undefined (reading 'schema')",),
}


def find_chromium() -> str | None:
    """Path of the Debian chromium binary, or None."""
    return shutil.which("chromium")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch_browser(playwright: Any, executable: str) -> Any:
    """Launch Debian chromium through Playwright's sync API."""
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)


def clean_env() -> dict[str, str]:
    """This process's environment without the developer's own sora_widgets setup (home, backend, key): what a
    test server's kernels start from."""
    return {k: v for k, v in os.environ.items() if k not in BACKEND_ENV and not k.startswith("SORA_WIDGETS_")}


class ServerProcess:
    """A server started in its own process group with its output in ``log_path``: stopped as a group (TERM,
    then KILL), a context manager around ``start()``. Shared by the Jupyter and marimo harnesses."""

    proc: subprocess.Popen[bytes] | None
    log_path: Path

    #: What the error messages call this server ("jupyter lab", "marimo").
    name = "server"

    def start(self) -> Self:
        raise NotImplementedError

    def _launch(self, cmd: list[str], env: dict[str, str], cwd: Path, ready_url: str, timeout_s: float) -> Self:
        """Start ``cmd`` in its own process group, logging to ``log_path``; return once ``ready_url`` answers 200."""
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=cwd,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(ready_url, timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"{self.name} did not answer {ready_url} in {timeout_s:.0f} s:\n{self.log_tail()}")
            # Readiness poll of another process: there is no event to wait on.
            time.sleep(0.2)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return f"(no log at {self.log_path})"

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class JupyterServer(ServerProcess):
    """One JupyterLab (``kind="lab"``) or Notebook 7 (``kind="notebook"``) server in its own process group.

    Parameters
    ----------
    kind
        ``"lab"`` runs ``python -m jupyterlab``, ``"notebook"`` runs ``python -m notebook``.
    work_dir
        Throwaway directory for Jupyter's config, data, runtime, settings and workspaces, the server log,
        and ``root/`` (the server's root dir, where notebooks are copied).
    kernel_env
        Extra environment for the server, which its kernels inherit.
    settings
        Extra JupyterLab setting overrides, ``{plugin_id: {key: value}}``.
    """

    def __init__(
        self,
        kind: ServerKind,
        work_dir: Path,
        kernel_env: dict[str, str] | None = None,
        settings: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.kind = kind
        self.name = f"jupyter {kind}"
        self.settings = dict(settings or {})
        self.work_dir = Path(work_dir)
        self.root_dir = self.work_dir / "root"
        self.kernel_env = dict(kernel_env or {})
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.work_dir / "server.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = clean_env()
        dirs = {
            "JUPYTER_CONFIG_DIR": self.work_dir / "config",
            "JUPYTER_DATA_DIR": self.work_dir / "data",
            "JUPYTER_RUNTIME_DIR": self.work_dir / "runtime",
            "JUPYTERLAB_SETTINGS_DIR": self.work_dir / "settings",
            "JUPYTERLAB_WORKSPACES_DIR": self.work_dir / "workspaces",
        }
        for name, path in dirs.items():
            path.mkdir(parents=True, exist_ok=True)
            env[name] = str(path)
        # A user-level IPython profile must not leak into the kernel.
        env["IPYTHONDIR"] = str(self.work_dir / "ipython")
        env.pop("JUPYTER_PATH", None)
        env.update(self.kernel_env)
        return env

    def _write_config(self) -> None:
        labconfig = self.work_dir / "config" / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        # The news/update toast covers screenshots and makes requests to the outside.
        overrides = {
            "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}
        }
        overrides.update(self.settings)
        (labconfig / "default_setting_overrides.json").write_text(json.dumps(overrides))

    def start(self, timeout_s: float = 90.0) -> Self:
        self.root_dir.mkdir(parents=True, exist_ok=True)
        self._write_config()
        self.port = free_port()
        module, app = ("jupyterlab", "LabApp") if self.kind == "lab" else ("notebook", "JupyterNotebookApp")
        cmd = [
            sys.executable, "-m", module,
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--allow-root",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--{app}.expose_app_in_browser=True",
        ]  # fmt: skip
        return self._launch(cmd, self._env(), self.root_dir, f"{self.base_url}/api/status", timeout_s)

    # -- REST helpers -------------------------------------------------------------------------------------

    def _request(self, method: str, path: str) -> Any:
        req = urllib.request.Request(f"{self.base_url}{path}", method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Delete every session (and so every kernel, with its embedded emulator)."""
        for session in self._request("GET", "/api/sessions") or []:
            try:
                self._request("DELETE", f"/api/sessions/{session['id']}")
            except urllib.error.HTTPError:
                pass

    def read_notebook(self, name: str) -> dict[str, Any]:
        return json.loads((self.root_dir / name).read_text())

    # -- notebooks ----------------------------------------------------------------------------------------

    def add_notebook(self, source: str | Path, name: str | None = None) -> str:
        """Copy a notebook (a file in tests/ui/notebooks or a path) into the root dir; returns its name."""
        src = Path(source)
        if not src.is_absolute() and not src.exists():
            src = NOTEBOOKS_DIR / src
        target = name or src.name
        shutil.copyfile(src, self.root_dir / target)
        return target

    def write_notebook(self, name: str, cells: Iterable[str]) -> str:
        """Write a notebook of code ``cells`` into the root dir; returns its name."""
        import nbformat

        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        nbformat.write(nb, self.root_dir / name)
        return name

    def notebook_url(self, name: str) -> str:
        if self.kind == "lab":
            # ?reset: a fresh workspace, so no earlier test's layout leaks in.
            return f"{self.base_url}/lab/tree/{name}?reset"
        return f"{self.base_url}/notebooks/{name}"


# -- browser side ---------------------------------------------------------------------------------------------

_KERNEL_STATUS_JS = "() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status"

# The first error output of any code cell, read from the notebook model (not the DOM), or null.
_CELL_ERROR_JS = """
() => {
  const panel = window.jupyterapp?.shell?.currentWidget;
  const cells = panel?.content?.model?.cells;
  if (!cells) return null;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    for (let j = 0; j < cell.outputs.length; j++) {
      const out = cell.outputs.get(j).toJSON();
      if (out.output_type === 'error') {
        return {cell: i, ename: out.ename, evalue: out.evalue, traceback: (out.traceback || []).join('\\n')};
      }
    }
  }
  return null;
}
"""

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class CellError(AssertionError):
    """A notebook cell raised in the kernel."""


@dataclass
class PageProblems:
    """Page errors, console errors and dialogs seen on one page."""

    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def unexpected(self, allowed: Iterable[str] = ()) -> list[str]:
        allowed = tuple(allowed)
        found = [f"page error: {e}" for e in self.page_errors if not any(a in e for a in allowed)]
        found += [f"console error: {e}" for e in self.console_errors if not any(a in e for a in allowed)]
        found += [f"dialog: {d}" for d in self.dialogs]
        return found


def watch_page(page: Any) -> PageProblems:
    """Record page errors, console errors and dialogs (dismissing the dialogs so nothing hangs)."""
    problems = PageProblems()
    page.on("pageerror", lambda exc: problems.page_errors.append(str(exc)))

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            problems.console_errors.append(msg.text)

    def on_dialog(dialog: Any) -> None:
        problems.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("console", on_console)
    page.on("dialog", on_dialog)
    return problems


class NotebookPage:
    """A notebook open in the browser: open it, wait for its kernel, run it, wait on conditions."""

    def __init__(self, page: Any, server: JupyterServer, name: str) -> None:
        self.page = page
        self.server = server
        self.name = name

    def open(self, timeout_s: float = 60.0) -> NotebookPage:
        self.page.goto(self.server.notebook_url(self.name), wait_until="domcontentloaded")
        self.wait_kernel_idle(timeout_s)
        return self

    def wait_kernel_idle(self, timeout_s: float = 60.0) -> None:
        try:
            self.page.wait_for_function(f"() => ({_KERNEL_STATUS_JS})() === 'idle'", timeout=timeout_s * 1000)
        except Exception as exc:
            status = self.page.evaluate(_KERNEL_STATUS_JS)
            raise AssertionError(
                f"kernel of {self.name} not idle after {timeout_s:.0f} s (status {status!r}); server log:\n"
                f"{self.server.log_tail()}"
            ) from exc

    def run_all(self) -> None:
        """Start running every cell; returns at once (wait on the outcome with :meth:`wait_for`)."""
        self.page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")

    def cell_error(self) -> dict[str, Any] | None:
        return self.page.evaluate(_CELL_ERROR_JS)  # type: ignore[no-any-return]

    def raise_cell_error(self) -> None:
        err = self.cell_error()
        if err:
            tb = _ANSI.sub("", err["traceback"])
            raise CellError(f"cell {err['cell']} of {self.name} raised {err['ename']}: {err['evalue']}\n{tb}")

    def wait_for(self, condition_js: str, what: str, timeout_s: float = 30.0, arg: Any = None) -> Any:
        """Wait until ``condition_js`` (a JS function of ``arg``) returns something truthy; return it.

        Fails early, with the traceback, when a notebook cell raises meanwhile.
        """
        script = f"""
        (arg) => {{
          const value = ({condition_js})(arg);
          if (value) return {{value}};
          const err = ({_CELL_ERROR_JS})();
          return err ? {{cellError: err}} : null;
        }}
        """
        try:
            handle = self.page.wait_for_function(script, arg=arg, timeout=timeout_s * 1000)
        except Exception as exc:
            if "Timeout" not in type(exc).__name__ and "Timeout" not in str(exc):
                raise
            self.raise_cell_error()
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}") from None
        result = handle.json_value()
        if "cellError" in result:
            self.raise_cell_error()
        return result["value"]

    def output_text(self, cell_index: int) -> str:
        """Plain text of one code cell's stream/text outputs (read from the model)."""
        return self.page.evaluate(  # type: ignore[no-any-return]
            """(i) => {
              const cell = window.jupyterapp.shell.currentWidget.content.model.cells.get(i);
              const parts = [];
              for (let j = 0; j < cell.outputs.length; j++) {
                const out = cell.outputs.get(j).toJSON();
                if (out.text) parts.push(Array.isArray(out.text) ? out.text.join('') : out.text);
                else if (out.data && out.data['text/plain']) {
                  const t = out.data['text/plain']; parts.push(Array.isArray(t) ? t.join('') : t);
                }
              }
              return parts.join('');
            }""",
            cell_index,
        )

    def save(self, timeout_s: float = 30.0) -> None:
        """Save through the UI (``docmanager:save``), which stores widget state, and wait until clean."""
        self.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        self.page.wait_for_function(
            "() => { const w = window.jupyterapp.shell.currentWidget; return w && w.context && !w.context.model.dirty; }",
            timeout=timeout_s * 1000,
        )
