"""The colours' strength (`Settings.colour_strength`): each shot's chroma multiplied by it,
within what chroma can be, the luma untouched; kept by the project, given on the command
line, and part of what a resumed job must match."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.project import Project, Settings, flat_pick
from panchro.engine.restore import pipeline
from panchro.engine.restore.stages import build_stages
from panchro.engine.shots import Shot
from tests.makemedia import make_video

AMBER = (-0.15, 0.12)
NEUTRAL = 128 * 256  # limited-range chroma's zero at 16 bits


def _planes(path: Path) -> np.ndarray:
    with media.open_source(path) as src:
        return np.stack([f.image for f in src.frames(0, 12, fmt="yuv444p16")]).astype(float)


@pytest.fixture(scope="module")
def tinted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Project]:
    here = tmp_path_factory.mktemp("strength")
    film = make_video(here / "film.mkv", frames=12, codec="ffv1", audio=False)
    project = Project.new(film, shots=[Shot(0, 12, 6)])
    project.set_pick(0, flat_pick("tint", *AMBER))
    return film, project


def _restore(film: Path, project: Project, out: Path, strength: float) -> np.ndarray:
    settings = Settings(colorize=True, colour_strength=strength)
    stages = build_stages(settings, all_picked=True)
    pipeline.restore(film, out, codec="ffv1", bit_depth=16, stages=stages, project=project)
    return _planes(out)


def test_the_chroma_scales_and_the_luma_stays(tmp_path: Path, tinted) -> None:  # noqa: ANN001
    film, project = tinted
    full = _restore(film, project, tmp_path / "full.mkv", 1.0)
    half = _restore(film, project, tmp_path / "half.mkv", 0.5)
    none = _restore(film, project, tmp_path / "none.mkv", 0.0)
    assert np.array_equal(half[..., 0], full[..., 0]) and np.array_equal(none[..., 0], full[..., 0])
    lit = np.abs(full[..., 1] - NEUTRAL) > 2000  # where the tint is strong
    ratio = (half[..., 1:][lit] - NEUTRAL) / (full[..., 1:][lit] - NEUTRAL)
    assert np.allclose(ratio, 0.5, atol=0.01)
    assert np.abs(none[..., 1:] - NEUTRAL).max() <= 1  # no colour left: grey
    double = _restore(film, project, tmp_path / "double.mkv", 2.0)
    assert np.abs(double[..., 1:] - NEUTRAL).max() <= 0.5 * 224 * 256 + 256  # within chroma


def test_kept_by_the_project_and_the_command_line(
    tmp_path: Path, tinted, capsys: pytest.CaptureFixture[str]
) -> None:  # noqa: ANN001
    from panchro.engine.cli import main

    film, project = tinted
    assert Settings.from_dict(Settings(colour_strength=0.6).to_dict()).colour_strength == 0.6
    assert "colour_strength" not in Settings().to_dict()  # as drawn: not written
    with pytest.raises(ValueError, match="colour_strength must be within 0..2"):
        Settings(colour_strength=2.5)
    path = project.save(tmp_path / "film.panchro")
    out = tmp_path / "cli.mkv"
    args = ["restore", str(film), str(out), "--project", str(path), "--codec", "ffv1",
            "--bit-depth", "16", "--colorize"]  # fmt: skip
    assert main([*args, "--colour-strength", "0.5"]) == 0
    half = _planes(out)
    record = (tmp_path / "cli.mkv.restoration.md").read_text()
    assert "colorize, colours at strength 0.5: colour laid on the film's own grey" in record
    full = _restore(film, project, tmp_path / "full.mkv", 1.0)
    lit = np.abs(full[..., 1] - NEUTRAL) > 2000
    assert np.allclose(
        (half[..., 1:][lit] - NEUTRAL) / (full[..., 1:][lit] - NEUTRAL), 0.5, atol=0.01
    )
    assert main([*args, "--colour-strength", "3"]) != 0
    assert "--colour-strength must be within 0..2" in capsys.readouterr().err


def test_an_albums_settings_keep_it() -> None:
    from panchro.engine.album_project import AlbumSettings

    kept = AlbumSettings.from_dict(AlbumSettings(colorize=True, colour_strength=1.4).to_dict())
    assert kept.colour_strength == 1.4 and kept.restoration().colour_strength == 1.4
    assert "colour_strength" not in AlbumSettings().to_dict()
    with pytest.raises(ValueError, match="colour_strength"):
        AlbumSettings(colour_strength=-1.0)
