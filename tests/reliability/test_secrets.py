"""Fault family: secrets. The configured key (not shaped ``sk-...``, as Azure/LiteLLM keys are), a base URL's
``user:pass@`` and ``?key=``, and a backend that echoes the key in a job's error: none of them reaches a file
under ``home``, a message, a log record, widget state or a saved notebook."""

from __future__ import annotations

import json
import logging
import os
import sqlite3

import nbformat
import pytest
from nbclient import NotebookClient

import sora_widgets as sw
from sora_widgets.errors import SoraWidgetsError
from sora_widgets.redact import redact
from sora_widgets.store import Journal

from .conftest import TINY

KEY = "azure-Key_0123456789abcdef"  # no sk- prefix: only redaction by value catches it
PASSWORD = "hunter2pass"
QUERY_KEY = "abcquery42"
SECRETS = (KEY, PASSWORD, QUERY_KEY)
BLOCKED = "Mario jumping on a mushroom"  # the emulator fails it (moderation) and quotes the key


@pytest.fixture(scope="module")
def echoing(tmp_path_factory):
    from sora_widgets import start_emulator

    with start_emulator(speed=40, seed=3, api_key=KEY, echo_key_in_errors=True, profile=TINY,
                        data_dir=tmp_path_factory.mktemp("echo")) as emu:
        yield emu


def secret_url(emulator) -> str:
    return emulator.base_url.replace("http://", f"http://user:{PASSWORD}@") + f"?key={QUERY_KEY}"


def assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into {where}"


def assert_home_clean(home) -> None:
    files = [p for p in home.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret!r} stored in {path}"


def test_no_secret_in_files_messages_logs_or_widget_state(echoing, tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="sora_widgets")
    home = tmp_path / "home"
    info = sw.configure(base_url=secret_url(echoing), api_key=KEY, home=home, profile=TINY)
    assert_clean(repr(info), "backend_info()")
    blocked, fine = sw.submit(BLOCKED), sw.submit("a calm lake at dawn")
    blocked.wait(60)
    fine.wait(60)
    assert fine.status == "completed" and fine.video_path.exists()  # the credentials still work on the wire
    assert blocked.status == "failed" and blocked.error.code == "moderation_blocked"
    assert "***" in blocked.error.message  # the backend's echo was there, and was masked
    for job in (blocked, fine):
        assert_clean(json.dumps(job.to_dict()), "to_dict()")
        assert_clean(repr(job), "repr(job)")
    exc = blocked.error.exception()
    assert_clean(str(exc) + repr(exc), "the exception")
    with pytest.raises(SoraWidgetsError) as info_exc:
        sw.generate(BLOCKED, cache=False)
    assert_clean(str(info_exc.value), "sw.generate's error")

    from sora_widgets.widgets.card import VideoCard

    card = VideoCard(blocked)
    state = {k: v for k, v in card.get_state().items() if not isinstance(v, (bytes, memoryview))}
    assert_clean(json.dumps(state, default=str), "widget state")
    card.close()

    records = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    assert_clean("\n".join(records), "log records")
    sw.api.reset()  # journal closed: everything on disk now
    assert_home_clean(home)


def test_a_bad_base_url_with_credentials_names_no_secret(tmp_path):
    with pytest.raises(SoraWidgetsError) as info:
        sw.configure(base_url=f"htp://user:{PASSWORD}@host/v1?key={QUERY_KEY}", home=tmp_path)
    assert "base_url" in str(info.value)
    assert_clean(str(info.value), "the error")


def test_redaction_masks_the_registered_key_and_credential_shapes():
    from sora_widgets import redact as r

    r.register("plain-Opaque-Token-77")
    text = ("failed with plain-Opaque-Token-77 at https://u:p4ss@h.example/v1?api-version=1&sig=xyz "
            "Authorization: Bearer abc.def-123456 token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig")
    out = redact(text)
    for leaked in ("plain-Opaque-Token-77", "p4ss", "sig=xyz", "abc.def-123456", "eyJhbGci"):
        assert leaked not in out
    assert "h.example/v1" in out  # what is not secret stays readable
    assert redact("cache_key=1234 and video_abc123") == "cache_key=1234 and video_abc123"


def test_an_older_journal_is_cleaned_on_open(tmp_path):
    home = tmp_path / "home"
    Journal(home).close()
    db = sqlite3.connect(home / "jobs.sqlite3")
    db.execute("INSERT INTO jobs (id, backend_key, prompt, model, size, seconds, status, created_at, error_json) "
               "VALUES ('job_old', ?, 'p', 'm', '96x64', '1', 'failed', 1, ?)",
               (f"http://user:{PASSWORD}@h:1/v1?key={QUERY_KEY}",
                json.dumps({"code": "x", "message": f"at http://user:{PASSWORD}@h:1/v1?key={QUERY_KEY}"})))
    db.execute("PRAGMA user_version = 0")
    db.commit()
    db.close()
    journal = Journal(home)
    (row,) = journal.all()
    journal.close()
    assert row["backend_key"] == "http://h:1/v1"
    assert_clean(row["error_json"], "error_json")


@pytest.mark.slow
def test_a_saved_notebook_holds_no_secret(echoing, tmp_path):
    """A real kernel runs the cells (URL and key come from the environment, as they should), outputs are saved."""
    home = tmp_path / "home"
    cells = [
        "import os, sora_widgets as sw\nfrom tests.reliability.conftest import TINY\n"
        "sw.configure(base_url=os.environ['T_URL'], api_key=os.environ['T_KEY'], home=os.environ['T_HOME'], "
        "profile=TINY)",
        f"job = sw.submit({BLOCKED!r}); job.wait(60); job.to_dict()",
        "print(job.error); job",
        "try:\n    sw.generate(" + repr(BLOCKED) + ", cache=False)\nexcept Exception as exc:\n    print(repr(exc))",
        "sw.VideoCard(job)",
        "%load_ext sora_widgets\n%sora backend",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    env = {"T_URL": secret_url(echoing), "T_KEY": KEY, "T_HOME": str(home)}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": os.getcwd()}}).execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    path = tmp_path / "saved.ipynb"
    nbformat.write(nb, path)
    saved = path.read_text()
    assert "moderation" in saved and "***" in saved  # the outputs are there
    assert_clean(saved, "the saved notebook")
    assert_home_clean(home)
