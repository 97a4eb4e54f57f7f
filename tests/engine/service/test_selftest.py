"""`panchro self-test`: passes on a working checkout, fails when something is missing, and its
checks (excerpt, luma, exit policy) tell right from wrong."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine import media, paths
from panchro.engine.cli import main
from panchro.engine.service import selftest
from panchro.engine.service.selftest import FAIL, PASS, SKIP, Check, Report
from tests.makemedia import make_video
from tests.makemodels import save_small_colorizer


@pytest.fixture(autouse=True)
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Logs and scratch go to a temporary folder, not the user's."""
    folder = tmp_path / "user"
    monkeypatch.setenv("PANCHRO_USER_DIR", str(folder))
    return folder


def test_passes_on_the_sample_film_with_every_check_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A small untrained colorizer, so that the colour-mode check runs instead of skipping.
    models = tmp_path / "models"
    save_small_colorizer(models)
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))  # the engine inherits it

    code = main(["self-test", "--json", "--strict"])
    report = json.loads(capsys.readouterr().out)
    checks = {c["name"]: c for c in report["checks"]}
    assert code == 0 and report["ok"] and report["exit_code"] == 0, report
    assert all(c["status"] == PASS for c in report["checks"]), report
    assert set(checks) >= {"engine starts", "protocol guard", "colour modes (K=2)", "sound"}
    assert "UNTRAINED" in checks["colour modes (K=2)"]["detail"]
    assert "refused protocol 2" in checks["protocol guard"]["detail"]
    # One second of the 25 fps sample: 25 frames, and its one audio stream.
    assert checks["frame count"]["detail"] == "25 frames in and out"
    assert checks["sound"]["detail"].startswith("1 audio stream(s), 1.0")
    assert report["version"] == selftest.__version__ and report["engine"] == paths.engine_argv()
    # Scratch removed; the engine's log kept in the user's log folder.
    assert not list((Path(paths.user_cache_dir())).iterdir())
    assert Path(report["log"]).parent == paths.user_log_dir()
    assert "hello from panchro-self-test" in Path(report["log"]).read_text()


def test_a_missing_sample_film_fails_with_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = tmp_path / "not_there.mp4"
    monkeypatch.setattr(paths, "sample_film", lambda: gone)

    code = main(["self-test"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  sample film" in out and f"{gone}: not there" in out
    # What needs the film is not run, and says why; the engine itself was still checked.
    assert "SKIP  open film" in out and "needs sample film" in out
    assert "PASS  engine starts" in out and "PASS  engine stops" in out
    assert "FAILED:" in out and "1 failed" in out


def test_no_colorizer_is_a_skip_not_a_pass() -> None:
    hello = {"models": {"colorizer": {"status": "missing", "path": "/x/colorizer.safetensors"}}}
    with pytest.raises(selftest.CheckSkipped, match="colorizer missing: no weights at /x/"):
        selftest.sample_modes(None, hello, film=1, info={"frame_count": 10})  # type: ignore[arg-type]
    broken = {"models": {"colorizer": {"status": "corrupt", "path": "/x", "error": "bad header"}}}
    with pytest.raises(selftest.CheckFailed, match="bad header"):
        selftest.sample_modes(None, broken, film=1, info={"frame_count": 10})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("statuses", "strict", "code"),
    [
        ([PASS, PASS], False, 0),
        ([PASS, SKIP], False, 0),  # nothing that could run failed...
        ([PASS, SKIP], True, 1),  # ...but a strict run wants every check run
        ([PASS, FAIL, SKIP], False, 1),
        ([], False, 1),  # nothing checked is no pass
    ],
)
def test_exit_policy(statuses: list[str], strict: bool, code: int) -> None:
    report = Report("1.0", ["engine"], [Check(f"c{i}", s, "") for i, s in enumerate(statuses)])
    report.strict = strict
    assert report.exit_code == code
    text = report.describe()
    assert ("PASSED" if code == 0 else "FAILED") in text and "policy:" in text


def test_excerpt_is_the_films_first_second_packet_for_packet(
    tiny_video: Path, tmp_path: Path
) -> None:
    out = tmp_path / "excerpt.mp4"
    selftest.cut_excerpt(tiny_video, out, 1.0)  # 24 fps, keyframes every 12
    info = media.probe(out)
    assert 24 <= info.frame_count <= 26 and len(info.audio) == 1
    with media.open_source(tiny_video) as a, media.open_source(out) as b:
        for i in (0, 11, 12, 23):  # across a keyframe: copied, not re-encoded, so equal
            ya, yb = a.read_frame(i, fmt="gray").image, b.read_frame(i, fmt="gray").image
            assert np.array_equal(ya, yb)
    with av.open(str(out)) as c:
        a_stream = c.streams.audio[0]
        seconds = sum(p.duration or 0 for p in c.demux(a_stream) if p.size) * a_stream.time_base
    assert 0.95 <= float(seconds) <= 1.05


def test_luma_check_passes_the_same_film_and_catches_another(
    tiny_video: Path, tiny_video_cuts: Path, tmp_path: Path
) -> None:
    same = selftest.luma_difference(tiny_video, tiny_video)
    assert same.ok and same.block_mad_worst == 0 and same.bias == 0 and same.frames == 5
    other = selftest.luma_difference(tiny_video, tiny_video_cuts)
    assert not other.ok and other.block_mad_worst > selftest.LUMA_TOLERANCE
    smaller = make_video(tmp_path / "small.mp4", frames=12, size=(80, 60), audio=False)
    with pytest.raises(selftest.CheckFailed, match="size changed: 160x120 -> 80x60"):
        selftest.luma_difference(tiny_video, smaller)
