"""A film through the stages into a new file: `pipeline` (`restore()`, previews),
`threads` (the decode and stage workers), `batch` (`FrameBatch`, the `Stage` protocol),
`stages` (colorize, clean/upscale), `jobs` (resumable chunks, their writer and the
final join), `summary` (what a run reports).
"""
