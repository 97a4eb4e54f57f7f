"""Where shipped files live, whether installed, editable or bundled."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding models/, samples/ and icons/."""
    return Path(str(files("panchro.resources")))


def sample_film() -> Path:
    """The bundled black-and-white sample film."""
    return resources_dir() / "samples" / "bbb_bw.mp4"


def models_dir() -> Path:
    return resources_dir() / "models"
