"""Sound in exports and stitches. The emulator renders silent clips, so these inputs are made here with PyAV the
way a Sora clip is laid out (H.264 video at 24 fps, AAC 48 kHz stereo), each clip a pure tone whose pitch tells,
after any trim or stitch, which clip (and which moment of it) the sound came from."""

from __future__ import annotations

import av
import numpy as np
import pytest

from sora_widgets import export as ex
from sora_widgets import stitch as st


def make_clip(path, hz: float | None, seconds: float = 4.0, colour=(200, 30, 30)) -> None:
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = 160, 90, "yuv420p"
        video.options = {"crf": "28", "preset": "superfast"}
        audio = out.add_stream("aac", rate=48000, layout="stereo") if hz else None
        for i in range(int(seconds * 24)):
            img = np.zeros((90, 160, 3), np.uint8)
            img[:] = colour
            img[:, (i * 3) % 160] = 255
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if audio is not None:
            total = int(seconds * 48000)
            wave = (0.3 * np.sin(2 * np.pi * hz * np.arange(total) / 48000)).astype(np.float32)
            for k in range(0, total, 1024):
                chunk = av.AudioFrame.from_ndarray(np.stack([wave[k:k + 1024]] * 2), format="fltp", layout="stereo")
                chunk.sample_rate, chunk.pts = 48000, k
                for packet in audio.encode(chunk):
                    out.mux(packet)
            for packet in audio.encode():
                out.mux(packet)


def sound(path) -> tuple[str, np.ndarray]:
    """(codec, mono samples at 48 kHz) of the file's audio track."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=48000)
        samples = [f.to_ndarray()[0] for packet_frame in container.decode(stream)
                   for f in resampler.resample(packet_frame)]
        return stream.codec_context.name, np.concatenate(samples)


def pitches(samples: np.ndarray, seconds: float, step: float = 0.5, window: float = 0.4) -> list[int]:
    """The dominant frequency (Hz, 0 for silence) of each ``window`` starting every ``step`` seconds."""
    out = []
    for t in np.arange(0, seconds - window + 1e-9, step):
        seg = samples[int(t * 48000):int((t + window) * 48000)]
        out.append(0 if np.abs(seg).max() < 1e-3 else int(round(np.argmax(np.abs(np.fft.rfft(seg))) / window)))
    return out


@pytest.fixture(scope="module")
def toned(tmp_path_factory):
    d = tmp_path_factory.mktemp("audio")
    clips = {"a440": d / "a440.mp4", "a880": d / "a880.mp4", "silent": d / "silent.mp4"}
    make_clip(clips["a440"], 440)
    make_clip(clips["a880"], 880, colour=(30, 30, 200))
    make_clip(clips["silent"], None, colour=(30, 200, 30))
    clips["joined"] = st.stitch([clips["a440"], clips["a880"]], d / "joined.mp4").path
    return clips


def test_stitch_copies_matching_audio_along_with_the_video(toned, tmp_path):
    result = st.stitch([toned["a440"], toned["a880"]], tmp_path / "j.mp4")
    assert result.method == "stream_copy" and "video and audio packets copied" in result.reason
    codec, samples = sound(result.path)
    assert codec == "aac"
    assert abs(len(samples) / 48000 - 8.0) < 0.1  # each clip's AAC priming (21 ms) is kept
    assert pitches(samples, 8.0) == [440] * 8 + [880] * 8


def test_stitch_with_a_silent_clip_reencodes_and_keeps_sound_aligned(toned, tmp_path):
    result = st.stitch([toned["a440"], toned["silent"], toned["a880"]], tmp_path / "m.mp4")
    assert result.method == "reencode" and "has no audio track" in result.reason
    codec, samples = sound(result.path)
    assert codec == "aac" and abs(len(samples) / 48000 - 12.0) < 0.05
    assert pitches(samples, 12.0, step=1.0) == [440] * 4 + [0] * 4 + [880] * 4


def test_stream_copy_trim_keeps_the_window_of_sound(toned, tmp_path):
    result = ex.export(toned["joined"], tmp_path / "t.mp4", start=4.0, end=8.0)
    assert result.method == "stream_copy" and "audio" in result.reason
    codec, samples = sound(result.path)
    assert codec == "aac" and abs(len(samples) / 48000 - 4.0) < 0.1
    assert pitches(samples, 4.0) == [880] * 8


@pytest.mark.parametrize(("suffix", "codec"), [(".mp4", "aac"), (".webm", "opus")])
def test_reencoded_trim_cuts_the_sound_where_the_picture_is_cut(toned, tmp_path, suffix, codec):
    result = ex.export(toned["joined"], tmp_path / f"t{suffix}", start=3.0, end=6.0, width=80)
    assert result.method == "reencode"
    got, samples = sound(result.path)
    assert got == codec and abs(len(samples) / 48000 - 3.0) < 0.05
    assert pitches(samples, 3.0) == [440, 440, 880, 880, 880, 880]  # the cut at 4 s is 1 s in


def test_audio_false_drops_the_sound(toned, tmp_path):
    for kwargs in ({"start": 4.0, "end": 8.0}, {"start": 1.0, "end": 2.0}):
        result = ex.export(toned["joined"], tmp_path / "quiet.mp4", audio=False, **kwargs)
        with av.open(str(result.path)) as container:
            assert not container.streams.audio and container.streams.video
