"""Panchro's engine: media I/O, colour maths, models, the restoration pipeline.

This package never imports Qt. Importing it is cheap on purpose: the GUI imports
`panchro.engine.service.protocol` and `panchro.engine.service.client`, and neither may pull in
torch or PyAV through this file.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("panchro")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
