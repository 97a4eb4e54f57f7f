"""A film's shot in colour already keeps its own colours unasked (`restore.own`), as a photo
in colour does: a colour insert in a black-and-white film is not recoloured; a tinted shot
is colorized and said to be; `recolour` colours them anew; the project and the record say
what was done."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.project import Project, Settings, own_pick
from panchro.engine.restore import own, pipeline
from panchro.engine.restore.stages import build_stages
from panchro.engine.shots import Shot
from tests.makemedia import make_video
from tests.makephotos import photo_pixels, snapshot_pixels

SIZE = (128, 96)
NEUTRAL = 128 * 256  # limited-range chroma's zero at 16 bits


def _film(path: Path) -> Path:
    """Three shots of 8 frames: black and white, in colour, and a print yellowed towards
    one edge and foxed (colours of one hue its grey does not explain)."""
    grey = np.repeat(photo_pixels(SIZE)[..., None], 3, axis=-1)
    colour = snapshot_pixels(SIZE)
    stained = grey.astype(np.float64)
    stained[..., 2] -= 60 * (np.arange(SIZE[0]) / (SIZE[0] - 1.0)) ** 2
    stained[20:30, 30:40] *= (0.85, 0.7, 0.55)
    stained = np.clip(stained, 0, 255).astype(np.uint8)
    pictures = [grey] * 8 + [colour] * 8 + [stained] * 8
    return make_video(path, frames=24, size=SIZE, codec="ffv1", audio=False, counter=False,
                      pictures=pictures)  # fmt: skip


def _planes(path: Path) -> np.ndarray:
    with media.open_source(path) as src:
        return np.stack([f.image for f in src.frames(0, 24, fmt="yuv444p16")]).astype(float)


@pytest.fixture(autouse=True)
def _models(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))  # small and untrained: it draws


def _restore(film: Path, out: Path, project: Project, *, recolour: bool = False) -> list[str]:
    stages = build_stages(Settings(colorize=True), recolour=recolour)
    summary = pipeline.restore(film, out, codec="ffv1", bit_depth=16, stages=stages,
                               project=project)  # fmt: skip
    return list(summary.notes)


def test_a_shot_in_colour_keeps_its_colours_and_the_others_are_colorized(
    tmp_path: Path,
) -> None:
    film = _film(tmp_path / "film.mkv")
    project = Project.new(film, shots=[Shot(0, 8, 4), Shot(8, 16, 12), Shot(16, 24, 20)])
    project.path = tmp_path / "film.panchro"
    notes = _restore(film, tmp_path / "out.mkv", project)
    assert f"{own.OWN_SHOTS} 2 (frames 9–16)" in notes
    assert f"{own.ONE_HUE_SHOTS} 3 (frames 17–24)" in notes
    coded, given = _planes(tmp_path / "out.mkv"), _planes(film)
    assert np.abs(coded[8:16] - given[8:16]).max() <= 257  # its own colours, as decoded
    assert np.abs(coded[..., 0] - given[..., 0]).max() <= 257  # every luma kept
    # the black-and-white and the stained shot drawn by the model, not kept
    assert np.abs(coded[:8, ..., 1:] - given[:8, ..., 1:]).mean() > 100
    assert np.abs(coded[16:, ..., 1:] - given[16:, ..., 1:]).mean() > 100
    saved = Project.load(project.path)
    sources = [p.source if p is not None else None for p in saved.picks]
    assert sources == ["auto", "own", "auto"] and not saved.picks[1].locked
    record = Path(str(tmp_path / "out.mkv") + ".restoration.md").read_text()
    assert "found in colour, no person chose" in record

    # Run again: the recorded pick keeps them, and says so; --recolour colours the shot anew,
    # and the project then holds what was done
    notes = _restore(film, tmp_path / "again.mkv", saved)
    assert np.array_equal(_planes(tmp_path / "again.mkv"), coded)
    assert f"{own.OWN_SHOTS} 2 (frames 9–16)" in notes
    notes = _restore(film, tmp_path / "anew.mkv", Project.load(project.path), recolour=True)
    assert f"{own.RECOLOURED_SHOTS} 2 (frames 9–16)" in notes and not any(
        n.startswith(own.OWN_SHOTS) for n in notes
    )
    anew = _planes(tmp_path / "anew.mkv")
    assert np.abs(anew[8:16, ..., 1:] - given[8:16, ..., 1:]).mean() > 100
    assert Project.load(project.path).picks[1].source == "auto"
    # and a run not told to recolour keeps them again: the machine's pick is judged anew
    notes = _restore(film, tmp_path / "back.mkv", Project.load(project.path))
    assert f"{own.OWN_SHOTS} 2 (frames 9–16)" in notes
    assert np.array_equal(_planes(tmp_path / "back.mkv"), coded)
    assert Project.load(project.path).picks[1].source == "own"


def test_a_persons_own_pick_stays_when_recoloured_and_a_pick_beats_the_judgement(
    tmp_path: Path,
) -> None:
    """A person's "keep its own colours" (locked) is not a finding `recolour` undoes; a
    person's pick on a colour shot colours it by the pick."""
    from panchro.engine.project import flat_pick

    film = _film(tmp_path / "film.mkv")
    project = Project.new(film, shots=[Shot(0, 8, 4), Shot(8, 16, 12), Shot(16, 24, 20)])
    project.set_pick(0, flat_pick("grey"))
    project.set_pick(1, own_pick(locked=True))
    project.set_pick(2, flat_pick("grey"))
    notes = _restore(film, tmp_path / "out.mkv", project, recolour=True)
    coded, given = _planes(tmp_path / "out.mkv"), _planes(film)
    assert np.abs(coded[8:16] - given[8:16]).max() <= 257
    assert not any(n.startswith((own.OWN_SHOTS, own.RECOLOURED_SHOTS)) for n in notes)
    project.set_pick(1, flat_pick("grey"))
    _restore(film, tmp_path / "grey.mkv", project)
    assert np.abs(_planes(tmp_path / "grey.mkv")[..., 1:] - NEUTRAL).max() <= 1


