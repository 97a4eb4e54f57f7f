"""`render` with `deliver_fps` through the engine process: a film shown at 18 fps written at
24 with frames repeated, the rate kept by a project, and the refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from makemedia import make_frame_folder

from panchro.engine.service.client import EngineClient, EngineError


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineClient]:
    client = EngineClient.start(stderr=tmp_path_factory.mktemp("log") / "engine.log")
    yield client
    assert client.close(timeout=30) == 0


def test_a_render_delivered_at_a_sound_speed(engine: EngineClient, tmp_path: Path) -> None:
    folder = make_frame_folder(tmp_path / "frames", 9)
    film = engine.request("open", 60, path=str(folder), fps=18).data["film"]
    out = tmp_path / "at24.mkv"
    done = engine.request(
        "render", 120, film=film, output=str(out), codec="ffv1", deliver_fps=24
    ).data
    assert any("one frame in 3 shown twice" in n for n in done["notes"])
    with av.open(str(out)) as c:
        assert c.streams.video[0].average_rate == 24
        assert sum(1 for _ in c.decode(video=0)) == 12

    with pytest.raises(EngineError) as err:
        engine.request("render", 60, film=film, output=str(tmp_path / "no.mkv"), codec="ffv1",
                       deliver_fps=18)  # fmt: skip
    assert err.value.code == "bad_input" and "not above the film's" in err.value.message
    assert not (tmp_path / "no.mkv").exists()
    with pytest.raises(EngineError) as err:
        engine.request("render", 60, film=film, output=str(tmp_path / "no.mkv"), codec="ffv1",
                       deliver_fps=500)  # fmt: skip
    assert err.value.code == "bad_request" and "deliver_fps" in err.value.message

    # kept by a project, and rendered by it when the request does not say
    project = tmp_path / "film.panchro"
    engine.request(
        "save_project", 60, film=film, project_path=str(project),
        shots=[{"start": 0, "end": 9, "key_frame": 4}], picks=[None],
        settings={"colorize": False, "degrain": 0.0, "upscale": 1, "codec": "ffv1",
                  "bit_depth": 8, "deliver_fps": 24.0},
    )  # fmt: skip
    loaded = engine.request("load_project", 60, project_path=str(project)).data
    assert loaded["settings"]["deliver_fps"] == 24.0
    by_project = tmp_path / "by_project.mkv"
    engine.request("render", 120, film=film, output=str(by_project), codec="ffv1",
                   project_path=str(project))  # fmt: skip
    with av.open(str(by_project)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 12


def test_a_render_fitted_to_a_delivery_size(engine: EngineClient, tmp_path: Path) -> None:
    folder = make_frame_folder(tmp_path / "frames", 3, size=(64, 48))
    film = engine.request("open", 60, path=str(folder)).data["film"]
    out = tmp_path / "framed.mkv"
    done = engine.request("render", 120, film=film, output=str(out), codec="ffv1",
                          fit=[640, 360], fit_frame=True).data  # fmt: skip
    assert (done["width"], done["height"]) == (640, 360)
    with pytest.raises(EngineError) as err:
        engine.request("render", 60, film=film, output=str(tmp_path / "no.mkv"), fit=[641, 360])
    assert err.value.code == "bad_request" and "'fit'" in err.value.message


def test_compare_at_the_restored_frames_own_size(engine: EngineClient, tmp_path: Path) -> None:
    """`preview` with `actual`: the restored frame pixel for pixel (what an upscaler or a fit
    made of it), the frame before enlarged to it; without, both at most the film's size."""
    import io

    from PIL import Image

    folder = make_frame_folder(tmp_path / "frames", 3, size=(64, 48))
    film = engine.request("open", 60, path=str(folder)).data["film"]

    def sizes(reply) -> dict[str, tuple[int, int]]:  # noqa: ANN001
        return {
            p["name"]: Image.open(
                io.BytesIO(reply.blob[p["offset"] : p["offset"] + p["length"]])
            ).size
            for p in reply.data["images"]
        }

    small = engine.request("preview", 60, film=film, index=1, fit=[640, 360], max_side=1920)
    assert sizes(small) == {"before": (64, 48), "after": (64, 48), "luma_diff": (64, 48)}
    whole = engine.request("preview", 60, film=film, index=1, fit=[640, 360], actual=True)
    assert whole.data["output_size"] == [480, 360]
    assert sizes(whole) == {"before": (480, 360), "after": (480, 360), "luma_diff": (480, 360)}
