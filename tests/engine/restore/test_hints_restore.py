"""Colour hints through the real restore: a photo and a film's shot take the hinted colours,
the shots without hints are as they were, the luma is kept, and bad hints are refused first."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from panchro.engine import media
from panchro.engine.errors import BadInputError
from panchro.engine.imaging.color import rgb_to_ycbcr
from panchro.engine.imaging.hints import Hints, Point, Stroke, chroma_of_rgb
from panchro.engine.project import Pick, Project
from panchro.engine.restore import frame_preview, pipeline
from panchro.engine.restore.picture import restore_picture
from panchro.engine.restore.stages import ColorizeStage
from panchro.engine.shots import Shot
from tests.makemedia import make_video
from tests.makephotos import png

RED, BLUE = (200, 30, 30), (30, 60, 220)


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 grey frames of 96x64, a cut at 12."""
    return make_video(
        tmp_path_factory.mktemp("hfilm") / "film.mp4",
        frames=24,
        size=(96, 64),
        cuts=(12,),
        pattern="gray",
        audio=False,
    )


def _stage(models: Path, hints: Hints | None, **kw) -> ColorizeStage:
    return ColorizeStage(
        device="cpu",
        refiner_path=str(models / "refiner.safetensors"),
        colorizer_path=str(models / "colorizer.safetensors"),
        hint_refiner_path=str(models / "no_hint_refiner.safetensors"),
        hints=hints,
        **kw,
    )


def _planes(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="yuv444p").astype(np.float64) for f in c.decode(video=0)]


