"""The model stages of the pipeline: colorize (pick -> refiner) and clean/upscale (upscaler).

Each implements `batch.Stage`: `begin_shot` once per shot, then `process` on
temporal batches of that shot's frames. They hold their models for the whole
run, so weights load once; every result depends only on the batch and the
shot's pick, which is what makes chunked, resumable renders exact.

Colorize, per shot:
  1. the shot's pick (2 x 28 x 28 chroma bins from the project); a shot
     without one gets candidate 0 of a sample of its key frame, seeded from the
     run's seed and the shot's first frame, so runs are reproducible, and the
     pick is handed back to be recorded in the project (`source: "auto"`);
  1b. or, with a reference picture (`--reference`), a shot without a pick takes the
     colours the reference lends its key frame by correspondence (`inference.reference`);
  2. a person's colour hints on the shot's frames (`--hints`, the project's hints) are
     laid over the pick: on each hinted frame the pick is refined, the hints' difference
     from it spread along the luma (`inference.hinting`), and the result squeezed back
     to the 28 x 28 hint the whole shot is refined from, so every frame of the shot
     carries the corrected colours (an automatic pick is also sampled with the hinted
     cells locked). A shot of one frame (a photo) takes the hints at full resolution;
  3. for each batch of frames: the refiner turns (luma, hint) into chroma at
     full resolution (guided by the luma), or, without refiner weights, the
     hint is upsampled (bicubic) to the frame, as the previews are; the
     summary says which. The luma is never touched.
With a crop (`crop`), all of this happens inside it: the key frame is cut to the picture
before it is sampled or matched, hints are taken in the picture's pixels, and each frame's
picture is coloured and the borders left grey (`restore.crop`).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from panchro.engine.errors import ModelMissingError
from panchro.engine.fsutil import weights_key
from panchro.engine.imaging import color
from panchro.engine.imaging.hints import Hints

# A shot nobody picked gets a likely colouring, not an adventurous one (inference.defaults)
from panchro.engine.inference.defaults import AUTO_K, AUTO_TEMPERATURE, AUTO_TOP_P, DESPECKLE
from panchro.engine.inference.device import resolve_device
from panchro.engine.project import Pick, own_pick
from panchro.engine.restore import own
from panchro.engine.restore.batch import FrameBatch, Stage
from panchro.engine.restore.crop import (
    Margins,
    crop_size,
    cut_planes,
    inner,
    paste,
    read_size,
    regrid,
    scaled_margins,
)
from panchro.engine.shots import Shot

if TYPE_CHECKING:
    from panchro.engine.media import Source
    from panchro.engine.project import Settings

HINT_SIZE = 28  # the shot's chroma hint without a refiner (the colorizer's chroma size)
# Key-frame results kept by the colour stage (its inputs are their key): a person placing
# hints one by one asks for the same key frame's luma and the same pick's chroma at every
# edit, and the hint previews must come back within a second (issue 18).
KEEP_KEY_RESULTS = 8
KEY_SIDE = 640  # a key frame's picture is read at most this wide (the models see less)


def _digest(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a)
    return hashlib.sha256(a.tobytes() + str((a.dtype, a.shape)).encode()).hexdigest()[:24]


def auto_seed(base: int, shot_start: int) -> int:
    """The seed of a shot's automatic pick: stable across runs, different across shots."""
    digest = hashlib.sha256(f"{base}:{shot_start}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


@dataclass
class ColorizeStage:
    """Colours every frame of a shot from the shot's pick."""

    seed: int = 0
    temperature: float = AUTO_TEMPERATURE
    top_p: float = AUTO_TOP_P
    despeckle: int = DESPECKLE
    auto_k: int = AUTO_K  # candidates a shot nobody picked is given the consensus of
    device: str | None = None
    batch: int | None = None
    refiner_path: str | None = None  # None: look in the models folder
    colorizer_path: str | None = None
    require_colorizer: bool = True  # False when every shot has a pick already
    hints: Hints | None = None  # a person's colours, in the film's frame pixels
    hint_refiner_path: str | None = None  # None: the models folder's hint_refiner, if any
    # A colour picture (H, W, 3) uint8 that lends its colours to shots without a pick
    reference: np.ndarray | None = None
    reference_name: str = ""  # its file's name, for a picture's Software tag
    # The picture inside the film's borders (left, top, right, bottom, film pixels): coloured
    # alone, the borders left grey (a crop stage after this one cuts them off); None: all
    crop: Margins | None = None
    # The colours' strength: the chroma made multiplied by this (`Settings.colour_strength`)
    strength: float = 1.0
    # A picture in colour already is coloured anew like any other; without, it keeps its own
    # colours unless a person picked otherwise (`restore.picture.own_colours`)
    recolour: bool = False
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        from panchro.engine.models import registry

        self._film_size = (0, 0)  # the film's frame (W, H), known when a shot begins

        self._refiner: Any = None
        self._hint: np.ndarray | None = None
        self._exact: Hints | None = None  # a one-frame shot's hints, applied at full size
        self._alone = False  # the shot is coloured by its hints alone (it has no pick)
        self._flat: Pick | None = None  # a one-colour pick, without hints: `flat_chroma`
        self._own = False  # the shot keeps its own colours (an "own" pick)
        self._correction: np.ndarray | None = None  # the hints' change to its own colours
        self._shot_colours = own.ShotColours(self.notes)  # shots found in colour, said
        self._hint_refiner: Any = None  # loaded on the first hinted shot; False: none
        self._hint_note = ""  # what it is (learned, or Levin's alone), once loaded
        self._kept: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()
        ref = Path(self.refiner_path) if self.refiner_path else registry.weights_path("refiner")
        if ref.is_file():
            from panchro.engine.models.weights import load_model

            try:
                self._refiner, _, meta = load_model(ref, device=resolve_device(self.device))
            except Exception as err:  # noqa: BLE001 - any unreadable file is "cannot be used"
                reason = f"the refiner's weights cannot be used: {err}"
                raise ModelMissingError(reason, path=ref) from None
            if (meta.get("card") or {}).get("trained") is not True:
                self.notes.append(f"the refiner at {ref} is UNTRAINED")
            self._refiner_file = str(ref)
        else:
            self._refiner_file = None
            self.notes.append(
                "no refiner weights: chroma is the 28x28 pick upsampled (soft colour edges)"
            )
        col = Path(self.colorizer_path) if self.colorizer_path else None
        self._colorizer_file = str(col or registry.weights_path("colorizer"))
        has_colorizer = Path(self._colorizer_file).is_file()
        if self.require_colorizer and not has_colorizer:
            raise ModelMissingError(
                "colorizing a shot without a pick needs the colorizer model, but its weights "
                "file is not there (pick a colour mode for every shot, or install the weights)",
                path=self._colorizer_file,
            )
        # v2: a shot in colour already keeps its own colours (`restore.own`); a job begun
        # before recoloured it, and resumes from the start rather than mix the two
        self.key = (
            f"colorize:v2:refiner={weights_key(self._refiner_file)}"
            f":colorizer={weights_key(self._colorizer_file if has_colorizer else None)}"
            f":seed={self.seed}:t={self.temperature}"
            f":top_p={self.top_p}:despeckle={self.despeckle}"
        )
        if self.hints is not None and not self.hints.empty:
            hint_file = self.hint_refiner_path or str(registry.weights_path("hint_refiner"))
            hint_key = weights_key(hint_file if Path(hint_file).is_file() else None)
            self.key += f":hints={self.hints.digest()}:hint_refiner={hint_key}"
        if self.reference is not None:
            ref = np.ascontiguousarray(self.reference, np.uint8)
            self.key += f":reference={hashlib.sha256(ref.tobytes()).hexdigest()[:16]}"
            self.key += f":{ref.shape[1]}x{ref.shape[0]}"
        if self.crop is not None and any(self.crop):
            self.key += ":crop={},{},{},{}".format(*self.crop)
        if self.strength != 1.0:
            self.key += f":strength={self.strength:g}"
        if self.recolour:
            self.key += ":recolour"
        self._built_notes = len(self.notes)  # what its weights are: said by all it does

    def _say_cut_off(self, shot: Shot) -> None:
        """Say the hints of `shot` that lie in the border the crop cuts off: they are not
        used, and a shot whose only hint that was gets automatic colours, not the person's."""
        assert self.hints is not None and self.crop is not None
        for name, frame in self.hints.outside(self.crop, self._film_size):
            note = f"{name} (frame {frame}) lies in the border the crop cuts off: not used"
            if shot.start <= frame < shot.end and note not in self.notes:
                self.notes.append(note)

    def forget_notes(self) -> None:
        """Leave out the notes of work done before, keeping those made when it was built (a
        refiner missing or untrained): a stage kept between previews says what each did."""
        del self.notes[self._built_notes :]

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    @property
    def resident_on(self) -> Any:
        """The torch device this stage's planes can stay on (`restore.resident`)."""
        if self._refiner is not None:
            return next(self._refiner.parameters()).device
        return resolve_device(self.device)

    def working_size(self) -> int | None:
        """The short side the refiner sees a frame at (None without a refiner)."""
        return None if self._refiner is None else int(self._refiner.config.working_size)

    def begin_shot(
        self, shot_index: int, shot: Shot, pick: Pick | None, film: Source
    ) -> Pick | None:
        hints = None
        if self.crop is not None and not any(self.crop):
            self.crop = None
        if film is not None:  # (a picked shot without hints or crop needs nothing of it)
            info = film.info
            self._film_size = (info.width, info.height)
        if self.crop is not None:
            crop_size(self.crop, *self._film_size)  # refused when too little is left
        if self.hints is not None:
            self.hints.check_against(info.width, info.height, info.frame_count)
            hints = self.hints.on_frames(shot.start, shot.end)
            if self.crop is not None:
                hints = hints.cut(self.crop, self._film_size)  # in the picture's pixels
                self._say_cut_off(shot)
            hints = None if hints.empty else hints
        self._exact = hints if hints is not None and shot.end - shot.start == 1 else None
        made = None
        # A film's shot whose colours are the machine's to decide is judged at every run (a
        # photo was judged on its file before: `picture.own_colours`); a person's hints on
        # it correct its own colours, as over a photo's.
        if film is not None and film.info.kind != "image" and own.machine_made(pick):
            if self._keeps_own(shot_index, shot, film):
                if not own.found_own(pick):
                    pick = made = own_pick()
            elif own.found_own(pick):
                pick = None  # kept because it was found in colour: coloured anew, as asked
        self._own = pick is not None and pick.source == "own"
        self._correction = None
        if self._own:
            if hints is not None and self._exact is None:  # corrections of its own colours
                self._correction = self._own_corrected(hints, film)
            self._hint = np.zeros((2, 28, 28), np.float32)  # no pick's colours to refine
            return made
        if pick is None and self.reference is not None:
            # colours lent by the reference picture, then the hints laid over them
            hint = self._reference_hint(film, shot.key_frame)
            self._alone = False
            self._hint = self._lay_hints(hint, hints, film) if hints is not None else hint
            return None
        self._alone = hints is not None and pick is None
        if self._alone:
            # No pick: the hints alone colour the shot (they measure better than any sampled
            # mode with the hints laid over it: docs/hints.md), and nothing is sampled.
            self._hint = self._lay_hints(None, hints, film)
            return None
        if pick is None:
            made = self._auto_pick(shot, film)
            pick = made
        # Black and white, a tint or a tone: made from the luma exactly, not refined (hints
        # laid over one are refined as over any pick).
        self._flat = pick if pick.colour is not None and hints is None else None
        # (2, 28, 28) bin centres, over the picture (a pick drawn on another part of the frame
        # gives the colours it had where the picture lies)
        hint = regrid(color.dequantize_chroma(pick.chroma), self._film_size, pick.crop, self.crop)
        if hints is not None:
            hint = self._lay_hints(hint, hints, film)
        self._hint = hint
        return made

    def _keeps_own(self, shot_index: int, shot: Shot, film: Source | None) -> bool:
        """Whether a film's shot that nobody gave colours keeps its own: its key frame in
        colour (`restore.own`), no reference picture lending colours, not `recolour`. What was
        found is said."""
        if self.reference is not None:
            return False
        figures = self._keep(
            ("figures", *self._frame_key(film, shot.key_frame), self.crop),
            lambda: own.frame_figures(film, shot.key_frame, self.crop),
        )
        if color.one_hue_by(figures):
            self._shot_colours.say(own.ONE_HUE_SHOTS, shot_index + 1, shot)
        if not color.in_colour_by(figures):
            return False
        if self.recolour:
            self._shot_colours.say(own.RECOLOURED_SHOTS, shot_index + 1, shot)
            return False
        self._shot_colours.say(own.OWN_SHOTS, shot_index + 1, shot)
        return True

    def _keep(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """`make()`, or what it gave before for the same `key` (a few are kept, newest last).
        Every key holds all that the result depends on, so a kept result is the same array
        a new one would be. Kept arrays are shared: the callers only read them."""
        found = self._kept.get(key)
        if found is None:
            found = make()
            self._kept[key] = found
            while len(self._kept) > KEEP_KEY_RESULTS:
                self._kept.popitem(last=False)
        self._kept.move_to_end(key)
        return found

    @staticmethod
    def _frame_key(film: Source, index: int) -> tuple[Any, ...]:
        """What a frame of `film` is: its file as it is now (a file changed on disk is another
        film), its size and the index."""
        info = film.info
        try:
            st = Path(info.path).stat()
            stamp: tuple[Any, ...] = (st.st_size, st.st_mtime_ns)
        except OSError:  # a folder of stills or a vanished file: never kept
            stamp = (object(),)
        return (str(info.path), *stamp, info.width, info.height, info.frame_count, index)

    def _key_luma(self, film: Source, index: int) -> np.ndarray:
        """Frame `index`'s luma inside the crop, at most 640 px (the models see less)."""
        crop = self.crop
        return self._keep(
            ("luma", *self._frame_key(film, index), crop),
            lambda: self._read_luma(film, index, crop),
        )

    @staticmethod
    def _read_luma(film: Source, index: int, crop: Margins | None = None) -> np.ndarray:
        from panchro.engine.inference import colorize

        # The run's open film: its key-frame reader is its own decoder, so this is safe
        # beside the decode thread, and the film is not probed and indexed a second time.
        info = film.info
        fmt = "gray16" if info.bit_depth > 8 else "gray"
        full = (info.width, info.height)
        # the picture at most 640 px (the model sees 224 px anyway), the frame read to match
        size = read_size(full, crop, KEY_SIDE)
        luma = colorize.luma_of(film.read_frame(index, fmt=fmt, size=size, conceal=True).image)
        if crop is None:
            return luma
        return np.ascontiguousarray(inner(luma, scaled_margins(crop, full, size)))

    @property
    def _picture_size(self) -> tuple[int, int]:
        """(W, H) of the picture inside the crop, in the film's pixels."""
        if self.crop is None:
            return self._film_size
        return crop_size(self.crop, *self._film_size)

    def _chroma(self, luma: Any, hint: np.ndarray) -> Any:
        """(T, H, W) luma + one (2, 28, 28) hint -> (T, 2, H, W) chroma: refined or upsampled.
        Luma as a tensor (planes resident on the device) gives a tensor there."""
        if self._refiner is not None:
            from panchro.engine.inference.refine import refine_chroma

            # refine_chroma clips the luma a frame at a time: no clipped copy of the batch
            return refine_chroma(self._refiner, luma, hint, batch=self.batch)
        h, w = luma.shape[1:]
        up = color.upsample_chroma(np.moveaxis(hint, 0, -1), (h, w))
        cbcr = np.empty((len(luma), 2, h, w), np.float32)
        cbcr[:] = np.moveaxis(up, -1, 0)
        if not isinstance(luma, np.ndarray):
            import torch

            return torch.from_numpy(cbcr).to(luma.device)
        return cbcr

    def _base(self, luma: np.ndarray, hint: np.ndarray) -> np.ndarray:
        """(H, W) luma + (2, h, w) hint -> the (2, H, W) chroma the hint gives that frame."""
        return self._chroma(luma[None], hint)[0]

    def reference_match(self, film: Source, index: int, reference: np.ndarray) -> Any:
        """What a colour picture (h, w, 3) uint8 lends frame `index` (an
        `inference.reference.ReferenceMatch`: the (2, 28, 28) hint and how well it fits), by
        the colorizer's features and luma statistics, or by luma alone without a colorizer."""
        from panchro.engine.inference import colorize
        from panchro.engine.inference.reference import match_reference

        info = film.info
        model = None
        if Path(self._colorizer_file).is_file():
            model = colorize.load_colorizer(self._colorizer_file, device=self.device).model
        elif "reference: matched by luma alone (no colorizer features)" not in self.notes:
            self.notes.append("reference: matched by luma alone (no colorizer features)")
        return match_reference(
            self._key_luma(film, index),
            reference,
            colorizer=model,
            matrix=color.matrix_for(info.color_matrix, info.height, info.width),
        )

    def _reference_hint(self, film: Source, index: int) -> np.ndarray:
        assert self.reference is not None
        found = self.reference_match(film, index, self.reference)
        if (note := found.note()) is not None:
            self.notes.append(f"frame {index}: {note}")
        return found.hint

    def _hints_alone(self, luma: np.ndarray, hints: Hints, matrix: str) -> np.ndarray:
        """Chroma (2, H, W) from the hints alone: the hint refiner over Levin when its
        trained weights are there, else Levin's propagation (and the summary says which)."""
        from panchro.engine.inference.hinting import hinted_chroma

        model = self._hint_model()
        method = "learned" if model is not None else "levin"
        return hinted_chroma(luma, hints, matrix=matrix, method=method, model=model)

    def _hint_model(self) -> Any:
        if self._hint_refiner is None:
            from panchro.engine.inference.hinting import load_hint_refiner

            self._hint_refiner, self._hint_note = load_hint_refiner(
                self.hint_refiner_path, self.device
            )
        if self._hint_note not in self.notes:  # how hints colour: said by every shot they do
            self.notes.append(self._hint_note)
        return None if self._hint_refiner is False else self._hint_refiner

    def _lay_hints(self, hint: np.ndarray | None, hints: Hints, film: Source) -> np.ndarray:
        """The shot's 28 x 28 hint from its hinted frames in turn: the first frame's hints
        alone when there is no pick (`hint` None), then each frame's hints laid over it."""
        from panchro.engine.inference.hinting import chroma_at_hint_size, hinted_chroma

        info = film.info
        matrix = color.matrix_for(info.color_matrix, info.height, info.width)
        size = self._refiner.config.hint_size if self._refiner is not None else HINT_SIZE
        model = self._hint_model() if hint is None else None
        for frame in hints.frames():
            luma = self._key_luma(film, frame)
            shape = (luma.shape[1], luma.shape[0])
            on_frame = hints.on_frames(frame, frame + 1).scaled(self._picture_size, shape)
            where = self._frame_key(film, frame)
            if hint is None:
                made = ("alone", *where, on_frame.digest(), id(model))
                fixed = self._keep(made, partial(self._hints_alone, luma, on_frame, matrix))
            else:
                laid = _digest(hint)
                base = self._keep(("base", *where, laid), partial(self._base, luma, hint))
                made = ("over", *where, laid, on_frame.digest())
                fixed = self._keep(
                    made, partial(hinted_chroma, luma, on_frame, matrix=matrix, base=base)
                )
            hint = chroma_at_hint_size(fixed, size)
        assert hint is not None
        return hint

    def _own_corrected(self, hints: Hints, film: Source) -> np.ndarray:
        """The correction a person's hints make to a shot's own colours, (2, h, w) at the key
        frames' size: on each hinted frame, its own chroma with the hints laid over it (as a
        photo's: `hinting.hinted_chroma`, the correction spread along the luma and fading
        with distance) less its own chroma; the frames' corrections added up."""
        from panchro.engine.inference.hinting import hinted_chroma

        info = film.info
        matrix = color.matrix_for(info.color_matrix, info.height, info.width)
        total = None
        for frame in hints.frames():
            luma = self._key_luma(film, frame)
            where = self._frame_key(film, frame)
            read = partial(own.frame_chroma, film, frame, self.crop, KEY_SIDE)
            base = self._keep(("own", *where, self.crop), read)
            shape = (luma.shape[1], luma.shape[0])
            on_frame = hints.on_frames(frame, frame + 1).scaled(self._picture_size, shape)
            made = ("own over", *where, self.crop, on_frame.digest())
            laid = partial(hinted_chroma, luma, on_frame, matrix=matrix, base=base)
            change = self._keep(made, laid) - base
            total = change if total is None else total + change
        assert total is not None
        return total

    def _auto_pick(self, shot: Shot, film: Source) -> Pick:
        from panchro.engine.inference import colorize

        loaded = colorize.load_colorizer(self._colorizer_file, device=self.device)
        luma = self._key_luma(film, shot.key_frame)
        seed = auto_seed(self.seed, shot.start)
        found, index = colorize.automatic_pick(
            loaded,
            luma,
            seed=seed,
            k=self.auto_k,
            temperature=self.temperature,
            top_p=self.top_p,
            despeckle=self.despeckle,
        )
        if not loaded.trained:
            note = f"the colorizer at {loaded.path} is UNTRAINED: automatic picks are noise"
            if note not in self.notes:
                self.notes.append(note)
        return Pick(
            seed=seed,
            temperature=self.temperature,
            index=index,
            chroma=found.bins[index],
            locked=False,
            source="auto",
            crop=self.crop,
        )

    def process(self, batch: FrameBatch) -> FrameBatch:
        assert self._hint is not None, "begin_shot comes first"
        if self._exact is not None and not isinstance(batch.y, np.ndarray):
            from panchro.engine.restore.resident import on_host

            batch = on_host(batch)  # a photo's full-size hints are laid in numpy
        size = (batch.y.shape[-1], batch.y.shape[-2])
        crop = None if self.crop is None else scaled_margins(self.crop, self._film_size, size)
        if self._own and self._exact is None:  # its own colours: neither redrawn nor strengthened
            if self._correction is None:
                return batch
            held = batch.cbcr if crop is None else cut_planes(batch.cbcr, crop)
            return batch.replace(cbcr=paste(own.corrected(held, self._correction), crop, size))
        y = batch.y if crop is None else cut_planes(batch.y, crop)
        if self._own:  # a picture's hints laid over its own colours, inside its border
            held = batch.cbcr if crop is None else cut_planes(batch.cbcr, crop)
            return batch.replace(cbcr=paste(self._colour(y, batch, held), crop, size))
        return batch.replace(cbcr=paste(self._strengthened(self._colour(y, batch)), crop, size))

    def _strengthened(self, cbcr: Any) -> Any:
        """The chroma at the colours' strength, within what chroma can be (its ±0.5)."""
        if self.strength == 1.0:
            return cbcr
        if isinstance(cbcr, np.ndarray):
            return np.clip(cbcr * np.float32(self.strength), -0.5, 0.5)
        return (cbcr * self.strength).clamp(-0.5, 0.5)

    def _colour(self, y: Any, batch: FrameBatch, own: Any = None) -> Any:
        """(T, h, w) luma of the pictures -> their (T, 2, h, w) chroma (`own`: the pictures'
        own chroma, which the hints are laid over)."""
        assert self._hint is not None
        if self._exact is not None:
            from panchro.engine.inference.hinting import hinted_chroma

            # a photo: its hints hold at full resolution (alone, or over the pick's colours)
            exact = self._exact.scaled(self._picture_size, (y.shape[-1], y.shape[-2]))
            cbcr = np.empty((len(y), 2, *y.shape[1:]), np.float32)
            if own is not None:
                base = np.asarray(own, np.float32)
            else:
                base = None if self._alone else self._chroma(y, self._hint)
            for k in range(len(y)):
                yk = np.clip(y[k], 0.0, 1.0)
                if base is None:
                    cbcr[k] = self._hints_alone(yk, exact, batch.matrix)
                else:
                    cbcr[k] = hinted_chroma(yk, exact, matrix=batch.matrix, base=base[k])
            return cbcr
        if self._flat is not None:
            return flat_chroma(self._flat, y)
        return self._chroma(y, self._hint)


def flat_chroma(pick: Pick, y: Any) -> Any:
    """(T, 2, H, W) chroma of a one-colour pick over luma `y` (T, H, W), host array or tensor:
    none for "grey"; for a "tint" the colour grows with the light (a dyed base colours the
    highlights, black stays black); for a "tone" it is strongest in the middle greys, 4y(1-y)
    (a toned print: white and black stay neutral, the greys take the colour, as sepia)."""
    assert pick.colour is not None
    cb, cr = pick.colour
    if isinstance(y, np.ndarray):
        y = np.clip(y, 0.0, 1.0, dtype=np.float32)
        out = np.zeros((y.shape[0], 2, *y.shape[1:]), np.float32)
    else:
        y = y.float().clamp(0.0, 1.0)
        out = y.new_zeros((y.shape[0], 2, *y.shape[1:]))
    if pick.source == "grey":
        return out
    share = y if pick.source == "tint" else 4.0 * y * (1.0 - y)
    out[:, 0] = share * cb
    out[:, 1] = share * cr
    return out


@dataclass
class UpscaleStage:
    """Cleans (and enlarges) luma with the upscaler; chroma follows the restored luma.

    `degrain` is how much of the network's restoration to keep, blended with
    the plain (bicubic) enlargement: 1 keeps all of it, 0.5 half; 0 means 1
    when enlarging (upscaling is the point then) and no stage at all at x1.
    Each frame sees a window of its neighbours (`context` each side, from the
    pipeline), never across a cut.
    """

    scale: int = 2
    degrain: float = 0.0
    device: str | None = None
    weights_path: str | None = None  # None: the registry's file for this scale
    regrain: float = 0.0  # grain put back, as a fraction of the source's measured grain
    kind: str = "film"  # "film" (robust, cleans) or "sharp" (clean sources): models.upscaler
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        from panchro.engine.models import registry
        from panchro.engine.models.upscaler import KINDS, model_name
        from panchro.engine.models.weights import load_model

        if self.scale not in (1, 2, 4):
            raise ValueError(f"scale must be 1, 2 or 4, got {self.scale}")
        if not 0.0 <= self.degrain <= 1.0 or not 0.0 <= self.regrain <= 2.0:
            raise ValueError("degrain must be within 0..1 and regrain within 0..2")
        if self.kind not in KINDS or (self.kind == "sharp" and self.scale == 1):
            raise ValueError(f"no {self.kind} upscaler at x{self.scale}")
        name = model_name(self.scale, self.kind)
        path = Path(self.weights_path) if self.weights_path else registry.weights_path(name)
        if not path.is_file():
            raise ModelMissingError(
                f"cleaning/upscaling x{self.scale} needs the {name} model, but its weights "
                "file is not there",
                path=path,
            )
        try:
            self._model, config, meta = load_model(path, device=resolve_device(self.device))
        except Exception as err:  # noqa: BLE001 - any unreadable file is "cannot be used"
            reason = f"the {name} weights cannot be used: {err}"
            raise ModelMissingError(reason, path=path) from None
        if config.model_name != name:
            raise ModelMissingError(f"holds {config.model_name}, not {name}", path=path)
        if (meta.get("card") or {}).get("trained") is not True:
            self.notes.append(
                f"the {name} model at {path} is UNTRAINED: it only enlarges (bicubic)"
            )
        self.context = config.frames // 2
        self.strength = self.degrain if self.degrain > 0 else 1.0
        self.key = (
            f"upscale:v1:{weights_key(str(path))}:x{self.scale}:s={self.strength}"
            f":regrain={self.regrain}"
        )

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return width * self.scale, height * self.scale

    @property
    def resident_on(self) -> Any:
        """The torch device this stage's planes can stay on (`restore.resident`)."""
        return next(self._model.parameters()).device

    def begin_shot(
        self, shot_index: int, shot: Shot, pick: Pick | None, film: Source
    ) -> Pick | None:
        return None

    def process(self, batch: FrameBatch) -> FrameBatch:
        if not isinstance(batch.y, np.ndarray):
            return self._process_resident(batch)
        from panchro.engine.inference.upscale import regrain, upscale_chroma, upscale_luma
        from panchro.engine.models.upscaler import bicubic_up

        parts = [p for p in (batch.y_before, batch.y, batch.y_after) if p is not None and len(p)]
        frames = np.clip(np.concatenate(parts), 0.0, 1.0).astype(np.float32)
        first = 0 if batch.y_before is None else len(batch.y_before)
        restored = upscale_luma(self._model, frames, start=first, stop=first + len(batch))
        if self.strength < 1.0:
            import torch

            core = torch.from_numpy(np.ascontiguousarray(frames[first : first + len(batch)]))
            plain = bicubic_up(core[:, None], self.scale)[:, 0].clamp(0, 1).numpy()
            restored = plain + self.strength * (restored - plain)
        if self.regrain > 0:
            # Seeded by the frame numbers: the same grain every run, so chunks resume exactly.
            rng = np.random.default_rng(int(batch.indices[0]))
            restored = regrain(batch.y, restored, rng, strength=self.regrain)
        # where the luma network runs: on a GPU the guided enlargement of chroma to 4K is
        # what the host's cores would otherwise spend most of a frame on
        device = next(self._model.parameters()).device
        chroma = upscale_chroma(np.moveaxis(batch.cbcr, 1, -1), restored, device=device)
        return batch.replace(
            y=np.ascontiguousarray(restored, np.float32),
            cbcr=np.ascontiguousarray(np.moveaxis(chroma, -1, 1), np.float32),
        )

    def _process_resident(self, batch: FrameBatch) -> FrameBatch:
        """`process` of planes that stay on the model's device: the same steps as tensors
        (the source's grain is measured in numpy: the frames go to the host for it)."""
        import torch

        from panchro.engine.inference.upscale import regrain, upscale_chroma_planar, upscale_luma
        from panchro.engine.models.upscaler import bicubic_up

        device = self.resident_on
        parts = [p for p in (batch.y_before, batch.y, batch.y_after) if p is not None and len(p)]
        frames = torch.cat([torch.as_tensor(p).to(device) for p in parts]).clamp_(0.0, 1.0)
        first = 0 if batch.y_before is None else len(batch.y_before)
        restored = upscale_luma(self._model, frames, start=first, stop=first + len(batch))
        if self.strength < 1.0:
            core = frames[first : first + len(batch)]
            plain = bicubic_up(core[:, None], self.scale)[:, 0].clamp(0, 1)
            restored = plain + self.strength * (restored - plain)
        if self.regrain > 0:
            rng = np.random.default_rng(int(batch.indices[0]))
            source = torch.as_tensor(batch.y).cpu().numpy()
            grained = regrain(source, restored.cpu().numpy(), rng, strength=self.regrain)
            restored = torch.from_numpy(grained).to(device)
        chroma = upscale_chroma_planar(torch.as_tensor(batch.cbcr).to(device), restored)
        return batch.replace(y=restored.contiguous(), cbcr=chroma)


def build_stages(
    settings: Settings,
    *,
    seed: int = 0,
    device: str | None = None,
    all_picked: bool = False,
    regrain: float = 0.0,
    hints: Hints | None = None,
    reference: np.ndarray | None = None,
    reference_name: str = "",
    recolour: bool = False,
) -> list[Stage]:
    """The stages `settings` ask for, in order: scratches, dust, stabilize, deflicker,
    colorize, crop, clean/upscale, then the fit to a delivery size.

    Nothing asked: no stages (decode -> encode, luma bit-exact). Colorizing gives
    shots without a pick a seeded sample of their key frame (`seed` is the run's
    base seed; the pipeline hands the stage its open film) and needs the colorizer's weights unless
    `all_picked` (every shot has a pick); without refiner weights it upsamples each shot's
    28x28 pick and says so in the summary. Cleaning/upscaling needs the
    upscaler for the scale; `regrain` (0..2) puts back that share of the source's
    measured grain at the output size. `hints` (in the film's frame pixels) steer the
    colours of the shots they are on; a `reference` picture (RGB uint8) lends its colours to
    the shots without a pick. A picture in colour already keeps its own colours unless a
    person picked others, or `recolour` (`restore.picture.own_colours`). ModelMissingError
    names any missing weights file.
    """
    stages: list[Stage] = []
    if settings.stabilize > 0:
        from panchro.engine.restore.stabilize import StabilizeStage

        # Before all: every stage after it sees frames that hold still.
        stages.append(
            StabilizeStage(
                strength=settings.stabilize,
                device=device,
                crop=settings.crop if settings.cropped else None,
            )
        )
    if settings.deflicker > 0:
        from panchro.engine.restore.deflicker import DeflickerStage

        # First: the colours are made from steady luma, and the upscaler's window is steady.
        stages.append(DeflickerStage(strength=settings.deflicker, device=device))
    if settings.colorize:
        stages.append(
            ColorizeStage(
                seed=seed,
                device=device,
                require_colorizer=not all_picked and reference is None,
                hints=hints,
                reference=reference,
                reference_name=reference_name,
                crop=settings.crop if settings.cropped else None,
                strength=settings.colour_strength,
                recolour=recolour,
            )
        )
    if settings.cropped:
        from panchro.engine.restore.crop import CropStage

        # After every stage that reads the film itself, before the upscaler (restore.crop).
        assert settings.crop is not None
        stages.append(CropStage(settings.crop))
    if settings.upscale > 1 or settings.degrain > 0:
        # The sharp enlarger has no x1 (cleaning is the film model's work).
        kind = settings.upscaler if settings.upscale > 1 else "film"
        stages.append(
            UpscaleStage(
                scale=settings.upscale,
                degrain=settings.degrain,
                device=device,
                regrain=regrain,
                kind=kind,
            )
        )
    if settings.fit is not None:
        from panchro.engine.restore.fit import FitStage

        # Last: the model's detail first, then the size it is delivered at (restore.fit).
        stages.append(FitStage(settings.fit, frame=settings.fit_frame, device=device))
    # Before all, scratches then dust: the film's faults, judged on the frames as decoded;
    # each cleans the neighbours the stages after it look across too.
    if settings.dust > 0:
        from panchro.engine.restore.dust import DustStage

        later = max((int(getattr(st, "context", 0)) for st in stages), default=0)
        dust = DustStage(strength=settings.dust, device=device, hand_on=later)
        dust.crop = settings.crop if settings.cropped else None  # not counted in its share
        stages.insert(0, dust)
    if settings.scratches > 0:
        from panchro.engine.restore.scratches import ScratchStage

        later = max((int(getattr(st, "context", 0)) for st in stages), default=0)
        scratch = ScratchStage(settings.scratches, device=device, hand_on=later)
        scratch.crop = settings.crop if settings.cropped else None
        stages.insert(0, scratch)
    return stages
