"""Benchmarks that print figures and return them; they never assert (`panchro bench ...`).

- `io`: film I/O on this machine (decode, seek, encode, memory of a long stream);
- `models`: the refiner, the upscaler and colour sampling, per device;
- `restore`: the streamed restore and the player's wait for a frame (through the engine);
- `memory`: one huge picture, peak memory per stage and codec;
- the process memory figures they report come from `panchro.engine.procmem`.
"""
