"""Training from colour pictures and clips (`panchro train ...`): `common` (the loop's
shared parts: optimiser, schedule, checkpoints, resume, logs), `data` (datasets and the
held-out split) and one module per model with its loss and validation.
"""
