"""Screenshot the static harness (fake model, no kernel) in Debian chromium, for looking at the widgets.

    .venv/bin/python tests/js/harness/harness_server.py OUT_DIR "view=panel" "view=card&item=1" "view=gallery&theme=dark&count=500"

Serves the repo root over HTTP on a free loopback port (module imports need HTTP) and the coach rules as
``coach.json`` from :func:`sora_widgets.widgets.coach.coach_rules`.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.split("?")[0].endswith("/coach.json"):
            from sora_widgets.widgets.coach import coach_rules

            body = json.dumps(coach_rules()).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


def serve() -> http.server.ThreadingHTTPServer:
    """Serve the repo root (and coach.json) on a free loopback port, in a daemon thread."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(ROOT))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


#: Chromium flags that work on these machines (TESTING.md).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]


def main(out: Path, shots: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    server = serve()
    port = server.server_address[1]
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900}, device_scale_factor=1)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        for query in shots:
            page.goto(f"http://127.0.0.1:{port}/tests/js/harness/index.html?{query}")
            page.wait_for_function("window.__ready === true", timeout=10000)
            page.wait_for_timeout(600)  # images decode, fade-in ends (a screenshot, not a test)
            name = query.replace("&", "_").replace("=", "-") or "default"
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            print(out / f"{name}.png")
        browser.close()
    server.shutdown()
    if errors:
        print("page errors:", *errors, sep="\n  ")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:] or ["view=panel", "view=card", "view=gallery"])
