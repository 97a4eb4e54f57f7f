"""The weights the project ships: each says in its card how it was trained, and names its
data by folder, never by where the data lay on the machine that trained it (a card travels
with every copy of the program)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from panchro.engine.models.weights import read_meta

MODELS = Path(__file__).resolve().parents[3] / "resources" / "models"
SHIPPED = sorted(MODELS.glob("*.safetensors"))


def test_weights_are_shipped_with_the_model_card() -> None:
    assert SHIPPED, f"no weights in {MODELS}"
    card = (MODELS / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert [p.name for p in SHIPPED if p.name not in card] == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_shipped_card_says_how_it_was_trained_and_names_no_machine_path(path: Path) -> None:
    card = read_meta(path)["card"]
    assert card.get("trained") is True and card.get("steps")
    data = str(card.get("data", ""))
    # (a file of the project's own, as "engine/imaging/degrade.py", may be named)
    assert data and not re.search(r"(^|[\s,(])(/|\.\.[/\\]|~|[A-Za-z]:\\)", data), data
