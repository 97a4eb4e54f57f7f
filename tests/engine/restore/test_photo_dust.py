"""A photograph's dust (`--dust` on a picture or an album; `restore.dust`): found by the speck
finder, since a picture has no frames either side, and filled from what is round it; a film's
shot of one or two frames the same way; missing or untrained weights said plainly.

What the network finds is its own matter (model card, `panchro eval specks`): here the finder
is replaced by one that finds the dirt the test laid, so what is checked is the stage."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from panchro.engine.album_project import AlbumSettings
from panchro.engine.errors import ModelMissingError
from panchro.engine.inference import specks
from panchro.engine.models import weights
from panchro.engine.models.specks import build, speck_config
from panchro.engine.project import Settings
from panchro.engine.restore.album import restore_album
from panchro.engine.restore.batch import FrameBatch
from panchro.engine.restore.dust import DustStage
from panchro.engine.restore.picture import restore_picture
from panchro.engine.restore.stages import build_stages
from panchro.engine.shots import Shot
from tests.makemodels import save_small_refiner, save_small_speck_finder

SIZE = (96, 80)  # width, height
BLOTS = [(20, 30), (50, 60), (70, 15)]  # (y, x) of 3 x 3 dark blots


def _clean() -> np.ndarray:
    h, w = SIZE[1], SIZE[0]
    yy, xx = np.mgrid[0:h, 0:w]
    return np.clip(120 + 40 * np.sin(xx / 9.0) + 30 * np.cos(yy / 7.0), 0, 255).astype(np.uint8)


def _dirt() -> np.ndarray:
    mask = np.zeros((SIZE[1], SIZE[0]), bool)
    for y, x in BLOTS:
        mask[y - 1 : y + 2, x - 1 : x + 2] = True
    return mask


@pytest.fixture(scope="module")
def finder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a speck finder trained for two steps on made pictures: real weights,
    honestly carded, whose answers the tests replace."""
    folder = tmp_path_factory.mktemp("speck_models")
    save_small_speck_finder(folder)
    return folder


