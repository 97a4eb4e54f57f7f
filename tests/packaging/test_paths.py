"""The user's files go where the platform keeps them (platformdirs, XDG on Linux), or all under
$PANCHRO_USER_DIR."""

from __future__ import annotations

from pathlib import Path

import pytest

from panchro.engine import paths


def test_xdg_folders_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PANCHRO_USER_DIR", raising=False)
    for var, sub in [
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ]:
        monkeypatch.setenv(var, str(tmp_path / sub))
    assert paths.user_config_dir() == tmp_path / "config" / "panchro"
    assert paths.user_data_dir() == tmp_path / "data" / "panchro"
    assert paths.user_cache_dir() == tmp_path / "cache" / "panchro"
    assert paths.user_log_dir() == tmp_path / "state" / "panchro" / "log"
    assert paths.settings_file() == tmp_path / "config" / "panchro" / "settings.json"
    assert paths.recent_files_file() == tmp_path / "config" / "panchro" / "recent.json"
    for folder in ("config", "data", "cache", "state"):  # made when asked for
        assert (tmp_path / folder / "panchro").is_dir()


def test_one_folder_for_everything(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PANCHRO_USER_DIR", str(tmp_path / "u"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "not_here"))
    assert paths.user_config_dir() == tmp_path / "u" / "config"
    assert paths.user_log_dir() == tmp_path / "u" / "log"
    assert not (tmp_path / "not_here").exists()


def test_an_outputs_job_folder_sits_beside_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # a relative output is where the engine, started here, writes
    assert paths.job_folder("out/film.mkv") == tmp_path / "out" / "film.mkv.panchro-job"
    assert paths.job_folder(tmp_path / "a b.mp4") == tmp_path / "a b.mp4.panchro-job"


def test_the_gui_logs_the_engine_into_the_user_log_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from panchro.gui.engine_process import default_log_path

    monkeypatch.setenv("PANCHRO_USER_DIR", str(tmp_path))
    assert default_log_path() == tmp_path / "log" / "engine.log"
