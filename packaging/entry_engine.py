"""The bundle's `panchro-engine` executable: the whole `panchro` command line, including
`engine serve`, the process the GUI starts."""

import multiprocessing

from panchro.engine.cli import main

# Training's data-loader workers are processes; a frozen program must say so first.
multiprocessing.freeze_support()
raise SystemExit(main())
