"""Albums through a real engine process (small, untrained colorizer and refiner): opening a
folder or pictures, previews upright, colour modes of one picture, before | after, one picture
exported, and the whole album exported with picks, cancelled and resumed, with the refusals."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from panchro.engine import media
from panchro.engine.project import Pick
from panchro.engine.restore.album import picture_seed, restore_album
from panchro.engine.restore.stages import ColorizeStage, auto_seed
from panchro.engine.service.client import EngineClient, EngineError
from tests.makemodels import engine_with
from tests.makephotos import camera_jpeg, photo_pixels, png, snapshot_pixels

TIMEOUT = 120.0


@pytest.fixture(scope="module")
def engine(models: Path) -> Iterator[EngineClient]:
    client = engine_with(models, models / "engine.log")
    yield client
    assert client.close(timeout=30) == 0


def _box(folder: Path) -> Path:
    """Four grey pictures (one in a sub-folder, one a camera JPEG turned by its EXIF), a JPEG
    cut short and a letter named .jpg, and a text file."""
    (folder / "1950").mkdir(parents=True)
    png(folder / "a.png", photo_pixels((48, 32), seed=1))
    png(folder / "b.png", photo_pixels((40, 40), seed=2))
    camera_jpeg(folder / "1950" / "lake.jpg", size=(48, 32))  # EXIF orientation 6
    png(folder / "wide.png", photo_pixels((64, 24), seed=3))
    whole = camera_jpeg(folder.parent / "whole.jpg", size=(400, 300))
    (folder / "torn.jpg").write_bytes(whole.read_bytes()[:3000])
    (folder / "letter.jpg").write_text("Dear Anne, here are the photos")
    (folder / "notes.txt").write_text("from the attic")
    return folder


def _open(engine: EngineClient, *paths: Path, **params: Any) -> dict[str, Any]:
    return engine.request("open_album", TIMEOUT, paths=[str(p) for p in paths], **params).data


def _pick(index: int = 2, seed: int = 5, cb: int = 8, cr: int = 24) -> Pick:
    chroma = np.zeros((2, 28, 28), np.uint8)
    chroma[0], chroma[1] = cb, cr
    return Pick(seed=seed, temperature=1.0, index=index, chroma=chroma, source="user")


def _colorize(models: Path) -> ColorizeStage:
    return ColorizeStage(
        device="cpu",
        refiner_path=str(models / "refiner.safetensors"),
        colorizer_path=str(models / "colorizer.safetensors"),
    )


def test_a_folder_opens_as_an_album_with_each_pictures_header(
    engine: EngineClient, tmp_path: Path
) -> None:
    box = _box(tmp_path / "box")
    progress: list[dict[str, Any]] = []
    data = engine.request("open_album", TIMEOUT, progress.append, paths=[str(box)]).data
    assert data["kind"] == "album" and isinstance(data["album"], int)
    assert "sub-folders" in data["reason"] and "--film" in data["describe"]
    names = [p["name"] for p in data["pictures"]]
    assert names == ["1950/lake.jpg", "a.png", "b.png", "letter.jpg", "torn.jpg", "wide.png"]
    by_name = {p["name"]: p for p in data["pictures"]}
    assert (by_name["a.png"]["width"], by_name["a.png"]["height"]) == (48, 32)
    assert by_name["a.png"]["format"] == "PNG" and "error" not in by_name["a.png"]
    assert "cannot be read" in by_name["letter.jpg"]["error"]
    assert "1 file(s) that are not pictures" in data["ignored"]
    assert progress and progress[-1]["done"] == 6 and progress[-1]["stage"] == "album"


def test_numbered_frames_are_a_film_unless_stills(engine: EngineClient, tmp_path: Path) -> None:
    frames = tmp_path / "reel"
    frames.mkdir()
    for n in range(3):
        png(frames / f"f_{n:04d}.png", photo_pixels((32, 24), seed=n))
    data = _open(engine, frames)
    assert data["album"] is None and data["kind"] == "film" and "numbered" in data["reason"]
    forced = _open(engine, frames, stills=True)
    assert forced["kind"] == "album" and forced["forced"] and len(forced["pictures"]) == 3
    # Several files are an album whatever they are; one picture is an album of one.
    files = _open(engine, frames / "f_0000.png", frames / "f_0002.png")
    assert [p["name"] for p in files["pictures"]] == ["f_0000.png", "f_0002.png"]
    one = _open(engine, frames / "f_0001.png")
    assert one["reason"] == "one picture" and len(one["pictures"]) == 1


def test_bad_inputs_are_refused_in_words(engine: EngineClient, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("nothing here")
    with pytest.raises(EngineError) as err:
        _open(engine, empty)
    assert err.value.code == "bad_input" and "contains no pictures" in str(err.value)
    with pytest.raises(EngineError) as err:
        _open(engine, tmp_path / "missing")
    assert err.value.code == "bad_input" and "does not exist" in str(err.value)
    with pytest.raises(EngineError) as err:
        engine.request("open_album", paths=[])
    assert err.value.code == "bad_request"
    with pytest.raises(EngineError) as err:
        engine.request("album_picture", album=999, picture="a.png")
    assert err.value.code == "not_open"


def test_previews_are_upright_and_a_broken_picture_says_why(
    engine: EngineClient, tmp_path: Path
) -> None:
    album = _open(engine, _box(tmp_path / "box"))["album"]
    lake = engine.request("album_picture", album=album, picture="1950/lake.jpg", max_side=64)
    # Stored 48 x 32 with orientation 6: shown (and restored) 32 wide, 48 high.
    assert (lake.data["width"], lake.data["height"]) == (32, 48)
    with Image.open(io.BytesIO(lake.blob)) as im:
        assert im.size == (32, 48) and lake.blob_type == "image/jpeg"
    small = engine.request("album_picture", album=album, picture="wide.png", max_side=64 + 0)
    assert (small.data["preview_width"], small.data["preview_height"]) == (64, 24)
    with pytest.raises(EngineError) as err:
        engine.request("album_picture", album=album, picture="torn.jpg")
    assert err.value.code == "bad_input" and "cut short" in str(err.value)
    with pytest.raises(EngineError) as err:
        engine.request("album_picture", album=album, picture="letter.jpg")
    assert "not a picture" in str(err.value)
    with pytest.raises(EngineError) as err:
        engine.request("album_picture", album=album, picture="nope.png")
    assert err.value.code == "bad_request" and "not in album" in str(err.value)


def test_colour_modes_of_one_picture(engine: EngineClient, tmp_path: Path) -> None:
    album = _open(engine, _box(tmp_path / "box"))["album"]
    reply = engine.request(
        "sample_picture", TIMEOUT, album=album, picture="1950/lake.jpg", k=3, seed=11,
        max_side=96,
    )  # fmt: skip
    data = reply.data
    assert data["k"] == 3 and data["seed"] == 11 and data["trained"] is False
    assert data["picture"] == "1950/lake.jpg" and data["index"] == 0
    first = data["candidates"][0]
    with Image.open(
        io.BytesIO(reply.blob[first["offset"] : first["offset"] + first["length"]])
    ) as im:
        assert im.size == (32, 48)  # upright, as the restore colours it
    again = engine.request(
        "sample_picture", TIMEOUT, album=album, picture="1950/lake.jpg", k=3, seed=11,
        max_side=96,
    ).data  # fmt: skip
    assert [c["chroma"] for c in again["candidates"]] == [c["chroma"] for c in data["candidates"]]
    on_frame_1 = {"version": 1, "points": [{"frame": 1, "x": 1, "y": 1, "rgb": [9, 9, 9]}]}
    with pytest.raises(EngineError) as err:
        engine.request("sample_picture", album=album, picture="a.png", hints=on_frame_1)
    assert err.value.code == "bad_request" and "a picture has frame 0" in str(err.value)


def test_compare_and_one_picture_exported_as_the_album_would(
    engine: EngineClient, models: Path, tmp_path: Path
) -> None:
    box = _box(tmp_path / "box")
    album = _open(engine, box)["album"]
    shown = engine.request(
        "preview_picture", TIMEOUT, album=album, picture="b.png", colorize=True, seed=3,
        max_side=64,
    ).data  # fmt: skip
    assert [i["name"] for i in shown["images"]] == ["before", "after", "luma_diff"]
    assert shown["luma_max_diff"] < 1e-3 and shown["output_size"] == [40, 40]
    for film_only in ("scratches", "stabilize", "deflicker"):  # frames judged together
        with pytest.raises(EngineError) as err:
            engine.request(
                "preview_picture", TIMEOUT, album=album, picture="b.png", **{film_only: 1.0}
            )
        assert f"'{film_only}' works on a film's frames, not a picture" in str(err.value)
    # dust is found on a picture by its look: the speck finder, which the tests do not have
    with pytest.raises(EngineError, match="needs the speck_finder model"):
        engine.request("preview_picture", TIMEOUT, album=album, picture="b.png", dust=1.0)
    with pytest.raises(EngineError, match="pixels are for a film's frames"):
        engine.request("preview_picture", TIMEOUT, album=album, picture="b.png", crop=[2] * 4)
    # No pick: the automatic one, from the picture's own seed, as the album makes it.
    assert shown["seed"] == picture_seed(3, "b.png")
    assert shown["pick"]["source"] == "auto" and shown["pick"]["seed"] == auto_seed(
        shown["seed"], 0
    )
    out = tmp_path / "b_colour.tif"
    summary = engine.request(
        "export_picture", TIMEOUT, album=album, picture="b.png", colorize=True, seed=3,
        output=str(out),
    ).data  # fmt: skip
    assert summary["codec"] == "tiff" and summary["picture"] == "b.png"
    with Image.open(out) as im:
        assert im.format == "TIFF" and im.mode == "RGB"
    whole = restore_album([box], tmp_path / "cli", stages=[_colorize(models)], seed=3)
    assert "b.png" in whole.restored
    np.testing.assert_array_equal(
        media.read_picture(out).pixels, media.read_picture(tmp_path / "cli" / "b.png").pixels
    )
    # A pick is used as given, and says so in the picture's Software tag.
    picked = tmp_path / "b_picked.png"
    engine.request(
        "export_picture", TIMEOUT, album=album, picture="b.png", colorize=True, seed=3,
        output=str(picked), pick=_pick().to_dict(),
    )  # fmt: skip
    with Image.open(picked) as im:
        assert "colour mode 3 of seed 5, picked" in im.getexif()[0x0131]
    assert not np.array_equal(media.read_picture(picked).pixels, media.read_picture(out).pixels)
    # Nothing overwritten: the file exists, the input itself, a picture's own extension.
    for output, words in (
        (out, "exists"),
        (box / "b.png", "is the input"),
        (tmp_path / "b.mp4", "picture"),
    ):
        with pytest.raises(EngineError) as err:
            engine.request(
                "export_picture", TIMEOUT, album=album, picture="b.png", colorize=True,
                output=str(output),
            )  # fmt: skip
        assert words in str(err.value), str(err.value)


def test_the_album_exported_with_picks_and_resumed(
    engine: EngineClient, models: Path, tmp_path: Path
) -> None:
    box = _box(tmp_path / "box")
    album = _open(engine, box)["album"]
    out = tmp_path / "colour"
    progress: list[dict[str, Any]] = []

    def export(**extra: Any) -> dict[str, Any]:
        return engine.request(
            "export_album", TIMEOUT, progress.append, album=album, output=str(out),
            colorize=True, seed=4, **extra,
        ).data  # fmt: skip

    first = export(picks={"a.png": _pick().to_dict(), "b.png": None})
    assert first["restored"] == ["1950/lake.jpg", "a.png", "b.png", "wide.png"]
    assert first["picked"] == ["a.png"]
    assert {f["name"] for f in first["failed"]} == {"letter.jpg", "torn.jpg"}
    assert progress[-1]["done"] == progress[-1]["total"] == 6
    # The pictures without a pick are what the command line makes of them.
    restore_album([box], tmp_path / "cli", stages=[_colorize(models)], seed=4)
    for name in ("b.png", "wide.png", "1950/lake.jpg"):
        np.testing.assert_array_equal(
            media.read_picture(out / name).pixels,
            media.read_picture(tmp_path / "cli" / name).pixels,
        )
    assert not np.array_equal(
        media.read_picture(out / "a.png").pixels,
        media.read_picture(tmp_path / "cli" / "a.png").pixels,
    )
    # Again: nothing redone but the failures; another pick redoes that picture only.
    again = export(picks={"a.png": _pick().to_dict()})
    assert again["restored"] == [] and len(again["skipped"]) == 4
    changed = export(picks={"a.png": _pick(cb=20, cr=10).to_dict(), "wide.png": _pick().to_dict()})
    assert changed["restored"] == ["a.png", "wide.png"] and changed["picked"] == [
        "a.png",
        "wide.png",
    ]
    # Refusals, before any picture is read.
    with pytest.raises(EngineError) as err:
        engine.request("export_album", album=album, output=str(out), picks={"zzz.png": None})
    assert err.value.code == "bad_request" and "not in album" in str(err.value)
    with pytest.raises(EngineError) as err:
        engine.request("export_album", TIMEOUT, album=album, output=str(box), colorize=True)
    assert err.value.code == "io" and "is the input folder" in str(err.value)
    with pytest.raises(EngineError) as err:
        export(degrain=0.0, upscale=1, picks={}, format="png")
    assert err.value.code == "io" and "other settings" in str(err.value)
    with pytest.raises(EngineError) as err:
        export(format="gif")
    assert err.value.code == "bad_request"


def test_a_cancelled_export_resumes(engine: EngineClient, tmp_path: Path) -> None:
    box = tmp_path / "many"
    box.mkdir()
    for n in range(12):
        png(box / f"p{n:02d}.png", photo_pixels((160, 120), seed=n))
    album = _open(engine, box, stills=True)["album"]  # numbered, one size: a film by the rule
    out = tmp_path / "colour"
    started = threading.Event()

    def on_progress(event: dict[str, Any]) -> None:
        if (event.get("done") or 0) >= 2:
            started.set()

    rid = engine.send(
        "export_album", album=album, output=str(out), colorize=True, on_progress=on_progress
    )
    assert started.wait(TIMEOUT), engine.wait(rid, timeout=1)
    engine.request("cancel", target=rid)
    reply = engine.wait(rid, timeout=TIMEOUT)
    done_before = sorted(p.name for p in out.glob("*.png"))
    assert reply.type == "cancelled" and 2 <= len(done_before) < 12
    rest = engine.request("export_album", TIMEOUT, album=album, output=str(out), colorize=True)
    assert sorted(rest.data["skipped"]) == done_before
    assert len(rest.data["restored"]) + len(done_before) == 12
    assert engine.request("close_album", album=album).data == {"album": album}
    with pytest.raises(EngineError) as err:
        engine.request("album_picture", album=album, picture="p00.png")
    assert err.value.code == "not_open"


RED = [200, 30, 30]


def _hint(x: float, y: float, rgb: list[int] = RED) -> dict[str, Any]:
    return {"version": 1, "points": [{"frame": 0, "x": x, "y": y, "rgb": rgb}]}


def test_hints_on_album_pictures_in_upright_pixels(
    engine: EngineClient, models: Path, tmp_path: Path
) -> None:
    """lake.jpg is stored 48 x 32 and turned upright by its EXIF to 32 x 48: hints are placed on
    the upright picture, as the app shows it and `panchro restore PIC OUT --hints` reads them."""
    from panchro.engine.imaging.hints import parse_hints

    box = _box(tmp_path / "box")
    album = _open(engine, box)["album"]
    lake, low = "1950/lake.jpg", _hint(6, 40)  # y 40: inside the upright picture only
    modes = engine.request(
        "sample_picture", TIMEOUT, album=album, picture=lake, k=2, seed=1, max_side=96, hints=low
    ).data
    assert modes["hints"] == 1
    common = dict(album=album, picture=lake, colorize=True, seed=2)
    plain = engine.request("preview_picture", TIMEOUT, max_side=64, **common).data
    shown = engine.request("preview_picture", TIMEOUT, max_side=64, hints=low, **common).data
    assert plain["pick"]["source"] == "auto" and shown["luma_max_diff"] < 1e-3
    assert shown.get("pick") is None or shown["pick"]["source"] != "auto"  # hints alone
    one = tmp_path / "lake.png"
    engine.request("export_picture", TIMEOUT, output=str(one), hints=low, **common)
    whole = engine.request(
        "export_album", TIMEOUT, album=album, output=str(tmp_path / "album"), colorize=True,
        seed=2, hints={lake: low, "a.png": None}, format="png",
    ).data  # fmt: skip
    assert whole["hinted"] == [lake]
    mine = media.read_picture(one).pixels
    np.testing.assert_array_equal(mine, media.read_picture(tmp_path / "album/1950/lake.png").pixels)
    restore_album(
        [box], tmp_path / "cli", stages=[_colorize(models)], seed=2, fmt="png",
        hints={lake: parse_hints(low)},
    )  # fmt: skip
    np.testing.assert_array_equal(mine, media.read_picture(tmp_path / "cli/1950/lake.png").pixels)
    # Red where the hint is (the grey there is mid-tone: red has room).
    pix = media.read_picture(one).pixels
    assert pix.shape == (48, 32, 3)
    r, g, b = (int(v) for v in pix[40, 6])
    assert r > g and r > b, (r, g, b)
    # Refusals, in words: a hint outside the upright picture, hints for a picture not in the
    # album, hints without colorizing.
    for request, extra, words in (
        ("preview_picture", {"picture": lake, "hints": _hint(40, 6)}, "outside"),
        ("export_album", {"output": str(tmp_path / "x"), "hints": {"zz.png": low}}, "zz.png"),
        ("export_picture", {"picture": lake, "hints": low, "colorize": False, "degrain": 0.5,
                            "output": str(tmp_path / "y.png")}, "need colorize"),
    ):  # fmt: skip
        body = {"album": album, "colorize": True, **extra}
        with pytest.raises(EngineError) as err:
            engine.request(request, TIMEOUT, **body)
        assert words in str(err.value), (request, str(err.value))
    assert not (tmp_path / "x").exists() and not (tmp_path / "y.png").exists()


def test_an_albums_project_saved_and_loaded(engine: EngineClient, tmp_path: Path) -> None:
    """save_project with `album` writes an album's project (the album closed right after: the
    save still has its pictures); load_project says which kind a file is, and for an album
    gives back the picks and hints of the pictures unchanged and names the others."""
    from panchro.engine.imaging.hints import parse_hints
    from panchro.engine.project import Project

    box = _box(tmp_path / "box")
    album = _open(engine, box)["album"]
    target = tmp_path / "family.panchro"
    lake, low = "1950/lake.jpg", {**_hint(6, 40), "frame_size": [32, 48]}
    settings = {"colorize": True, "degrain": 0.0, "upscale": 1, "upscaler": "film",
                "format": "png", "output": None, "codec": "prores", "bit_depth": 10,
                "dust": 0.5, "colour_strength": 1.25}  # fmt: skip
    rid = engine.send(
        "save_project", album=album, project_path=str(target), settings=settings,
        picks={"a.png": _pick().to_dict(), "b.png": None}, hints={lake: low, "a.png": None},
    )  # fmt: skip
    engine.request("close_album", album=album)
    saved = engine.wait(rid, timeout=TIMEOUT)
    assert saved.ok and saved.data == {"project_path": str(target), "kind": "album",
                                       "pictures": 2}  # fmt: skip
    data = engine.request("load_project", TIMEOUT, project_path=str(target)).data
    assert data["kind"] == "album" and data["project_path"] == str(target)
    assert data["inputs"] == [str(box)] and data["stills"] is True  # a folder read as an album
    # the panel's dust and colours' strength are kept; a film's codec is not an album's
    assert data["settings"] == {"colorize": True, "degrain": 0.0, "upscale": 1,
                                "upscaler": "film", "format": "png", "output": None,
                                "dust": 0.5, "colour_strength": 1.25}  # fmt: skip
    assert data["picks"] == {"a.png": _pick().to_dict()}
    assert data["hints"] == {lake: parse_hints(low).to_json()}
    assert data["changed"] == data["missing"] == [] and data["changes"] == ""

    # A picture retouched, another gone: named, and their picks and hints not given back.
    png(box / "a.png", photo_pixels((48, 32), seed=9))
    (box / "1950" / "lake.jpg").unlink()
    data = engine.request("load_project", TIMEOUT, project_path=str(target)).data
    assert data["picks"] == {} and data["hints"] == {}
    assert data["changed"] == ["a.png"] and data["missing"] == [lake]
    assert "changed since the project was saved (a.png)" in data["changes"]

    # A film's project says it is one; refusals in words.
    from tests.makemedia import make_video

    film = Project.new(make_video(tmp_path / "film.mp4", frames=6)).save(tmp_path / "f.panchro")
    assert engine.request("load_project", TIMEOUT, project_path=str(film)).data["kind"] == "film"
    album = _open(engine, box)["album"]
    on_frame_1 = {"version": 1, "points": [{"frame": 1, "x": 1, "y": 1, "rgb": RED}]}
    for extra, words in (
        ({"picks": {"zz.png": _pick().to_dict()}}, "'zz.png', which is not in album"),
        ({"hints": {"b.png": on_frame_1}}, "a picture has frame 0"),
        ({"settings": {"format": "gif"}}, "format must be one of"),
        ({"path": str(tmp_path / "film.mp4")}, "give a film ('film' or 'path') or an 'album'"),
        ({"project_path": str(tmp_path / "x.json")}, "end in .panchro"),
    ):  # fmt: skip
        body = {"album": album, "project_path": str(tmp_path / "x.panchro"), **extra}
        with pytest.raises(EngineError) as err:
            engine.request("save_project", TIMEOUT, **body)
        assert err.value.code == "bad_request" and words in str(err.value), str(err.value)
    assert not (tmp_path / "x.panchro").exists()
    doc = target.read_text().replace('"stills": true', '"stills": 1')
    target.write_text(doc)
    with pytest.raises(EngineError) as err:
        engine.request("load_project", TIMEOUT, project_path=str(target))
    assert err.value.code == "bad_input" and "stills: must be true or false" in str(err.value)
    assert str(target) in str(err.value)


def test_each_pictures_own_border_is_cut_in_every_album_request(
    engine: EngineClient, tmp_path: Path
) -> None:
    """`crop` "auto": the border round each picture (a print's paper, black round another)
    found by the engine, the modes drawn for the picture inside it, previewed, exported alone
    and with the album, each picture to its own size."""
    folder = tmp_path / "prints"
    folder.mkdir()
    inner = photo_pixels((48, 40), seed=4).clip(60, 200)
    paper = np.full((56, 64), 245, np.uint8)
    paper[6:46, 6:54] = inner  # a print: 6 px of paper round, 10 at the bottom
    png(folder / "print.png", paper)
    black = np.zeros((48, 60), np.uint8)
    black[4:44, 6:54] = inner
    png(folder / "neg.png", black)
    album = _open(engine, folder)["album"]
    common = {"album": album, "picture": "print.png", "crop": "auto"}
    drawn = engine.request("sample_picture", TIMEOUT, **common, k=2, seed=1, max_side=64).data
    assert drawn["crop"] == [6, 6, 10, 10] and (drawn["width"], drawn["height"]) == (48, 40)
    shown = engine.request(
        "preview_picture", TIMEOUT, **common, colorize=True, seed=3, max_side=64
    ).data
    assert shown["output_size"] == [48, 40] and shown["pick"]["crop"] == [6, 6, 10, 10]
    assert "border cut: 6, 6, 10, 10 px (left, top, right, bottom)" in shown["notes"]
    turned = engine.request(
        "preview_picture", TIMEOUT, **common, colorize=True, seed=3, max_side=64, straighten=True
    ).data  # a square print: said so, and the same picture
    assert "straight already: not turned" in turned["notes"] and turned["output_size"] == [48, 40]
    # whole, as the hint editor asks: the same colours inside, the paper grey, uncut
    reply = engine.request(
        "preview_picture", TIMEOUT, **common, colorize=True, seed=3, max_side=64, whole=True,
        quality=100,
    )  # fmt: skip
    assert reply.data["output_size"] == [64, 56]
    after = next(p for p in reply.data["images"] if p["name"] == "after")
    rgb = np.asarray(
        Image.open(io.BytesIO(reply.blob[after["offset"] : after["offset"] + after["length"]]))
    ).astype(int)
    assert np.abs(rgb[:3, :, 0] - rgb[:3, :, 2]).max() <= 3  # the paper, grey
    out = tmp_path / "print_colour.png"
    engine.request("export_picture", TIMEOUT, **common, colorize=True, seed=3, output=str(out))
    assert Image.open(out).size == (48, 40)
    done = engine.request(
        "export_album", TIMEOUT, album=album, colorize=True, seed=3, crop="auto",
        output=str(tmp_path / "out"),
    ).data  # fmt: skip
    assert sorted(done["restored"]) == ["neg.png", "print.png"]
    for name, size in (("print.png", (48, 40)), ("neg.png", (48, 40))):
        assert Image.open(tmp_path / "out" / name).size == size, name
    with pytest.raises(EngineError, match="each picture's own border"):
        engine.request("export_album", TIMEOUT, album=album, crop=[1, 1, 1, 1],
                       output=str(tmp_path / "x"))  # fmt: skip


def test_compare_of_a_picture_pixel_for_pixel(engine: EngineClient, tmp_path: Path) -> None:
    """`preview_picture` with `actual`: the restored picture at its own size, for the zoom;
    without, at most `max_side`."""
    box = tmp_path / "big"
    box.mkdir()
    png(box / "p.png", photo_pixels((200, 150), seed=4))
    album = _open(engine, box)["album"]

    def sizes(reply: Any) -> set[tuple[int, int]]:
        return {
            Image.open(io.BytesIO(reply.blob[p["offset"] : p["offset"] + p["length"]])).size
            for p in reply.data["images"]
        }

    common = {"album": album, "picture": "p.png", "colorize": True, "max_side": 64}
    assert sizes(engine.request("preview_picture", TIMEOUT, **common)) == {(64, 48)}
    whole = engine.request("preview_picture", TIMEOUT, **common, actual=True)
    assert sizes(whole) == {(200, 150)}
    # the restored picture lossless, where it is looked at pixel by pixel
    formats = {p["name"]: Image.open(io.BytesIO(whole.blob[p["offset"]:][: p["length"]])).format
               for p in whole.data["images"]}  # fmt: skip
    assert formats == {"before": "JPEG", "after": "PNG", "luma_diff": "JPEG"}


def test_a_picture_in_colour_keeps_its_own_colours_unless_recoloured(
    engine: EngineClient, tmp_path: Path
) -> None:
    """A colour snapshot among grey pictures: said to be in colour, previewed and exported
    with its own colours (a pick of source "own"), and coloured anew with `recolour`."""
    box = tmp_path / "box"
    box.mkdir()
    rgb = snapshot_pixels((48, 32))
    png(box / "snapshot.png", rgb)
    png(box / "grey.png", photo_pixels((48, 32), seed=4))
    album = _open(engine, box)["album"]
    said = {}
    for name in ("snapshot.png", "grey.png"):
        data = engine.request("album_picture", album=album, picture=name).data
        said[name] = {k: data[k] for k in ("in_colour", "maybe_in_colour")}
    assert said == {"snapshot.png": {"in_colour": True, "maybe_in_colour": False},
                    "grey.png": {"in_colour": False, "maybe_in_colour": False}}  # fmt: skip
    asked = {"album": album, "picture": "snapshot.png", "colorize": True, "max_side": 64}
    kept = engine.request("preview_picture", TIMEOUT, **asked).data
    assert kept["pick"]["source"] == "own"
    assert any("its own colours kept" in n for n in kept["notes"])
    anew = engine.request("preview_picture", TIMEOUT, **asked, recolour=True).data
    assert anew["pick"]["source"] == "auto"
    assert not any("its own colours kept" in n for n in anew["notes"])
    outs = {}
    for recolour in (False, True):
        out = tmp_path / f"out_{recolour}"
        done = engine.request(
            "export_album", TIMEOUT, album=album, output=str(out), colorize=True,
            recolour=recolour,
        ).data  # fmt: skip
        assert sorted(done["restored"]) == ["grey.png", "snapshot.png"]
        outs[recolour] = media.read_picture(out / "snapshot.png").pixels
    np.testing.assert_array_equal(outs[False], rgb)
    assert np.abs(outs[True].astype(int) - rgb).max() > 20
