"""The `panchro` command line: what a person types and what they get back.

Bad input must give one line naming the file and the reason, a non-zero exit,
no traceback, and nothing written or overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from panchro.engine.cli import build_parser, main, parse_command_line, parse_time
from tests.makemedia import make_frame_folder, make_video


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _packets(path: Path, kind: str) -> list[tuple[int | None, bytes]]:
    with av.open(str(path)) as c:
        streams = [s for s in c.streams if s.type == kind]
        return [(p.pts, bytes(p)) for p in c.demux(*streams) if p.size]


def _video_pts_seconds(path: Path) -> list[Fraction]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return sorted(p.pts * s.time_base for p in c.demux(s) if p.pts is not None)


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("cli") / "film.mp4", frames=36, audio=True)


def test_parse_time() -> None:
    assert parse_time("62.5") == 62.5
    assert parse_time("1:02.5") == 62.5
    assert parse_time("00:01:02.5") == 62.5
    assert parse_time("1:00:00") == 3600


def test_help_for_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        [],
        ["info"],
        ["frame"],
        ["shots"],
        ["restore"],
        ["sample"],
        ["engine"],
        ["engine", "serve"],
        ["bench", "io"],
        ["bench", "sample"],
        ["train", "colorizer"],
        ["eval", "colorizer"],
    ):
        with pytest.raises(SystemExit) as exc:
            main([*argv, "--help"])
        assert exc.value.code == 0
        assert "usage: panchro" in capsys.readouterr().out


def test_options_may_come_between_a_commands_paths(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`panchro restore old.mp4 --colorize new.mp4`, as people type it: argparse alone took
    old.mp4 for the output and refused new.mp4."""
    parser = build_parser()
    args = parse_command_line(parser, ["restore", "old.mp4", "--colorize", "new.mp4"])
    assert args.command == "restore" and args.input == ["old.mp4"] and args.output == "new.mp4"
    assert args.colorize and args.func is not None
    args = parse_command_line(
        parser, ["restore", "a.jpg", "--upscale", "2", "b.jpg", "-q", "album"]
    )
    assert args.input == ["a.jpg", "b.jpg"] and args.output == "album" and args.upscale == 2
    args = parse_command_line(parser, ["frame", "old.mp4", "--index", "3", "-o", "x.png"])
    assert args.command == "frame" and args.index == 3
    # the same as before where argparse understood it already, and its errors stay its own
    plain = ["restore", "--colorize", "old.mp4", "new.mp4"]
    assert vars(parse_command_line(parser, plain)) == vars(parser.parse_args(plain))
    with pytest.raises(SystemExit) as exc:
        parse_command_line(parser, ["restore", "old.mp4", "--colorize", "new.mp4", "--bogus"])
    assert exc.value.code == 2 and "unrecognized arguments: --bogus" in capsys.readouterr().err
    # commands with commands of their own parse as argparse does
    with pytest.raises(SystemExit):
        parse_command_line(parser, ["eval", "colorizer", "--bogus", "--data", "x"])


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("panchro ")


def test_info_table_and_json(film: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["info", str(film)], capsys)
    assert code == 0
    assert "frames" in out and "36" in out and "audio #" in out
    code, out, _ = _run(["info", str(film), "--json"], capsys)
    data = json.loads(out)
    assert data["frame_count"] == 36 and data["kind"] == "video" and len(data["audio"]) == 1


