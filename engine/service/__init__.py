"""The engine as a process the GUI talks to: `protocol` (the messages; pure Python, the
GUI imports it), `server` (the process), `client` (a ready-made blocking client) and
`selftest` (an installation checked end to end through the process).
"""
