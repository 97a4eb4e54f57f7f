"""Panchro's desktop GUI (PySide6). It never imports torch or PyAV: all media
work happens in the engine process, reached through `panchro.engine.service.protocol`."""
