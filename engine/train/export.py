"""A training run's weights out as a model file (`models.weights.save_model`): its best
held-out weights, or its latest checkpoint's, with a model card saying how they were made.

Every trainer ends a finished run with `export_best`, and exports a run stopped early or
still going with `export_run` (`panchro train X --export-best FILE`). The card's words on
the data are `data_words`: the folders by name, since where they lay on the training
machine is no one's business.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors.torch import load_file

from panchro.engine.train.common import BEST_FILE, Best, PrintFn, load_checkpoint, read_checkpoint

C = TypeVar("C")  # a model's config dataclass
M = TypeVar("M", bound=torch.nn.Module)


def data_words(record: dict[str, Any], noun: str = "pictures") -> str:
    """What a run learnt from, for its card: "1373 training pictures from bsds500,
    imagenet_sample; 27 held out (SHA-1 of the name < 0.02)"."""
    train = record.get("train_images", record.get("train_items"))
    held = record.get("heldout_images", record.get("heldout_items"))
    names = ", ".join(Path(str(d)).name for d in record.get("data", []))
    rule = f" (SHA-1 of the name < {record['val_fraction']:g})" if "val_fraction" in record else ""
    return f"{train} training {noun} from {names}; {held} held out{rule}"


def load_best(model: torch.nn.Module, out: Path, best: Best) -> bool:
    """Put the run's best weights into `model` -> False (model unchanged) when there are none."""
    path = out / BEST_FILE
    if best.step is None or not path.is_file():
        return False
    model.load_state_dict(load_file(str(path), device="cpu"))
    return True


def export_best(
    model: torch.nn.Module,
    cfg: Any,
    path: str | Path,
    *,
    card: dict[str, Any],
    out: Path,
    best: Best,
    say: PrintFn,
) -> Path:
    """Export the run's best held-out weights (the last step's when no validation ran),
    saying which in the card (`best_step`, `best_score`) and on the console."""
    if load_best(model, out, best):
        card = {**card, "best_step": best.step, "best_score": best.score}
        which = f"the best held-out weights, step {best.step} of {card['steps']}"
    else:
        which = f"the last step's weights, step {card['steps']}"
    written = export_weights(model, cfg, path, card=card)
    say(f"exported {written}: {which} ({card['scale']})")
    return written


def export_run_weights(
    model: torch.nn.Module,
    cfg: Any,
    path: str | Path,
    *,
    card: dict[str, Any],
    out: Path,
    record: dict[str, Any],
    best: bool,
    say: PrintFn | None,
) -> Path:
    """Weights from a run folder's latest checkpoint (`model`, `record`): its own, or with
    `best` the run's best held-out ones so far (a run a session's end stopped, or one still
    going; `planned_steps` in the card says how long it was to be)."""
    if not best:
        return export_weights(model, cfg, path, card=card)
    card = {**card, "planned_steps": record["steps"]}
    kept = Best.from_dict(record.get("best"))
    return export_best(model, cfg, path, card=card, out=out, best=kept, say=say or (lambda _: None))


def export_weights(
    model: torch.nn.Module, cfg: Any, path: str | Path, *, card: dict[str, Any]
) -> Path:
    """Save `model` (moved to the CPU, in eval mode) and its config as weights with `card`."""
    from panchro.engine.models.weights import save_model

    return save_model(model.to("cpu").eval(), cfg, path, card=card)


def checkpoint_model(
    out: Path,
    config_from_dict: Callable[[dict[str, Any]], C],
    build: Callable[[C], M],
    *,
    fmt: str,
    what: str,
) -> tuple[dict[str, Any], M, C]:
    """The model of the latest checkpoint in `out`, on the CPU -> (record, model, config)."""
    record = read_checkpoint(out, fmt=fmt, what=what, to="export from")
    cfg = config_from_dict(record["config"])
    model = build(cfg)
    load_checkpoint(out, model, None, torch.device("cpu"), fmt=fmt, what=what)
    return record, model, cfg


def export_run(
    out: str | Path,
    path: str | Path,
    *,
    config_from_dict: Callable[[dict[str, Any]], C],
    build: Callable[[C], M],
    fmt: str,
    what: str,
    card: Callable[[dict[str, Any], int, int], dict[str, Any]],
    best: bool = True,
    adjust: Callable[[M, C], C] | None = None,
    say: PrintFn | None = print,
) -> Path:
    """Export a run in `out` as `path`: its latest checkpoint's weights, or with `best` its
    best held-out ones so far (a run a session's end stopped, or one still going).
    `card(record, step, params)` makes the card from the checkpoint's record; `adjust`, the
    config the file is to say (an old run's, corrected), set on the model too."""
    run = Path(out)
    record, model, cfg = checkpoint_model(run, config_from_dict, build, fmt=fmt, what=what)
    if adjust is not None:
        cfg = adjust(model, cfg)
    made = card(record, int(record["step"]), model.num_params())
    return export_run_weights(
        model, cfg, path, card=made, out=run, record=record, best=best, say=say
    )


__all__ = [
    "checkpoint_model",
    "data_words",
    "export_best",
    "export_run",
    "export_run_weights",
    "export_weights",
    "load_best",
]