def test_notes_list_the_shots_found_in_their_places() -> None:
    notes = ["before"]
    found = own.ShotColours(notes)
    found.say(own.OWN_SHOTS, 7, Shot(60, 96, 70))
    found.say(own.ONE_HUE_SHOTS, 2, Shot(10, 20, 15))
    found.say(own.OWN_SHOTS, 3, Shot(20, 30, 25))
    found.say(own.OWN_SHOTS, 3, Shot(20, 30, 25))  # a shot begun twice (a preview, then the run)
    assert notes == [
        "before",
        f"{own.OWN_SHOTS}s 3 (frames 21–30) and 7 (frames 61–96)",
        f"{own.ONE_HUE_SHOTS} 2 (frames 11–20)",
    ]
    for n in range(20, 40):
        found.say(own.OWN_SHOTS, n, Shot(n * 100, n * 100 + 10, n * 100))
    listed = ", ".join(f"{n} (frames {n * 100 + 1}–{n * 100 + 10})" for n in range(20, 30))
    assert notes[1] == (
        f"{own.OWN_SHOTS}s 3 (frames 21–30), 7 (frames 61–96), {listed}, … (22 shots)"
    )


@pytest.mark.parametrize("crop", [None, (16, 0, 16, 0)])
def test_a_shot_is_judged_inside_its_crop(tmp_path: Path, crop: tuple | None) -> None:
    """Coloured borders round a black-and-white picture (a scan's sprocket edge) do not
    make it a colour shot once the picture is cropped."""
    grey = np.repeat(photo_pixels(SIZE)[..., None], 3, axis=-1)
    framed = grey.copy()
    framed[:, :16] = (200, 40, 40)
    framed[:, -16:] = (40, 60, 200)
    film = make_video(tmp_path / "framed.mkv", frames=4, size=SIZE, codec="ffv1", audio=False,
                      counter=False, pictures=[framed] * 4)  # fmt: skip
    from panchro.engine.imaging import color

    with media.open_source(film) as src:
        figures = own.frame_figures(src, 1, crop)
    assert color.in_colour_by(figures) == (crop is None)
    # and a colour picture between grey borders is in colour, cropped or not
    colour = np.repeat(photo_pixels(SIZE)[..., None], 3, axis=-1)
    colour[:, 16:-16] = snapshot_pixels((SIZE[0] - 32, SIZE[1]))
    film = make_video(tmp_path / "inset.mkv", frames=4, size=SIZE, codec="ffv1", audio=False,
                      counter=False, pictures=[colour] * 4)  # fmt: skip
    with media.open_source(film) as src:
        assert color.in_colour_by(own.frame_figures(src, 1, crop))


