"""Shipped data: model weights, the sample film, icons. Locate files with
`panchro.engine.resources_path()` rather than hard-coding paths."""
