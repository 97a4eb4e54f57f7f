"""Pictures turned as a player shows them: `upright` (a film tagged with a rotation, a phone's
video), for previews and stills."""

from __future__ import annotations

from typing import Any

import numpy as np


def upright(image: Any, rotation: int) -> Any:
    """`image` (H, W, ...) turned as a player shows a film tagged with `rotation` (degrees
    clockwise, as a player turns the picture; rot90 with k > 0 turns counter-clockwise,
    hence the minus)."""
    if not rotation % 360:
        return image
    return np.ascontiguousarray(np.rot90(image, -((rotation % 360) // 90)))
