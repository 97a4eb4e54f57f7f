"""The engine's requests, one module a concern, and `HANDLERS`: the dispatch table.

`HANDLERS` maps each request type the lanes answer to its `Handler` (parse on the reader
thread, run on its lane). `hello`, `cancel` and `shutdown` are not here: the server answers
them at once itself.

- `common`: the work item, the answer, the session, parameter checks, picture helpers
- `films`: open, close, frame (the light lane)
- `colour`: shots, survey, sample_keyframe
- `hints`: hint_preview (a frame coloured with a person's hints), reference_pick
- `carry`: carry_pick (a picked shot's colours carried to the other shots of its scene)
- `picks`: pick_pictures (picked shots' key frames coloured by their picks: a project's strip)
- `restore`: preview, render, export_frame
- `projects`: save_project, load_project
- `albums`: open_album, close_album, album_picture, sample_picture, preview_picture,
  export_picture, export_album (pictures that share nothing, each its own shot)
- `status`: models and runtime, as `hello` reports them; the model checks
"""

from __future__ import annotations

from panchro.engine.service.handlers import (
    albums,
    carry,
    colour,
    films,
    hints,
    picks,
    projects,
    restore,
)
from panchro.engine.service.handlers.common import Handler

HANDLERS: dict[str, Handler] = {
    **films.HANDLERS,
    **colour.HANDLERS,
    **hints.HANDLERS,
    **carry.HANDLERS,
    **picks.HANDLERS,
    **restore.HANDLERS,
    **projects.HANDLERS,
    **albums.HANDLERS,
}
