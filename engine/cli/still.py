"""`panchro restore FILM STILL.png --at TIME`: one frame of a film restored into a picture, as
the film's export holds it there (`restore.still`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from panchro.engine.cli.common import (
    COLOUR_AND_SIZE,
    EXIT_OK,
    FILM_OUTPUT_OPTIONS,
    FILM_STAGES,
    check_options,
    crop_of_args,
    hints_of_args,
    levels_of_args,
    parse_time,
    reading_of,
    reference_of_args,
    say_how_to_recolour,
    settings_of_args,
)
from panchro.engine.cli.picture import refuse_photo_only
from panchro.engine.errors import BadInputError


def wants_still(args: argparse.Namespace) -> bool:
    """Whether this restore writes one frame of a film as a picture: --at, or a film in and a
    picture out (which then needs --at)."""
    from panchro.engine import media

    picture_out = Path(args.output).suffix.lower() in media.PICTURE_OUTPUTS
    return args.at is not None or (picture_out and not media.is_picture_path(args.input))


def cmd_restore_still(args: argparse.Namespace) -> int:
    from panchro.engine import media
    from panchro.engine.project import Project
    from panchro.engine.restore import pipeline
    from panchro.engine.restore import stages as stages_module
    from panchro.engine.restore.still import restore_still

    if args.at is None:
        # what cannot be read as a film is said so first (a text file named in, a picture
        # made out of it, was asked for a frame number)
        media.probe(args.input)
        raise BadInputError(
            "a picture out of a film is one of its frames: say which with --at TIME (or save "
            "the frame as it is with `panchro frame`)"
        )
    if Path(args.output).suffix.lower() not in media.PICTURE_OUTPUTS:
        raise BadInputError(
            "--at writes one frame of the film as a picture: give a "
            + ", ".join(media.PICTURE_OUTPUTS)
            + " output"
        )
    if media.is_picture_path(args.input):
        raise BadInputError("--at picks a frame of a film; a photo is restored whole")
    given = [flag for name, flag in FILM_OUTPUT_OPTIONS if getattr(args, name) not in (None, False)]
    if given:
        raise BadInputError(f"{', '.join(given)}: for a film's output, not one frame of it")
    refuse_photo_only(args, "a film's frame")
    info = media.probe(args.input, fps=args.fps)
    if args.project and not Path(args.project).exists():
        # a still records nothing: its shot's pick comes from a project the film's restore made
        raise BadInputError(
            "is not there: --at takes an existing project (a restore of the film makes one); "
            "leave out --project for the still alone",
            path=args.project,
        )
    project = Project.load(args.project) if args.project else None
    if project is not None:
        changes = project.check_source(args.input)
        if changes:
            raise BadInputError(
                f"is not the film of the project {args.project}: {'; '.join(changes)}",
                path=args.input,
            )
    names = (*COLOUR_AND_SIZE, *FILM_STAGES)
    settings = settings_of_args(args, project, names, crop=crop_of_args(args, info))
    check_options(args, settings)
    hints = hints_of_args(args, settings, info, project)
    stages = stages_module.build_stages(
        settings,
        seed=args.seed,
        all_picked=bool(project and project.shots and all(p is not None for p in project.picks)),
        regrain=args.regrain,
        hints=hints,
        reference=reference_of_args(args, settings),
        recolour=args.recolour,
    )
    settings = levels_of_args(args, settings, args.input, args.fps, project)
    reading = reading_of(settings, args.fps)
    with reading.open(args.input) as src:
        try:
            index, _ = pipeline.part_of(src, parse_time(args.at), None, what="--at asks a frame")
        except BadInputError as exc:
            raise BadInputError(
                f"--at {args.at}: {exc}".replace("the part starts", "it is")
            ) from None
    summary = restore_still(
        args.input,
        args.output,
        index,
        stages=stages,
        project=project,
        quality=args.quality,
        overwrite=args.overwrite,
        reading=reading,
    )
    print(summary.describe())
    say_how_to_recolour(summary.notes)
    return EXIT_OK
