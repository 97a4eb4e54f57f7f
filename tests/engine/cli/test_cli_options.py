"""What a new user found typing the README's commands: a project begun on a part covers its
film; options that would do nothing are refused, not passed over; refusals name the flag,
the right reason and a cluster that is not there at once; notes and records say what was
done (no sound promised to a silent film, a picture's colours where they came from)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from panchro.engine.cli import main
from panchro.engine.errors import BadInputError
from panchro.engine.project import Project
from tests.makemedia import make_video


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def silent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """36 frames in three shots, no sound."""
    folder = tmp_path_factory.mktemp("cli_options")
    return make_video(folder / "silent.mp4", frames=36, audio=False, cuts=(12, 24))


def test_a_new_project_begun_on_a_part_covers_its_film(
    silent: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = tmp_path / "reel.panchro"
    part = ["--project", proj, "--dust", "0.5", "--from", "0.6", "--to", "1.2"]
    code, out, err = _run(["restore", silent, tmp_path / "a.mkv", *part], capsys)
    assert code == 0, err
    project = Project.load(proj)  # a project whose shots cover its film: it loads
    shots = [(s.start, s.end) for s in project.shots]
    assert shots[0][0] == 0 and shots[-1][1] == 36 and len(shots) == 3, shots
    assert "with their sound" not in out and "the output starts at 0" in out  # it has none
    # made by this run, it holds this run's settings: the app opens it restoring so
    assert project.settings.dust == 0.5 and not project.settings.colorize
    code, _, err = _run(["restore", silent, tmp_path / "b.mkv", *part, "--deflicker", "1"],
                        capsys)  # fmt: skip
    assert code == 0, err
    # a project that is there keeps its own: the options are this run's
    assert Project.load(proj).settings.deflicker == 0.0


def test_a_projects_colours_can_be_left_off_and_a_seed_that_draws_none_is_said(
    silent: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    """A project made by a colorizing run colorized every later run (no flag turned it
    off), and --seed with every shot picked changed nothing, unsaid."""
    from tests.makemodels import TINY28, save_small_colorizer, save_small_refiner

    models = tmp_path / "models"
    save_small_colorizer(models, config=TINY28)
    save_small_refiner(models)
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    proj = tmp_path / "reel.panchro"
    code, _, err = _run(["restore", silent, tmp_path / "a.mkv", "--project", proj,
                         "--colorize", "-q"], capsys)  # fmt: skip
    assert code == 0, err
    code, _, err = _run(["restore", silent, tmp_path / "b.mkv", "--project", proj, "--seed", "9",
                         "-q"], capsys)  # fmt: skip
    assert code == 0 and "--seed 9 draws the shots without a pick" in err, err
    code, _, err = _run(["restore", silent, tmp_path / "grey.mkv", "--project", proj,
                         "--no-colorize", "-q"], capsys)  # fmt: skip
    assert code == 0, err
    record = (tmp_path / "grey.mkv.restoration.md").read_text()
    assert "colorize" not in record.split("## What was done")[1].split("## Shots")[0]


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--fit-frame"], "--fit-frame goes with --fit"),
        (["--upscaler", "sharp"], "--upscaler sharp goes with --upscale 2 or 4"),
        (["--codec", "dpx", "--bit-depth", "8"], "--bit-depth 8: DPX is written with 10"),
        (["--deflicker", "2"], "--deflicker must be within 0..1"),
        (["--colour-strength", "3"], "--colour-strength must be within"),
    ],
)
def test_options_that_would_do_nothing_or_are_out_of_range_are_refused_by_their_flag(
    silent: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    said: str,
) -> None:
    out = tmp_path / ("frames" if "dpx" in extra else "out.mkv")
    code, _, err = _run(["restore", silent, out, *extra], capsys)
    assert code != 0 and said in err, err
    assert not out.exists()


def test_refusals_give_the_reason_that_fits(
    silent: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image

    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((32, 48), 120, np.uint8)).save(photo)
    code, _, err = _run(["restore", photo, tmp_path / "p.png", "--deinterlace", "tff"], capsys)
    assert code != 0 and "a picture has no fields" in err, err
    missing = tmp_path / "none.panchro"
    code, _, err = _run(["restore", silent, tmp_path / "s.png", "--at", "0.5",
                         "--project", missing], capsys)  # fmt: skip
    assert code != 0 and "--at takes an existing project" in err and not missing.exists(), err
    code, _, err = _run(["frame", silent, "--at", "9", "-o", tmp_path / "f.png"], capsys)
    assert code != 0 and "--at asks a frame at 9 s, where the film has ended" in err, err


def test_a_cluster_that_is_not_there_is_said_at_once() -> None:
    from panchro.engine.cluster.run import check_reachable

    with pytest.raises(BadInputError, match="nothing answers there"):
        check_reachable("127.0.0.1:1", timeout_s=2.0)
    check_reachable("local")  # Ray's own to start
    check_reachable("auto")


def test_another_film_is_timed_at_its_own_rate(tmp_path: Path) -> None:
    a = make_video(tmp_path / "a.mp4", frames=24, fps=24, audio=False)
    b = make_video(tmp_path / "b.mp4", frames=30, fps=25, audio=False)
    changes = Project.new(a).check_source(b)
    assert "duration changed: 1.000 s -> 1.200 s" in changes, changes


def test_the_record_says_where_a_shots_colours_came_from() -> None:
    from panchro.engine.restore.record import _colours

    assert _colours(None, False, reference=True).startswith("matched from the colour picture")
    assert _colours(None, False, hinted=True) == "coloured by a person's colour hints alone"
    assert _colours(None, False).startswith("automatic")


def test_the_exit_status_says_what_kind_of_failure_as_help_says(
    silent: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """2: the input or an option cannot be used; 1: the output cannot be written; as the
    top-level help's epilog and the README say, for scripts."""
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "Exit status: 0 done; 2 the input" in capsys.readouterr().out.replace("\n", " ")
    code, _, err = _run(["restore", silent, tmp_path / "a.mkv", "--deflicker", "2"], capsys)
    assert code == 2, err
    code, _, err = _run(["restore", tmp_path / "nothing.mp4", tmp_path / "a.mkv"], capsys)
    assert code == 2, err
    (tmp_path / "there.mkv").write_bytes(b"precious")
    code, _, err = _run(["restore", silent, tmp_path / "there.mkv"], capsys)
    assert code == 1 and "exists (use --overwrite)" in err, err
    code, _, err = _run(["restore", silent, silent, "--overwrite"], capsys)
    assert code == 1 and "is the input" in err, err
    with pytest.raises(SystemExit) as usage:  # argparse's own: an option it does not know
        main(["restore", str(silent), str(tmp_path / "b.mkv"), "--no-such-option"])
    assert usage.value.code == 2