@pytest.fixture
def laid_dirt_found(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The finder replaced by one that finds where `_dirt` lies; the strengths it was asked
    with are listed."""
    asked: list[float] = []

    def found(model: object, y: torch.Tensor, strength: float = 1.0) -> torch.Tensor:
        asked.append(strength)
        return torch.from_numpy(_dirt()) if tuple(y.shape) == (SIZE[1], SIZE[0]) else (
            torch.zeros(y.shape, dtype=torch.bool)
        )  # fmt: skip

    monkeypatch.setattr(specks, "find_specks", found)
    return asked


def _dusty_png(path: Path) -> Path:
    pixels = _clean()
    pixels[_dirt()] = 5
    Image.fromarray(pixels).save(path)
    return path


def test_a_photographs_dirt_is_filled_from_round_it(
    finder_dir: Path, laid_dirt_found: list[float], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(finder_dir))
    src = _dusty_png(tmp_path / "dusty.png")
    out = tmp_path / "out.png"
    summary = restore_picture(src, out, stages=build_stages(Settings(dust=0.6)))
    got = np.asarray(Image.open(out)).astype(int)
    clean, dirt = _clean().astype(int), _dirt()
    assert laid_dirt_found == [0.6]
    assert np.abs(got - clean)[dirt].max() < 25  # was 115 and more
    assert np.abs(got - clean)[~dirt].max() <= 1  # the rest as it was
    assert f"dust: specks filled on {_dirt().mean():.3%} of the picture" in summary.notes
    assert Image.open(src).getpixel((30, 20)) == 5  # the source untouched
    assert "dust filled (speck finder, strength 0.6)" in Image.open(out).text["Software"]


def test_a_cut_border_is_no_part_of_the_share_and_the_tag_says_how_it_was_read(
    finder_dir: Path, laid_dirt_found: list[float], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(finder_dir))
    src = _dusty_png(tmp_path / "dusty.png")
    out = tmp_path / "out.png"
    cut = (0, 0, 36, 0)  # the blot at x 60 lies in the border cut off
    summary = restore_picture(
        src, out, stages=build_stages(Settings(dust=1.0)), crop=cut, levels=(0.0, 0.9)
    )
    inside = _dirt()[:, : SIZE[0] - 36]
    assert f"dust: specks filled on {inside.sum() / inside.size:.3%} of the picture" in (
        summary.notes
    )
    software = Image.open(out).text["Software"]
    assert "border cut (0, 0, 36, 0 px)" in software
    assert "levels stretched (black at 0 %, white at 90 % of the range)" in software
    assert software.index("levels") < software.index("dust filled")  # in the order done
    assert "crop" not in software  # the cut said once, in words


def test_an_albums_pictures_have_their_dirt_filled(
    finder_dir: Path, laid_dirt_found: list[float], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(finder_dir))
    box = tmp_path / "box"
    box.mkdir()
    _dusty_png(box / "a.png")
    settings = AlbumSettings(dust=1.0)
    assert AlbumSettings.from_dict(settings.to_dict()) == settings
    assert "dust" not in AlbumSettings().to_dict()  # off: not written, as before
    Image.fromarray(_clean()[:, :90].copy()).save(box / "b.png")  # nothing found on these
    Image.fromarray(_clean()[:40].copy()).save(box / "c.png")
    done = restore_album([box], tmp_path / "out", stages=build_stages(settings.restoration()))
    got = np.asarray(Image.open(tmp_path / "out" / "a.png")).astype(int)
    assert np.abs(got - _clean().astype(int))[_dirt()].max() < 25
    # said once for the album, not a line a picture
    share = _dirt().sum() / (_dirt().size + _clean()[:, :90].size + _clean()[:40].size)
    assert [n for n in done.notes if "dust" in n] == [
        f"dust: specks filled on 1 of 3 pictures ({share:.3%} of their pixels)"
    ]


def test_a_photograph_without_the_finder_is_refused_and_says_why(
    finder_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _dusty_png(tmp_path / "dusty.png")
    stages = build_stages(Settings(dust=1.0))  # the tests' models folder is empty
    with pytest.raises(ModelMissingError, match="needs the speck_finder model.*not there"):
        restore_picture(src, tmp_path / "a.png", stages=stages)
    assert not (tmp_path / "a.png").exists()
    torch.manual_seed(0)
    config = speck_config("small")
    untrained = tmp_path / "untrained.safetensors"
    card = {"trained": False, "scale": "cpu-reduced", "steps": 0, "data": "none (test)"}
    weights.save_model(build(config), config, untrained, card=card)
    with pytest.raises(ModelMissingError, match="UNTRAINED"):
        restore_picture(src, tmp_path / "b.png", stages=[DustStage(specks_path=str(untrained))])
    # another model's weights under the name: said so, not a crash in the network
    other = tmp_path / "other.safetensors"
    save_small_refiner(tmp_path / "ref")
    other.write_bytes((tmp_path / "ref" / "refiner.safetensors").read_bytes())
    with pytest.raises(ModelMissingError, match="refiner weights, not speck_finder"):
        restore_picture(src, tmp_path / "c.png", stages=[DustStage(specks_path=str(other))])
    # an album is refused before its folder is made, not picture after picture
    box = tmp_path / "box"
    box.mkdir()
    _dusty_png(box / "a.png")
    with pytest.raises(ModelMissingError, match="needs the speck_finder model"):
        restore_album([box], tmp_path / "album_out", stages=stages)
    assert not (tmp_path / "album_out").exists()


def _batch(index: int) -> FrameBatch:
    y = _clean().astype(np.float32)[None] / 255
    y[0][_dirt()] = 0.02
    return FrameBatch(
        y=y, cbcr=np.zeros((1, 2, *y.shape[1:]), np.float32), indices=np.array([index]),
        pts=np.array([index]), time_base=Fraction(1, 24), shot=0, matrix="bt709",
    )  # fmt: skip


def test_a_films_shot_of_one_frame_is_looked_at_as_a_photograph(
    finder_dir: Path, laid_dirt_found: list[float]
) -> None:
    film = SimpleNamespace(info=SimpleNamespace(kind="video"))
    missing = DustStage(specks_path=str(finder_dir / "none.safetensors"))
    missing.begin_shot(3, Shot(7, 8, 7), None, film)  # type: ignore[arg-type]
    kept = missing.process(_batch(7))
    assert np.array_equal(kept.y, _batch(7).y)  # no finder: left as it is, and said
    assert any("shots of one or two frames left as they are" in n for n in missing.notes)
    stage = DustStage(specks_path=str(finder_dir / "speck_finder.safetensors"))
    stage.begin_shot(3, Shot(7, 8, 7), None, film)  # type: ignore[arg-type]
    filled = stage.process(_batch(7))
    assert np.abs(filled.y[0] - _clean() / 255)[_dirt()].max() < 0.1
    assert stage.run_notes == [
        f"dust: specks filled on 1 of 1 frames ({_dirt().mean():.3%} of their pixels)"
    ]
    assert stage.key != missing.key and "specks=speck_finder.safetensors" in stage.key
    # a shot long enough is judged against its neighbours, never by the finder
    laid_dirt_found.clear()
    stage.begin_shot(0, Shot(0, 24, 12), None, film)  # type: ignore[arg-type]
    stage.process(_batch(12))
    assert laid_dirt_found == []


def test_a_films_cut_border_is_no_part_of_its_share(
    finder_dir: Path, laid_dirt_found: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(finder_dir))
    film = SimpleNamespace(info=SimpleNamespace(kind="video"))
    stages = build_stages(Settings(dust=1.0, crop=(0, 0, 36, 0)))
    stage = next(st for st in stages if isinstance(st, DustStage))
    stage.begin_shot(0, Shot(7, 8, 7), None, film)  # type: ignore[arg-type]
    filled = stage.process(_batch(7))
    assert np.abs(filled.y[0] - _clean() / 255)[_dirt()].max() < 0.1  # the border's too
    inside = _dirt()[:, : SIZE[0] - 36]
    assert stage.run_notes == [
        f"dust: specks filled on 1 of 1 frames ({inside.mean():.3%} of their pixels)"
    ]
