"""Media that expired before they were downloaded: the job says so, and nothing is generated again."""

from __future__ import annotations

import pytest

import sora_widgets as sw
from sora_widgets.profiles import BackendProfile, ModelSpec

PROFILE = BackendProfile(name="tiny-expiring", models=(ModelSpec("tiny-1", ("96x64",), ("1",), {"*": 0.01}),))


@pytest.fixture(scope="module")
def expiring_emulator(tmp_path_factory):
    with sw.start_emulator(speed=40, seed=9, profile=PROFILE, expires_after_s=4.0,
                           data_dir=tmp_path_factory.mktemp("expiring")) as emu:
        yield emu


def test_expired_media_mark_the_job_expired_without_regenerating(expiring_emulator, tmp_path, wait_until):
    sw.configure(base_url=expiring_emulator.base_url, api_key=expiring_emulator.api_key, home=tmp_path,
                 profile=PROFILE)
    job = sw.generate("a clip whose files get lost")
    assert job.status == "completed"
    # The files are lost locally (a cleaned cache, a crash before the rename) and the hour has passed.
    job.video_path.unlink()
    sw.api.engine().journal.update(job.id, video_path=None)
    wait_until(lambda: expiring_emulator.stats()["videos"] == 1 and _expired(expiring_emulator, job.video_id))
    creates = expiring_emulator.stats()["requests"]["create"]

    sw.api.reset()
    sw.configure(base_url=expiring_emulator.base_url, api_key=expiring_emulator.api_key, home=tmp_path,
                 profile=PROFILE)
    resumed = sw.resume()
    assert [j.id for j in resumed] == [job.id]
    again = resumed[0].wait(30)
    assert again.status == "expired" and again.error.code == "expired"
    assert "expired before it was downloaded" in again.error.message
    assert expiring_emulator.stats()["requests"]["create"] == creates


def _expired(emu, video_id: str) -> bool:
    import httpx

    resp = httpx.get(f"{emu.base_url}/videos/{video_id}/content",
                     headers={"Authorization": f"Bearer {emu.api_key}"}, timeout=10)
    return resp.status_code == 404