def test_hints_on_a_shot_found_in_colour_correct_its_own_colours(tmp_path: Path) -> None:
    """No pick, a person's hint on the colour shot: it keeps its own colours, the hint's
    correction laid over them (not the hints alone over grey, as on a black-and-white shot)."""
    from panchro.engine.imaging.hints import parse_hints

    film = _film(tmp_path / "film.mkv")
    hints = parse_hints({"version": 1, "points": [{"frame": 12, "x": 20, "y": 48,
                                                   "rgb": [255, 255, 0]}]})  # fmt: skip
    stages = build_stages(Settings(colorize=True), hints=hints)
    project = Project.new(film, shots=[Shot(0, 8, 4), Shot(8, 16, 12), Shot(16, 24, 20)])
    summary = pipeline.restore(film, tmp_path / "out.mkv", codec="ffv1", bit_depth=16,
                               stages=stages, project=project)  # fmt: skip
    assert f"{own.OWN_SHOTS} 2 (frames 9–16)" in summary.notes
    coded, given = _planes(tmp_path / "out.mkv"), _planes(film)
    cb = coded[8:16, 48, 20, 1] - NEUTRAL
    assert (cb < given[8:16, 48, 20, 1] - NEUTRAL - 2000).all()  # yellow: Cb pulled down
    record = Path(str(tmp_path / "out.mkv") + ".restoration.md").read_text()
    assert "found in colour, no person chose, with a person's colour hints over them" in record
    assert np.abs(coded[8:16, 48, 120] - given[8:16, 48, 120]).max() <= 257  # far: its own


def test_hints_over_own_colours_inside_a_crop(tmp_path: Path) -> None:
    """With a crop, the own colours the hints are laid over are read inside it, at the size
    the key frame's luma is (an odd crop on an odd frame lines up), and the borders stay."""
    from panchro.engine.imaging.hints import parse_hints
    from panchro.engine.restore.crop import CropStage

    film = _film(tmp_path / "film.mkv")
    hints = parse_hints({"version": 1, "points": [{"frame": 12, "x": 30, "y": 47,
                                                   "rgb": [255, 255, 0]}]})  # fmt: skip
    crop = (13, 7, 9, 5)
    stages = [*build_stages(Settings(colorize=True), hints=hints), CropStage(crop)]
    stages[0].crop = crop
    project = Project.new(film, shots=[Shot(0, 8, 4), Shot(8, 16, 12), Shot(16, 24, 20)])
    summary = pipeline.restore(film, tmp_path / "out.mkv", codec="ffv1", bit_depth=16,
                               stages=stages, project=project)  # fmt: skip
    assert f"{own.OWN_SHOTS} 2 (frames 9–16)" in summary.notes
    coded, given = _planes(tmp_path / "out.mkv"), _planes(film)
    left, top = crop[0], crop[1]
    at = coded[8:16, 47 - top, 30 - left, 1] - NEUTRAL
    assert (at < given[8:16, 47, 30, 1] - NEUTRAL - 2000).all()  # yellow where the point is
    far = coded[8:16, 40, 100 - left] - given[8:16, 40 + top, 100]
    assert np.abs(far).max() <= 257