def _two_halves(w: int = 96, h: int = 64) -> np.ndarray:
    grey = np.full((h, w), 70, np.uint8)
    grey[:, w // 2 :] = 190  # a hard luma edge down the middle
    return grey


def test_a_photo_takes_its_hints_each_side_of_an_edge_and_keeps_its_luma(
    models: Path, tmp_path: Path
) -> None:
    grey = _two_halves()
    src = png(tmp_path / "grey.png", grey)
    hints = Hints(
        points=(Point(0, 20, 30, RED),),
        strokes=(Stroke(0, ((70.0, 10.0), (80.0, 50.0)), 3.0, BLUE),),
    )
    out = tmp_path / "colour.png"
    summary = restore_picture(src, out, stages=[_stage(models, hints)])
    pix = media.read_picture(out).pixels
    ycc = rgb_to_ycbcr(pix, matrix="bt601")
    luma = pix.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    assert np.abs(luma - grey).max() <= 0.5 + 1e-3  # the luma within rounding
    # Colour at the hints as asked (within what the grey's luma allows), and each half
    # of the picture takes its own hint's colour: the luma edge stops the other one.
    red = chroma_of_rgb(RED, "bt601")
    left, right = ycc[:, :44, 1:].reshape(-1, 2), ycc[:, 52:, 1:].reshape(-1, 2)
    assert np.abs(left.mean(0) - red).max() < 0.06
    assert right[:, 0].mean() > 0.1 and right[:, 1].mean() < 0  # blue: Cb up, Cr down
    assert np.abs(ycc[30, 20, 1:] - red).max() < 0.04
    assert "levin" in " ".join(summary.notes).lower()
    with Image.open(out) as im:
        assert "colorized from 2 colour hints" in str(im.getexif().get(0x0131, ""))


def test_a_hinted_shot_takes_the_colour_and_the_other_shot_is_untouched(
    models: Path, film: Path, tmp_path: Path
) -> None:
    shots = [Shot(0, 12, 6), Shot(12, 24, 18)]
    hints = Hints(points=(Point(6, 40, 40, RED), Point(6, 80, 50, RED)))
    plain, hinted = tmp_path / "plain.mkv", tmp_path / "hinted.mkv"
    for out, h in ((plain, None), (hinted, hints)):
        proj = Project.new(film, shots=shots)
        pipeline.restore(film, out, codec="ffv1", stages=[_stage(models, h)], project=proj)
    src, a, b = _planes(film), _planes(plain), _planes(hinted)
    assert len(a) == len(b) == 24
    for s, x, y in zip(src, a, b, strict=True):
        assert np.array_equal(s[0], x[0]) and np.array_equal(s[0], y[0])  # luma kept
    for t in range(12, 24):  # no hints on shot 1: the same frames as without hints
        assert np.array_equal(a[t], b[t])
    cr = [float((f[2] - 128).mean()) for f in b[:12]]
    cr_plain = [float((f[2] - 128).mean()) for f in a[:12]]
    # the whole shot is red (every frame, not only the hinted one); it was not before
    assert min(cr) > 20 and max(abs(v) for v in cr_plain) < min(cr) - 10
    assert max(cr) - min(cr) < 6  # carried through the shot without flicker


def test_hints_correct_a_picked_shot_and_change_the_job_key(
    models: Path, film: Path, tmp_path: Path
) -> None:
    shots = [Shot(0, 12, 6), Shot(12, 24, 18)]
    bins = np.full((2, 28, 28), 16, np.uint8)
    bins[0] = 22  # a blue pick: Cb well above grey
    hints = Hints(points=(Point(3, 40, 40, RED),))
    outs = []
    for h in (None, hints):
        proj = Project.new(film, shots=shots)
        proj.set_pick(0, Pick(seed=1, temperature=1.0, index=0, chroma=bins, locked=True))
        out = tmp_path / f"{'h' if h else 'p'}.mkv"
        pipeline.restore(film, out, codec="ffv1", stages=[_stage(models, h)], project=proj)
        outs.append(_planes(out))

    def cr(frames: list[np.ndarray], rows: slice, cols: slice) -> float:
        return float(np.mean([(f[2][rows, cols] - 128).mean() for f in frames[:12]]))

    near = (slice(32, 48), slice(32, 48))  # round the hint at (40, 40) of the 96 x 64 frame
    assert cr(outs[1], *near) > cr(outs[0], *near) + 20  # the hint wins where it disagrees
    # and its correction fades beyond it: the whole frame moves less than its neighbourhood
    whole = (slice(None), slice(None))
    assert cr(outs[1], *whole) - cr(outs[0], *whole) < cr(outs[1], *near) - cr(outs[0], *near)
    assert _stage(models, hints).key != _stage(models, None).key
    other = Hints(points=(Point(3, 41, 40, RED),))
    assert _stage(models, hints).key != _stage(models, other).key


def test_hints_outside_the_film_are_refused_before_anything_is_written(
    models: Path, film: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.mkv"
    for bad, words in (
        (Hints(points=(Point(0, 200, 10, RED),)), "outside the 96x64 frame"),
        (Hints(points=(Point(30, 10, 10, RED),)), "on frame 30, but the film has 24"),
    ):
        with pytest.raises(BadInputError, match=words):
            pipeline.restore(film, out, codec="ffv1", stages=[_stage(models, bad)])
        assert not out.exists()


def test_the_project_keeps_the_hints(film: Path, tmp_path: Path) -> None:
    proj = Project.new(film, shots=[Shot(0, 24, 5)])
    before = proj.digest()
    assert "hints" not in proj.to_dict()  # a project without hints reads as it always did
    proj.hints = Hints(strokes=(Stroke(2, ((1.0, 2.0), (30.0, 40.0)), 5.0, BLUE),))
    proj.save(tmp_path / "p.panchro")
    again = Project.load(tmp_path / "p.panchro")
    assert again.hints == proj.hints and again.digest() == proj.digest() != before
    doc = json.loads((tmp_path / "p.panchro").read_text())
    doc["hints"]["strokes"][0]["points"][0] = [500, 2]
    (tmp_path / "bad.panchro").write_text(json.dumps(doc))
    with pytest.raises(BadInputError, match="stroke 1 at .500, 2. lies outside"):
        Project.load(tmp_path / "bad.panchro")


def _panchro(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from panchro.engine.cli import main

    code = main(list(args))
    return code, capsys.readouterr().err


def test_cli_hints_go_with_colorize_live_in_the_project_and_are_checked(
    models: Path,
    film: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    hints = tmp_path / "h.json"
    hints.write_text(json.dumps(Hints(points=(Point(6, 40, 40, RED),)).to_json()))
    out = tmp_path / "out.mkv"
    code, err = _panchro("restore", str(film), str(out), "--hints", str(hints), capsys=capsys)
    assert code != 0 and "add --colorize" in err and not out.exists()
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "points": [{"frame": 0, "x": 999, "y": 1, "rgb": [1,2,3]}]}')
    code, err = _panchro(
        "restore", str(film), str(out), "--colorize", "--hints", str(bad), capsys=capsys
    )
    assert code != 0 and "outside the 96x64 frame" in err and not out.exists()
    empty = tmp_path / "empty.json"
    empty.write_text('{"version": 1}')
    code, err = _panchro(
        "restore", str(film), str(tmp_path / "e.mkv"), "--colorize", "--codec", "ffv1", "-q",
        "--hints", str(empty), capsys=capsys,
    )  # fmt: skip
    assert code == 0 and "empty.json holds no points or strokes" in err, err
    proj = tmp_path / "film.panchro"
    code, err = _panchro(
        "restore", str(film), str(out), "--colorize", "--codec", "ffv1", "-q",
        "--hints", str(hints), "--project", str(proj), capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    assert Project.load(proj).hints.points == (Point(6, 40.0, 40.0, RED),)
    # the project's hints are used again without --hints: the same frames
    out2 = tmp_path / "again.mkv"
    code, err = _panchro(
        "restore", str(film), str(out2), "--colorize", "--codec", "ffv1", "-q",
        "--project", str(proj), capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    assert all(np.array_equal(x, y) for x, y in zip(_planes(out), _planes(out2), strict=True))


def test_a_stage_kept_across_hint_edits_answers_as_a_new_one_would(
    models: Path, film: Path, tmp_path: Path
) -> None:
    """The hint previews keep one colour stage and reuse its key-frame results; every answer
    must still be what a stage built for that request gives, whatever came before it."""
    shot = Shot(0, 12, 6)
    bins = np.full((2, 28, 28), 16, np.uint8)
    bins[0] = 22
    blue = Pick(seed=1, temperature=1.0, index=0, chroma=bins, locked=True)
    first = Hints(points=(Point(6, 40, 40, RED),))
    more = Hints(points=(Point(6, 40, 40, RED), Point(6, 80, 20, BLUE)))
    edits = [(first, None), (more, None), (first, blue), (more, blue), (first, None), (more, blue)]
    kept = _stage(models, None)
    path = tmp_path / "film.mp4"
    path.write_bytes(film.read_bytes())

    def after(stage: ColorizeStage, path: Path, hints: Hints, pick: Pick | None) -> np.ndarray:
        stage.hints = hints
        shown = frame_preview.preview_frame(path, 6, [stage], shot=shot, pick=pick, context=0)
        return shown.after

    for hints, pick in edits:
        fresh = after(_stage(models, None), path, hints, pick)
        assert np.array_equal(after(kept, path, hints, pick), fresh)
    assert len(kept._kept) <= 8  # a few key-frame results, not one per edit forever
    # the same path with other pictures in it is another film: nothing kept is used for it
    before = after(kept, path, more, blue)
    make_video(path, frames=24, size=(96, 64), cuts=(12,), pattern="bars", audio=False)
    fresh = after(_stage(models, None), path, more, blue)
    assert not np.array_equal(fresh, before)
    assert np.array_equal(after(kept, path, more, blue), fresh)


def test_each_hinted_pixel_gets_the_colour_it_was_given(models: Path, tmp_path: Path) -> None:
    """The issue's promise: a hint's own pixel gets its colour, within 2 CIEDE2000 units, when
    the colour is one the pixel can have (the original's colour there: the luma is kept)."""
    from panchro.engine.imaging.metrics import ciede2000, srgb_to_lab

    colours = [(170, 60, 50), (60, 120, 190), (90, 150, 70), (200, 180, 90), (120, 80, 150)]
    rgb = np.zeros((64, 100, 3), np.uint8)
    for k, c in enumerate(colours):
        rgb[:, k * 20 : (k + 1) * 20] = c  # five bands, one colour each
    grey = np.clip(rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114]) + 0.5, 0, 255)
    src = png(tmp_path / "grey.png", grey.astype(np.uint8))
    places = [(k * 20 + 10, 20 + 5 * k) for k in range(len(colours))]
    hints = Hints(points=tuple(Point(0, x, y, colours[k]) for k, (x, y) in enumerate(places)))
    out = tmp_path / "colour.png"
    restore_picture(src, out, stages=[_stage(models, hints)])
    got = media.read_picture(out).pixels
    for k, (x, y) in enumerate(places):
        de = ciede2000(srgb_to_lab(got[y, x][None]), srgb_to_lab(np.array([colours[k]], np.uint8)))
        assert float(de[0]) < 2.0, (colours[k], tuple(got[y, x]), float(de[0]))


def test_cli_refuses_hints_made_for_another_films_frames(
    film: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hints = tmp_path / "sized.json"
    hints.write_text(
        json.dumps(
            {
                "version": 1,
                "frame_size": [1920, 1080],
                "points": [{"frame": 0, "x": 10, "y": 10, "rgb": list(RED)}],
            }
        )  # fmt: skip
    )
    out = tmp_path / "out.mp4"
    code, err = _panchro("restore", str(film), str(out), "--colorize", "--hints", str(hints),
                         capsys=capsys)  # fmt: skip
    assert code != 0 and not out.exists()
    assert "made for 1920x1080 frames, but this film's are 96x64" in err and "sized.json" in err


def test_a_pictures_software_tag_says_where_its_colours_came_from(models: Path) -> None:
    """A carried or a picture's pick is no drawn mode: the tag names where the colours came
    from, and hints laid over a pick are said with it, not in its place."""
    from panchro.engine.restore.picture import describe_stages

    bins = np.full((2, 28, 28), 16, np.uint8)
    carried = Pick(seed=0, temperature=0.0, index=0, chroma=bins, locked=True,
                   source="carried", name="photo0.png")  # fmt: skip
    hints = Hints(points=(Point(0, 20, 30, RED),))
    said = describe_stages([_stage(models, hints)], carried)
    assert said == "colorized (colours carried from photo0.png), with 1 colour hint"
    drawn = Pick(seed=3, temperature=0.9, index=1, chroma=bins, locked=True, source="user")
    assert describe_stages([_stage(models, None)], drawn) == (
        "colorized (colour mode 2 of seed 3, picked)"
    )
    picture = Pick(seed=0, temperature=0.0, index=0, chroma=bins, locked=True,
                   source="reference", name="1950s street.jpg")  # fmt: skip
    assert "the colours of the picture 1950s street.jpg" in describe_stages(
        [_stage(models, None)], picture
    )
    assert Pick.from_dict(carried.to_dict(), "pick").name == "photo0.png"  # kept by a project