def test_frame_at_time_writes_png(
    film: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "f.png"
    code, msg, _ = _run(["frame", str(film), "--at", "00:00:00.5", "-o", str(out)], capsys)
    assert code == 0, msg
    img = Image.open(out)
    assert img.size == (160, 120)
    assert "frame 12" in msg  # 0.5 s at 24 fps
    # The same frame by index is the same picture.
    out2 = tmp_path / "g.png"
    assert _run(["frame", str(film), "--index", "12", "-o", str(out2)], capsys)[0] == 0
    assert np.array_equal(np.asarray(Image.open(out2)), np.asarray(img))
    # An existing output is not replaced without --overwrite.
    before = _digest(out)
    code, _, err = _run(["frame", str(film), "--index", "3", "-o", str(out)], capsys)
    assert code != 0 and "exists" in err and _digest(out) == before
    # A time past the film's end (1.5 s at 24 fps) is refused, not read as its last frame.
    late = tmp_path / "late.png"
    code, _, err = _run(["frame", str(film), "--at", "5", "-o", str(late)], capsys)
    assert (
        code != 0 and "where the film has ended (it ends at 1.500 s)" in err and not late.exists()
    )


def test_a_damaged_frame_is_saved_as_a_restore_writes_it_and_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`frame --index` refused a frame that does not decode (and the frames after it in its
    group), where a restore of the film shows the good frame before it."""
    from tests.makemedia import with_broken_frame

    src = make_video(tmp_path / "good.mp4", frames=48, gop=12)
    bad = with_broken_frame(src, 30, tmp_path / "bad.mp4")
    code, _, err = _run(["frame", str(bad), "--index", "30", "-o", str(tmp_path / "a.png")],
                        capsys)  # fmt: skip
    assert code == 0 and "frame 30 is damaged: the one before it is saved" in err, err
    assert _run(["frame", str(bad), "--index", "29", "-o", str(tmp_path / "b.png")], capsys)[0] == 0
    a, b = (np.asarray(Image.open(tmp_path / n)) for n in ("a.png", "b.png"))
    assert np.array_equal(a, b)


def test_restore_keeps_sound_and_timing(
    film: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.mp4"
    code, msg, _ = _run(["restore", str(film), str(out), "-q"], capsys)
    assert code == 0, msg
    assert "36 frames" in msg
    assert _packets(out, "audio") == _packets(film, "audio")
    assert _video_pts_seconds(out) == _video_pts_seconds(film)


def test_restore_variable_frame_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = make_video(tmp_path / "vfr.mp4", frames=30, vfr=True, audio=True)
    pts = _video_pts_seconds(src)
    assert len(set(np.diff([float(p) for p in pts]).round(6))) > 1  # really variable
    # MP4 keeps the source's time base: every timestamp exactly.
    out = tmp_path / "vfr_out.mp4"
    assert _run(["restore", str(src), str(out), "-q"], capsys)[0] == 0
    assert _video_pts_seconds(out) == pts
    assert _packets(out, "audio") == _packets(src, "audio")
    # Matroska stores milliseconds: every timestamp to the nearest one.
    out = tmp_path / "vfr_out.mkv"
    assert _run(["restore", str(src), str(out), "-q", "--codec", "ffv1"], capsys)[0] == 0
    got = _video_pts_seconds(out)
    assert len(got) == len(pts)
    assert max(abs(a - b) for a, b in zip(got, pts, strict=True)) <= Fraction(1, 2000)
    assert [p for _, p in _packets(out, "audio")] == [p for _, p in _packets(src, "audio")]


def test_restore_in_a_subprocess_prints_where_output_went(film: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub.mkv"
    proc = subprocess.run(
        [sys.executable, "-m", "panchro.engine", "restore", str(film), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert str(out) in proc.stdout
    assert "fps" in proc.stderr  # the progress bar
    assert out.exists()


# --- bad input --------------------------------------------------------------------------


def _bad_inputs(tmp: Path, film: Path) -> dict[str, Path]:
    zero = tmp / "zero.mp4"
    zero.write_bytes(b"")
    text = tmp / "notes.mp4"
    text.write_text("this is not a film\n" * 20)
    truncated = tmp / "truncated.mp4"
    truncated.write_bytes(film.read_bytes()[: film.stat().st_size // 3])
    mixed = make_frame_folder(tmp / "mixed", 4, (64, 48))
    Image.new("RGB", (80, 48)).save(mixed / "frame_0003.png")  # one frame of another size
    empty = tmp / "empty_folder"
    empty.mkdir()
    return {
        "zero-byte": zero,
        "text named .mp4": text,
        "truncated mp4": truncated,
        "mixed sizes": mixed,
        "missing": tmp / "no_such_film.mp4",
        "empty folder": empty,
    }


@pytest.mark.parametrize(
    "case",
    ["zero-byte", "text named .mp4", "truncated mp4", "mixed sizes", "missing", "empty folder"],
)
@pytest.mark.parametrize("command", ["info", "frame", "shots", "restore"])
def test_bad_input_gives_one_clear_line(
    case: str, command: str, film: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _bad_inputs(tmp_path, film)[case]
    before = {p: _digest(p) for p in tmp_path.rglob("*") if p.is_file()}
    out = tmp_path / "result.mkv"
    # A folder of frames of two sizes is an album to `info` (tests/engine/cli/test_cli_album.py);
    # read as a film, it is refused naming the odd frame.
    film_flag = ["--film"] if case == "mixed sizes" else []
    argv = {
        "info": ["info", str(path), *film_flag],
        "frame": ["frame", str(path), "-o", str(tmp_path / "x.png")],
        "shots": ["shots", str(path), "-q"],
        "restore": ["restore", str(path), str(out), "-q"],
    }[command]
    code, _, err = _run(argv, capsys)
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("panchro: error: ")
    named = path.name if case != "mixed sizes" else "frame_0003.png"
    assert named in lines[0], lines[0]
    # Nothing written, nothing changed.
    after = {p: _digest(p) for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.parametrize(
    "name,value",
    [("PANCHRO_THREADS", "abc"), ("PANCHRO_THREADS", "0"), ("PANCHRO_CPU_BF16", "yes")],
)
def test_a_bad_setting_in_the_environment_is_one_clear_line(
    name: str,
    value: str,
    film: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Not a traceback and an "internal error": the person set it, so say what is wrong."""
    from tests.makemodels import save_small_upscaler

    save_small_upscaler(tmp_path / "models", scale=2)
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv(name, value)
    out = tmp_path / "out.mkv"
    code, _, err = _run(["restore", str(film), "--upscale", "2", str(out), "-q"], capsys)
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"panchro: error: {name} must ")
    assert value in err and not out.exists()


