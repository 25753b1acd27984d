"""Procedural media: rendered from the prompt, exact geometry, deterministic; and the moderation list."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from PIL import Image

from sora_widgets import media
from sora_widgets.emulator import moderation
from sora_widgets.emulator.render import FPS, parse_prompt, render_video

from .helpers import moov_before_mdat, probe_mp4


def frames_of(path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def render(tmp_path, name, **kw):
    kw.setdefault("width", 320)
    kw.setdefault("height", 180)
    kw.setdefault("seconds", 1)
    out = tmp_path / name
    info = render_video(out, **kw)
    return out, info


def test_exact_size_length_fps_and_faststart(tmp_path):
    out, info = render(tmp_path, "a", prompt="A spinning red cube", width=256, height=144, seconds=2)
    data = (out / "video.mp4").read_bytes()
    probe = probe_mp4(data)
    assert probe["codec"] == "h264" and probe["pix_fmt"] == "yuv420p"
    assert (probe["width"], probe["height"], probe["frames"]) == (256, 144, 2 * FPS)
    assert probe["fps"] == 24 and abs(probe["duration"] - 2.0) < 0.05
    assert moov_before_mdat(data)
    geometry = media.sprite_geometry(256, 144, 2.0)
    assert Image.open(out / "spritesheet.jpg").size == geometry.sheet_size
    assert Image.open(out / "thumbnail.webp").size == media.thumbnail_size(256, 144)
    assert info["frames"] == 48 and info["sprite"] == geometry.to_dict()


def test_same_inputs_same_video(tmp_path):
    a, _ = render(tmp_path, "a", prompt="Three green stars orbiting at night", seed="s")
    b, _ = render(tmp_path, "b", prompt="Three green stars orbiting at night", seed="s")
    for name in ("video.mp4", "thumbnail.webp", "spritesheet.jpg"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_colour_words_change_the_picture(tmp_path):
    red, _ = render(tmp_path, "red", prompt="A big red ball on a white background")
    blue, _ = render(tmp_path, "blue", prompt="A big blue ball on a white background")
    r = frames_of(red / "video.mp4")[12].reshape(-1, 3).astype(int)
    b = frames_of(blue / "video.mp4")[12].reshape(-1, 3).astype(int)
    red_px = ((r[:, 0] > 150) & (r[:, 2] < 100)).mean()
    blue_px = ((b[:, 2] > 150) & (b[:, 0] < 100)).mean()
    assert red_px > 0.05 and blue_px > 0.05
    assert ((b[:, 0] > 150) & (b[:, 2] < 100)).mean() < 0.01  # no red in the blue one
    white = frames_of(red / "video.mp4")[12][5, 5]
    assert white.min() > 200  # "on a white background"


def test_shape_words_change_the_picture(tmp_path):
    cube, _ = render(tmp_path, "cube", prompt="A red cube on a white background", seed="x")
    ball, _ = render(tmp_path, "ball", prompt="A red ball on a white background", seed="x")
    assert parse_prompt("A red cube").shapes[0].kind == "square"
    assert parse_prompt("A red ball").shapes[0].kind == "circle"
    assert len(parse_prompt("three yellow stars").shapes) == 3
    c = frames_of(cube / "video.mp4")[0].astype(int)
    b = frames_of(ball / "video.mp4")[0].astype(int)
    # the square fills its corners, the circle does not: more red pixels for the cube
    def red(f):
        return ((f[..., 0] > 150) & (f[..., 1] < 100)).sum()

    assert red(c) > red(b) * 1.15


def test_motion_words_change_the_motion(tmp_path):
    assert parse_prompt("A cube spinning").motions == ["spin"]
    assert set(parse_prompt("balls bouncing while steam rises").motions) == {"bounce", "rise"}
    assert parse_prompt("slowly zooming").speed < 1 < parse_prompt("fast zoom").speed
    spin, _ = render(tmp_path, "spin", prompt="A red cube spinning fast on a white background", seed="m")
    still, _ = render(tmp_path, "still", prompt="A red cube on a white background", seed="m")
    def change(path):
        fr = frames_of(path / "video.mp4")
        return np.abs(fr[0].astype(int) - fr[20].astype(int))[:150].mean()
    assert change(spin) > change(still) * 1.5


def test_prompt_is_the_caption(tmp_path):
    a, _ = render(tmp_path, "a", prompt="Hello caption one", seed="c")
    b, _ = render(tmp_path, "b", prompt="Another caption entirely", seed="c")
    fa, fb = frames_of(a / "video.mp4")[5], frames_of(b / "video.mp4")[5]
    band = slice(140, 175)
    assert np.abs(fa[band].astype(int) - fb[band].astype(int)).mean() > 2
    assert fa[band].max() > 220  # white text


def test_reference_is_the_first_frame_then_animated(tmp_path):
    rng = np.random.default_rng(0)
    base = np.zeros((180, 320, 3), np.uint8)
    base[:, :160] = (200, 40, 40)
    base[:, 160:] = (30, 60, 210)
    base[60:120, 100:220] = rng.integers(0, 255, (60, 120, 3))
    buf = io.BytesIO()
    Image.fromarray(base).save(buf, format="PNG")
    out, _ = render(tmp_path, "ref", prompt="The scene drifts, camera pans", reference=buf.getvalue(), seconds=2)
    fr = frames_of(out / "video.mp4")
    flat = (slice(10, 50), slice(10, 150))  # away from chroma edges and noise
    assert np.abs(fr[0][flat].astype(int) - base[flat].astype(int)).mean() < 6
    assert np.abs(fr[0].astype(int) - base.astype(int)).mean() < 20
    assert np.abs(fr[-1].astype(int) - fr[0].astype(int)).mean() > 5  # it moves


def test_remix_is_a_visible_variation(tmp_path):
    src, _ = render(tmp_path, "src", prompt="Two orange rings drifting at sunset", seed="a")
    rmx, _ = render(tmp_path, "rmx", prompt="Same but calmer", seed="b",
                    base_prompt="Two orange rings drifting at sunset", base_seed="a")
    a, b = frames_of(src / "video.mp4")[10].astype(int), frames_of(rmx / "video.mp4")[10].astype(int)
    assert np.abs(a - b).mean() > 3
    # it keeps the source's scene: the same sunset background at the top corner
    assert np.abs(a[2, 2] - b[2, 2]).max() < 40


def test_extension_keeps_the_source_then_continues(tmp_path):
    src, _ = render(tmp_path, "src", prompt="A cyan square", seconds=1)
    ext, info = render(tmp_path, "ext", prompt="it keeps going", seconds=1, prefix_video=str(src / "video.mp4"),
                       prefix_seconds=1)
    assert info["frames"] == 48
    a, b = frames_of(src / "video.mp4"), frames_of(ext / "video.mp4")
    assert len(b) == 48
    assert np.abs(a[10].astype(int) - b[10].astype(int)).mean() < 4


@pytest.mark.parametrize(
    ("prompt", "blocked"),
    [
        ("Mario jumping on a mushroom", True),
        ("SpongeBob under the sea", True),
        ("Ronald McDonald waving", True),
        ("Elon Musk on stage", True),
        ("A dance to Bohemian Rhapsody", True),
        ("A video with music by Adele", True),
        ("A marionette show", False),
        ("A trumpet in a jazz club", False),
        ("A spinning red cube on a white background", False),
        ("The dish spins slowly, steam rises", False),
    ],
)
def test_moderation_list(prompt, blocked):
    verdict = moderation.check_prompt(prompt)
    assert (verdict is not None) == blocked
    if verdict:
        assert verdict.blocked_input == "prompt" and moderation.MESSAGE in verdict.message


def test_sources_at_other_frame_rates_are_resampled_to_24_fps(tmp_path):
    import av

    path = tmp_path / "30fps.mp4"
    with av.open(str(path), "w") as c:
        st = c.add_stream("libx264", rate=30)
        st.width, st.height, st.pix_fmt = 320, 180, "yuv420p"
        for i in range(60):  # 2 s at 30 fps, a frame number drawn as brightness
            frame = av.VideoFrame.from_ndarray(np.full((180, 320, 3), i * 4, np.uint8), format="rgb24")
            frame.pts = i
            for p in st.encode(frame):
                c.mux(p)
        for p in st.encode():
            c.mux(p)
    ext, info = render(tmp_path, "ext", prompt="more", seconds=1, prefix_video=str(path), prefix_seconds=2)
    fr = frames_of(ext / "video.mp4")
    assert len(fr) == 72 and info["duration_s"] == 3.0
    # output frame 24 (t = 1 s) shows source frame 30 (brightness ~120)
    assert abs(int(fr[24][5, 5].mean()) - 120) < 12


def test_extension_of_a_video_made_here_continues_its_scene(tmp_path):
    src, _ = render(tmp_path, "src", prompt="A green ball rolling on a white background", seconds=1, seed="a")
    ext, _ = render(tmp_path, "ext", prompt="it keeps going", seconds=1, seed="b", prefix_video=str(src / "video.mp4"),
                    prefix_seconds=1, continue_scene=True,
                    base_chain=[["A green ball rolling on a white background", "a"]])
    fr = frames_of(ext / "video.mp4")
    above_caption = slice(0, 130)
    jump = np.abs(fr[24][above_caption].astype(int) - fr[23][above_caption].astype(int)).mean()
    assert jump < 3  # the ball is where it was, the same colour, on the same background
    green = lambda f: ((f[..., 1] > 120) & (f[..., 0] < 80)).sum()  # noqa: E731
    assert green(fr[40]) > 200
