"""A throwaway ``marimo run`` server, and a page of it in Debian chromium (Playwright).

Recipes from TESTING.md, as in tests/ui/ui_harness.py (whose chromium launch this reuses): a free loopback port,
a new process group, throwaway config/cache/state dirs, readiness polled on ``/health``, ``killpg`` on the way
out. The server runs with no ``OPENAI_API_KEY``/``OPENAI_BASE_URL``, so sora_widgets starts its embedded
emulator: the path a new user takes.

marimo renders each anywidget in a shadow root (open), so ``document.querySelector`` does not see the widgets:
the page's JS helpers search through shadow roots (``deepAll``); Playwright's CSS and role locators pierce
them by themselves.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from typing_extensions import Self

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))

from ui_harness import ServerProcess, clean_env, free_port

#: ``deepAll(selector)``: every element matching ``selector`` in the document and in every (open) shadow root.
DEEP_ALL_JS = """
const deepAll = (selector) => {
  const found = [];
  const visit = (root) => {
    found.push(...root.querySelectorAll(selector));
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) visit(el.shadowRoot);
  };
  visit(document);
  return found;
};
"""

# marimo's own error outputs of a cell (an exception in a cell shows one of these in its output area)
_CELL_ERROR_JS = (
    DEEP_ALL_JS
    + """
return (() => {
  const err = deepAll('[data-testid="marimo-traceback"], .marimo-error, [data-cell-role="output"] .text-error')[0];
  return err ? (err.textContent || 'an error output').slice(0, 2000) : null;
})();
"""
)


class MarimoServer(ServerProcess):
    """``python -m marimo run NOTEBOOK`` on loopback, with no token, in its own process group."""

    name = "marimo"

    def __init__(self, notebook: Path, work_dir: Path, env: dict[str, str] | None = None) -> None:
        self.notebook = Path(notebook)
        self.work_dir = Path(work_dir)
        self.extra_env = dict(env or {})
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.work_dir / "marimo.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = clean_env()  # and no marimo config of the developer's, below
        for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
            path = self.work_dir / name.lower()
            path.mkdir(parents=True, exist_ok=True)
            env[name] = str(path)
        env["MARIMO_SKIP_UPDATE_CHECK"] = "1"
        env.update(self.extra_env)
        return env

    def start(self, timeout_s: float = 60.0) -> Self:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        cmd = [
            sys.executable, "-m", "marimo", "-y", "run", str(self.notebook),
            "--headless", "--host", "127.0.0.1", "--port", str(self.port),
            "--no-token", "--no-sandbox", "--no-skew-protection", "--show-tracebacks",
        ]  # fmt: skip
        return self._launch(cmd, self._env(), self.work_dir, f"{self.url}/health", timeout_s)


class MarimoPage:
    """The app open in a browser page: wait on conditions (searching through shadow roots), fail on cell errors.

    Has the ``page`` and ``wait_for`` that tests/ui/sora_page.py's helpers use; their ``document.querySelector``
    conditions do not see into marimo's shadow roots, so the tests here pass conditions written with ``deepAll``.
    """

    def __init__(self, page: Any, server: MarimoServer) -> None:
        self.page = page
        self.server = server

    def open(self) -> MarimoPage:
        self.page.goto(self.server.url, wait_until="domcontentloaded")
        return self

    def cell_error(self) -> str | None:
        return self.page.evaluate(f"() => {{ {_CELL_ERROR_JS} }}")  # type: ignore[no-any-return]

    def wait_for(self, condition_js: str, what: str, timeout_s: float = 30.0, arg: Any = None) -> Any:
        """Wait until ``condition_js`` (a JS function of ``arg``; ``deepAll`` is in scope) returns something
        truthy; return it. Fails early, with marimo's error text, when a cell shows an error meanwhile."""
        script = f"""
        (arg) => {{
          {DEEP_ALL_JS}
          const value = ({condition_js})(arg);
          if (value) return {{value}};
          const err = (() => {{ {_CELL_ERROR_JS} }})();
          return err ? {{cellError: err}} : null;
        }}
        """
        try:
            handle = self.page.wait_for_function(script, arg=arg, timeout=timeout_s * 1000)
        except Exception as exc:
            if "Timeout" not in type(exc).__name__ and "Timeout" not in str(exc):
                raise
            err = self.cell_error()
            detail = f"; a cell shows an error: {err}" if err else ""
            raise AssertionError(
                f"timed out after {timeout_s:.0f} s waiting for {what}{detail}\nmarimo log:\n{self.server.log_tail()}"
            ) from None
        result = handle.json_value()
        if "cellError" in result:
            raise AssertionError(
                f"a cell raised while waiting for {what}: {result['cellError']}\nmarimo log:\n{self.server.log_tail()}"
            )
        return result["value"]
