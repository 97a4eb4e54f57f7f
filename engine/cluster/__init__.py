"""One film's chunks rendered across a Ray cluster (`panchro restore ... --cluster ADDRESS`).

The job is planned here exactly as a local run plans it (`restore.pipeline`): the same shots,
picks (automatic ones decided before the fan-out), chunks, settings digest and job folder.
Each pending chunk becomes a Ray task (`run.render_chunk`) that opens the film itself and
renders the chunk with `restore.pipeline.render_planned`, the code a local run uses; only
this process writes the manifest, and it joins the chunks with the sound (`Job.finish`).

Ray is optional (`pip install 'panchro[cluster]'`): nothing here imports it at import time.
"""
