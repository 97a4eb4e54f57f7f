"""Where shipped files live, whether installed, editable or bundled."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding models/, samples/ and icons/."""
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
