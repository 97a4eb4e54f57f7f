"""Where shipped files and the user's own files live, whether installed, editable or bundled.

Shipped files (the sample film, model weights, icons) sit in the package
`panchro.resources`; in a PyInstaller bundle they sit in the same layout under
the bundle's `_internal/` folder (`sys._MEIPASS`). The user's files (settings,
recent films, logs, output locks, the self-test's scratch) go where the platform
keeps them, as `platformdirs` knows: on Linux the XDG folders (~/.config/panchro,
~/.local/share/panchro, ~/.local/state/panchro/log, ~/.cache/panchro).
`$PANCHRO_USER_DIR` puts all of them under one folder instead, for tests and
portable installs.
"""

from __future__ import annotations

import os
import sys
from importlib.resources import files
from pathlib import Path

APP = "panchro"
ENGINE_EXECUTABLE = "panchro-engine"  # the engine's name beside the GUI in a bundle


def frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def resources_dir() -> Path:
    """The folder holding models/, samples/ and icons/."""
    if frozen():
        # The spec puts the resources at this path; importlib.resources would find them
        # too, but only if the package's __init__ was collected, so ask for the folder.
        return Path(sys._MEIPASS) / "panchro" / "resources"  # type: ignore[attr-defined]
    return Path(str(files("panchro.resources")))


def sample_film() -> Path:
    """The bundled black-and-white sample film."""
    return resources_dir() / "samples" / "bbb_bw.mp4"


def models_dir() -> Path:
    """Where model weights are looked for: `$PANCHRO_MODELS_DIR` if set, else the shipped ones.

    The variable lets a user try other weights, and lets tests run the engine
    against an empty or a test folder, whatever ships in resources/models.
    """
    override = os.environ.get("PANCHRO_MODELS_DIR")
    return Path(override) if override else resources_dir() / "models"


def engine_program() -> list[str]:
    """The command that runs `panchro` (the engine's CLI), before its arguments.

    In a bundle: the `panchro-engine` executable beside the running one, never
    a Python from the system. Otherwise: this interpreter with `-m panchro.engine`.
    """
    if frozen():
        return [str(Path(sys.executable).resolve().parent / ENGINE_EXECUTABLE)]
    return [sys.executable, "-m", "panchro.engine"]


def engine_argv() -> list[str]:
    """The command that starts an engine speaking the protocol on stdin/stdout."""
    return [*engine_program(), "engine", "serve"]


# --- the user's files -------------------------------------------------------------------


def _user_dir(kind: str) -> Path:
    override = os.environ.get("PANCHRO_USER_DIR")
    if override:
        return Path(override) / kind
    import platformdirs

    # appauthor=False: no "Panchro/panchro" double folder on Windows.
    where = {
        "config": platformdirs.user_config_dir,
        "data": platformdirs.user_data_dir,
        "cache": platformdirs.user_cache_dir,
        "log": platformdirs.user_log_dir,
    }[kind]
    return Path(where(APP, appauthor=False))


def _made(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_config_dir() -> Path:
    """Settings and the recent-films list (created when asked for)."""
    return _made(_user_dir("config"))


def user_data_dir() -> Path:
    """Files a user would miss if deleted (created when asked for)."""
    return _made(_user_dir("data"))


def user_cache_dir() -> Path:
    """Files that can be made again: previews, self-test scratch (created when asked for)."""
    return _made(_user_dir("cache"))


def user_log_dir() -> Path:
    """The engine's and the self-test's logs (created when asked for)."""
    return _made(_user_dir("log"))


JOB_SUFFIX = ".panchro-job"


def job_folder(output: str | os.PathLike[str]) -> Path:
    """The job folder of an output: OUTPUT.panchro-job beside it, where a restore keeps its
    finished chunks until the output is whole (the app asks here whether one can resume)."""
    out = Path(os.path.abspath(Path(output).expanduser()))
    return out.with_name(out.name + JOB_SUFFIX)


def settings_file() -> Path:
    """The GUI's settings (JSON)."""
    return user_config_dir() / "settings.json"


def recent_files_file() -> Path:
    """The recently opened films, newest first (JSON list of paths)."""
    return user_config_dir() / "recent.json"