def test_output_equal_to_input_is_refused(
    film: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "keep.mp4"
    shutil.copyfile(film, src)
    before = _digest(src)
    for out in (src, tmp_path / "." / "keep.mp4"):
        code, _, err = _run(["restore", str(src), str(out), "--overwrite", "-q"], capsys)
        assert code != 0 and "keep.mp4" in err and "Traceback" not in err
    link = tmp_path / "link.mp4"
    os.symlink(src, link)
    code, _, err = _run(["restore", str(src), str(link), "--overwrite", "-q"], capsys)
    assert code != 0
    assert _digest(src) == before


def test_output_exists_is_refused_without_overwrite(
    film: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exists.mp4"
    out.write_bytes(b"precious")
    code, _, err = _run(["restore", str(film), str(out), "-q"], capsys)
    assert code != 0 and "exists" in err and out.read_bytes() == b"precious"
    assert len(err.strip().splitlines()) == 1


def test_output_folder_not_writable(
    film: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # /proc refuses new files even to root, so this works in CI containers too.
    for out in (Path("/proc/panchro_out.mp4"), tmp_path / "missing_dir" / "out.mp4"):
        code, _, err = _run(["restore", str(film), str(out), "-q"], capsys)
        assert code != 0, out
        assert str(out.parent) in err or out.name in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "missing_dir").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_input(film: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked.mp4"
    shutil.copyfile(film, locked)
    locked.chmod(0)
    try:
        code, _, err = _run(["info", str(locked)], capsys)
        assert code != 0 and "locked.mp4" in err and "Traceback" not in err
    finally:
        locked.chmod(0o644)


def test_a_reader_that_goes_away_is_not_a_bug(film: Path) -> None:
    """`panchro shots film.mp4 | head -1`: the pipe closes before the table is written."""
    code = (
        "import os, sys\n"
        "r, w = os.pipe()\n"
        "os.close(r)\n"
        "os.dup2(w, 1)\n"
        "from panchro.engine.cli import main\n"
        f"sys.exit(main(['shots', {str(film)!r}, '-q']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr


def test_a_command_refused_for_its_output_writes_no_new_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    film = make_video(tmp_path / "film.mp4", frames=12, audio=False)
    code, _, err = _run(
        [
            "restore",
            str(film),
            str(tmp_path / "o.mp4"),
            "--project",
            str(tmp_path / "no" / "p.panchro"),
        ],
        capsys,
    )
    assert code == 1 and "folder" in err and "does not exist" in err and "Traceback" not in err
    (tmp_path / "taken.mp4").write_bytes(b"kept")
    # an output there is not written over (1); a name the codec cannot be written to is an
    # option that cannot be used, as `frame` and `sample` say of theirs (2)
    for out, exit_status in (("taken.mp4", 1), ("film.avi", 2)):
        code, _, err = _run(
            ["restore", str(film), str(tmp_path / out), "--project", str(tmp_path / "p.panchro")],
            capsys,
        )
        assert code == exit_status and "new project" not in err, err
        assert not (tmp_path / "p.panchro").exists()
    assert (tmp_path / "taken.mp4").read_bytes() == b"kept"
