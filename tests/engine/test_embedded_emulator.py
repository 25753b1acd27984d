"""The embedded emulator follows the configuration: a new profile or home restarts it; an emulator started
with ``sw.start_emulator()`` in this process counts as an emulator in ``backend_info()``. Real emulators."""

from __future__ import annotations

import pytest

import sora_widgets as sw
import sora_widgets.embedded
from sora_widgets import api
from sora_widgets.profiles import BackendProfile, ModelSpec, register_profile

W_PROFILE = register_profile(
    BackendProfile(
        name="embedded-w",
        models=(ModelSpec("wan-tiny", ("96x64",), ("1",), {"*": 0.01}),),
        description="tests/engine: a custom backend's models",
    )
)
O_PROFILE = register_profile(
    BackendProfile(
        name="embedded-o",
        models=(ModelSpec("other-tiny", ("96x64",), ("1",), {"*": 0.02}),),
        description="tests/engine: another backend's models",
    )
)


@pytest.fixture()
def no_key(monkeypatch, tmp_path):
    """The library's default: no key, no base URL, so the embedded emulator serves."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("SORA_WIDGETS_HOME", str(tmp_path / "default-home"))
    return tmp_path


def test_a_new_profile_restarts_the_embedded_emulator(no_key, capfd):
    sw.configure(home=no_key / "home", profile="embedded-w")
    first = sw.generate("a kite over a hill", timeout=120)
    assert first.status == "completed" and first.model == "wan-tiny"
    sw.configure(profile="embedded-o")
    second = sw.generate("a kite over the sea", timeout=120)  # was: 400 "Supported values are: 'wan-tiny'"
    assert second.status == "completed" and second.model == "other-tiny"
    assert sw.backend_info()["profile"] == "embedded-o"
    out, _ = capfd.readouterr()
    assert out.count("using the local emulator at") == 1  # announced once


def test_same_profile_and_home_reuse_the_embedded_emulator(no_key):
    sw.configure(home=no_key / "home", profile="embedded-w")
    sw.generate("a kite over a hill", timeout=120)
    running = sora_widgets.embedded.current()
    sw.configure(profile="embedded-w", budget_usd=5.0, max_concurrent=3)  # rebuilds the engine only
    job = sw.generate("a kite over a field", timeout=120)
    assert job.status == "completed"
    assert sora_widgets.embedded.current() is running and running.running


def test_a_new_home_restarts_the_embedded_emulator_under_it(no_key):
    sw.configure(home=no_key / "a", profile="embedded-w")
    first = sw.generate("a kite over a hill", timeout=120)
    old = sora_widgets.embedded.current()
    sw.configure(home=no_key / "b")
    assert not old.running  # stopped as the configuration moved away from it
    second = sw.generate("a kite over a lake", timeout=120)
    assert second.status == "completed"
    assert second.video_path.is_relative_to(no_key / "b")
    assert first.video_path.is_relative_to(no_key / "a")
    # the emulator's own state lives under the new home, not the old one
    assert any((no_key / "b" / "emulator").rglob("*"))
    assert [j.id for j in sw.jobs()] == [second.id]


def test_backend_info_knows_an_emulator_started_in_this_process(emulator, tmp_path):
    info = sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path)
    assert info["is_emulator"] is True and info["label"] == f"127.0.0.1:{emulator.port}"
    sw.spend()  # reading the journal starts nothing
    assert api.session().current_engine() is None and sw.backend_info()["is_emulator"] is True
    with sw.start_emulator(speed=40, profile=W_PROFILE, data_dir=tmp_path / "other") as other:
        sw.configure(base_url=other.base_url + "/", api_key=other.api_key, profile="embedded-w")
        job = sw.generate("a kite in a storm", timeout=120)  # builds the engine
        assert job.status == "completed" and sw.backend_info()["is_emulator"] is True
    # stopped: no longer a live emulator of this process
    assert sw.backend_info()["is_emulator"] is False
    assert sw.configure(base_url="http://127.0.0.1:9/v1")["is_emulator"] is False
