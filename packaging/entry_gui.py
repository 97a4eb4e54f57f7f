"""The bundle's `Panchro` executable: the desktop app (`--self-test`, `--version` too)."""

from panchro.gui.app import main

raise SystemExit(main())
