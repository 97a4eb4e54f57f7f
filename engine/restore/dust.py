"""The dust stage: specks of dirt on single frames found against the frames either side and
filled from them, and dirt on the same place of two frames running against the frames either
side of the two (`imaging.dust`; `--dust`).

It runs first (after the scratches stage, when both are on), on the luma as decoded, since
dirt is a fault of the film; everything after it (the colours, the upscaler's window) sees
clean frames. Chroma under a speck is filled from the frame's own chroma around it.

A frame is judged against its two neighbours within the shot: one either side, or at a
shot's edge the two on one side; and for dirt it shares with a neighbour, against the frame
beyond that neighbour. So it asks for `REACH` frames either side, and more for the stages
after it (`restore.around`).

A frame with no neighbours to judge it by (a photograph; a film's shot of one or two
frames) is looked at by the speck finder alone (`inference.specks`), a network that tells
dirt from the picture by its look. A photograph needs its weights; a film's short shot
without them is left as it is, and the summary says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from panchro.engine.errors import ModelMissingError
from panchro.engine.fsutil import weights_key
from panchro.engine.imaging import dust
from panchro.engine.inference import specks
from panchro.engine.restore.around import AroundStage
from panchro.engine.shots import Shot

if TYPE_CHECKING:
    from panchro.engine.media import Source
    from panchro.engine.project import Pick

REACH = 2  # frames either side a frame may be judged against (two on one side at an edge)
SPECK_FINDER = "speck_finder"


@dataclass
class DustStage(AroundStage):
    """Fills the dirt of each frame (`strength` 0..1: how faint a speck is still taken)."""

    strength: float = 1.0
    device: str | None = None
    hand_on: int = 0  # neighbours the stages after it want in y_before / y_after
    specks_path: str | None = None  # the speck finder's weights; None: the models folder's

    name = "dust"
    reach = REACH
    did = "specks filled"

    def __post_init__(self) -> None:
        from panchro.engine.models.registry import weights_path

        self._begin()
        path = Path(self.specks_path) if self.specks_path else weights_path(SPECK_FINDER)
        self._specks_file = path
        self._finder: Any = None
        self._picture = False
        found = weights_key(str(path)) if path.is_file() else "none"
        self.key = (
            f"dust:v2:s={self.strength}:c={dust.MIN_CONTRAST},{dust.GRAIN_TIMES}"
            f":m={dust.ANALYSIS},{dust.BLOCK},{dust.SEARCH},{dust.FINE}"
            f":a={dust.AGREE},{dust.UNSURE}:r={dust.WEAK},{dust.GROW},{dust.HALO}"
            f":s={dust.MAX_SPOT},{dust.SELF_RADIUS},{dust.SELF}:twins={dust.TILE},{dust.AROUND}"
            f":specks={found}:{specks.THRESHOLD},{specks.SPAN},{specks.SHRINKS}"
            f",{specks.LEAST_SIDE},{specks.HALO}"
        )

    def begin_shot(
        self, shot_index: int, shot: Shot, pick: Pick | None, film: Source
    ) -> Pick | None:
        # a bench hands no film: its frames are a film's
        self._picture = film is not None and film.info.kind == "image"
        return super().begin_shot(shot_index, shot, pick, film)

    @property
    def run_notes(self) -> list[str]:
        """A photograph's own words: how much of it was dirt (`AroundStage.run_notes` counts
        a film's frames)."""
        if not self._picture:
            return super().run_notes
        if not self.seen:
            return []
        if not self.pixels:
            return ["dust: no specks found on the picture"]
        return [f"dust: specks filled on {self.pixels / max(self.area, 1):.3%} of the picture"]

    def ready_for_pictures(self) -> None:
        """The speck finder loaded before a photograph's restore: ModelMissingError now
        (`restore.picture.ready_for_pictures`)."""
        self._picture = True
        self._speck_finder()

    def _speck_finder(self) -> Any:
        """The speck finder's network, loaded on first need; None (said once in the notes)
        where a film's short shot finds no weights or untrained ones. A photograph needs
        them: ModelMissingError."""
        if self._finder is not None:
            return self._finder or None
        from panchro.engine.models.weights import load_model, read_meta

        path = self._specks_file
        why = None
        if not path.is_file():
            why = "its weights file is not there"
        else:
            try:
                read_meta(path, expect=SPECK_FINDER)  # another model's weights named so
                model, _, meta = load_model(path, device="cpu")
            except Exception as err:  # noqa: BLE001 - any unreadable file is "cannot be used"
                why = f"its weights cannot be used: {err}"
            else:
                if (meta.get("card") or {}).get("trained") is not True:
                    why = "its weights are UNTRAINED"
        if why is not None and self._picture:
            raise ModelMissingError(
                f"--dust on a photograph needs the {SPECK_FINDER} model, but {why}", path=path
            )
        if why is not None:
            self.notes.append(
                f"dust: shots of one or two frames left as they are: the {SPECK_FINDER}"
                f" model that looks at a frame alone is missing ({why}: {path})"
            )
            self._finder = False
            return None
        self._finder = model
        return model

    def clean(
        self,
        frames: torch.Tensor,
        first: int,
        shot: Shot,
        targets: range,
        core: slice,
        cbcr: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        y, masks = dust.clean(frames, first, (shot.start, shot.end), targets, self.strength)
        if dust.judges(shot.start, shot.start, shot.end) is None:  # no neighbours to judge by
            finder = self._speck_finder()
            if finder is not None:
                y, masks = y.clone(), masks.clone()
                for i, t in enumerate(targets):
                    m = specks.find_specks(finder, frames[t - first], self.strength)
                    m = m.to(y.device)
                    y[i] = dust.fill_around(y[i], m)
                    masks[i] |= m
        hit = masks[core]
        if bool(hit.any()):
            cbcr = torch.stack(
                [
                    torch.stack([dust.fill_around(c, m) for c in planes])
                    for planes, m in zip(cbcr, hit, strict=True)
                ]
            )
        return y, cbcr, hit
