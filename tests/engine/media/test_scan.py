"""A scan's values as they are read: a DPX scan coded in log at video levels ("auto"), every
film as coded ("coded"), a negative turned positive ("negative")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from makemedia import make_frame_folder, make_log_dpx_folder, make_video

from panchro.engine import media
from panchro.engine.cli import main
from panchro.engine.errors import BadInputError
from panchro.engine.media import scan

H, W = 24, 40


def test_the_log_curve_puts_black_at_0_white_near_the_top_and_rolls_highlights_off() -> None:
    codes = np.arange(1024, dtype=np.float64)
    v = scan.log_to_video(codes)
    assert v[95] == pytest.approx(0.0, abs=1e-9) and v[:95].max() == 0.0  # below black
    assert 0.93 < v[685] < 0.97  # reference white: room left above it for the highlights
    assert np.all(np.diff(v[95:]) > 0) and v[1023] <= 1.0  # highlights kept, in order
    # 16-bit references as a 16-bit DPX gives them: the same curve
    assert scan.log_to_video(np.array([685 * 64.06]), (6086, 43881, 65535))[0] == pytest.approx(
        v[685], abs=2e-3
    )
    assert scan.curve("coded", (95, 685, 1023)) is None and scan.curve("auto", None) is None
    turned = scan.curve("negative", None)
    assert turned is not None and turned[0] == 65535 and turned[65535] == 0
    with pytest.raises(BadInputError, match="unknown scan mode 'log'"):
        scan.check_mode("log")


def test_a_log_scan_is_read_at_video_levels_unless_asked_as_coded(tmp_path: Path) -> None:
    codes = np.linspace(60, 1000, W)[None, :].repeat(H, 0).round()
    make_log_dpx_folder(tmp_path / "scan", codes)
    auto = media.probe(tmp_path / "scan")
    assert auto.scan == "a log scan brought to video levels"
    assert auto.log_reference == (95, 685, 1023)
    with media.open_source(tmp_path / "scan") as src:
        seen = src.read_frame(1, fmt="rgb48").image[..., 1] / 65535.0
    assert np.abs(seen - scan.log_to_video(codes)).max() < 2e-3
    with media.open_source(tmp_path / "scan", scan="coded") as src:
        assert src.info.scan == ""
        coded = src.read_frame(1, fmt="rgb48").image[..., 1]
    assert np.abs(coded / 65535.0 - codes / 1023.0).max() < 1e-3  # as the file has it
    # The picture at video levels has its blacks at 0 and more contrast than the codes.
    assert seen[:, 0].max() == 0.0 and np.ptp(seen) > np.ptp(coded / 65535.0)


def test_a_negative_is_turned_positive_picture_and_video_alike(tmp_path: Path) -> None:
    folder = make_frame_folder(tmp_path / "neg", 3, (W, H), gray=True)
    with media.open_source(folder) as src:
        plain = src.read_frame(1, fmt="gray").image.astype(int)
    with media.open_source(folder, scan="negative") as src:
        assert src.info.scan == "a negative turned positive"
        turned = src.read_frame(1, fmt="gray").image.astype(int)
    assert np.abs(turned - (255 - plain)).max() <= 1
    video = make_video(tmp_path / "neg.mkv", frames=4, audio=False)
    with media.open_source(video) as a, media.open_source(video, scan="negative") as b:
        x = a.read_frame(2, fmt="rgb24").image.astype(int)
        y = b.read_frame(2, fmt="rgb24").image.astype(int)
    assert np.abs(y - (255 - x)).mean() < 1.0


def test_a_restore_reads_as_asked_and_the_project_keeps_it(tmp_path: Path, capsys) -> None:
    from panchro.engine.project import Project

    folder = make_frame_folder(tmp_path / "neg", 4, (W, H), gray=True)
    project = tmp_path / "neg.panchro"
    out = tmp_path / "pos.mkv"
    args = ["restore", str(folder), str(out), "--codec", "ffv1", "--project", str(project)]
    assert main([*args, "--scan", "negative", "-q"]) == 0
    assert Project.load(project).settings.scan == "negative"
    with media.open_source(folder) as a, media.open_source(out) as b:
        src, made = (s.read_frame(2, fmt="gray").image.astype(int) for s in (a, b))
    assert np.abs(made - (255 - src)).max() <= 2
    capsys.readouterr()
    # Again from the project alone: read as it says (the finished film is not made again).
    assert main([*args[:-2], "--project", str(project), "--overwrite", "-q"]) == 0
    with media.open_source(out) as b:
        again = b.read_frame(2, fmt="gray").image.astype(int)
    assert np.abs(again - made).max() == 0
    # An archive reads each film as it says: --scan is refused there.
    capsys.readouterr()
    assert main(["restore", "--batch", str(tmp_path), str(tmp_path / "all"), "--scan", "negative"])
    assert "--scan: not for an archive" in capsys.readouterr().err
