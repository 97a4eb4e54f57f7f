"""Connecting to a Ray cluster and fanning a planned job's chunks out to it.

`session(address)` connects (`local` starts a cluster on this machine, `host:port` joins a
running one) and gives a `RayExecutor`; `restore.pipeline.restore(..., executor=...)` hands
it the job once planned. Each pending chunk is one task (`num_cpus=1`, retried up to
`max_retries` times): it builds the stages from their recipe once per worker process (the
models load once), renders its chunk into the job folder (`render_planned`: written under a
temporary name and renamed whole; what a killed attempt left is removed first) and returns
the chunk's damaged frames; the driver marks it done in the manifest.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from panchro.engine.errors import BadInputError, CancelledError, PanchroError
from panchro.engine.progress import Progress
from panchro.engine.restore.batch import Stage
from panchro.engine.restore.pipeline import ChunkPlan, render_planned

log = logging.getLogger(__name__)

INSTALL = "pip install 'panchro[cluster]'"
MAX_RETRIES = 3  # a task lost with its worker or node is run again this many times
LOCAL = "local"
WAIT_S = 0.5  # the driver looks for finished chunks, and for a cancel, this often


def require_ray() -> Any:
    """The `ray` module, or a BadInputError saying exactly what to install."""
    try:
        import ray
    except ImportError:
        raise BadInputError(f"--cluster needs Ray, which is not installed: {INSTALL}") from None
    return ray


# The stages of the last plan this worker process rendered: built once, kept for its chunks.
_STAGES: dict[str, list[Stage]] = {}


def render_chunk(
    plan: ChunkPlan, recipe: Callable[[], Sequence[Stage]], chunk: Any, key: str | None = None
) -> tuple[int, list[int]]:
    """One chunk of `plan` rendered into its job folder -> (chunk index, damaged frames).
    Runs in a Ray worker (or anywhere: it needs the film and the folder at their paths).
    The stages are built once for `key` (default: the plan's), kept for the next chunks."""
    key = key or plan.key
    stages = _STAGES.get(key)
    if stages is None:
        _STAGES.clear()
        stages = _STAGES[key] = list(recipe())
    done = render_planned(plan, [chunk], stages)
    return chunk.index, done[chunk.index]


@dataclass
class RayExecutor:
    """Renders a job's pending chunks as Ray tasks; the driver marks each done as it returns.

    `recipe` builds the stages inside a task (a picklable callable, e.g. a
    `functools.partial` of `restore.stages.build_stages` with every pick decided).
    `stages_key`: what the recipe's stages are for, when they serve more than one job (an
    archive's films share them): a worker then keeps them from one film's chunks to the
    next instead of loading the models again; by default each job's stages are its own."""

    recipe: Callable[[], Sequence[Stage]]
    max_retries: int = MAX_RETRIES
    gpus: float = 0.0  # GPUs a task asks for (Ray then shows it only those); 0: CPU only
    stages_key: str | None = None

    def __call__(self, job: Any, plan: ChunkPlan, progress: Progress) -> None:
        ray = require_ray()
        task = ray.remote(num_cpus=1, num_gpus=self.gpus, max_retries=self.max_retries)(
            render_chunk
        )
        plan_ref, recipe_ref = ray.put(plan), ray.put(self.recipe)
        pending = job.pending()
        refs = {task.remote(plan_ref, recipe_ref, c, self.stages_key): c for c in pending}
        finished = 0
        try:
            while refs:
                # In steps, so a cancel from another thread (an archive's) is seen at once.
                ready, _ = ray.wait(list(refs), num_returns=1, timeout=WAIT_S)
                if progress.cancel is not None and progress.cancel.is_set():
                    raise CancelledError("cancelled")
                for ref in ready:
                    chunk = refs.pop(ref)
                    try:
                        index, damaged = ray.get(ref)
                    except ray.exceptions.RayTaskError as exc:
                        if isinstance(exc.cause, PanchroError):
                            raise exc.cause from None
                        raise
                    assert index == chunk.index
                    job.mark_done(chunk, damaged)
                    finished += 1
                    progress.advance(chunk.frames, stage=f"chunk {finished}/{len(pending)}")
        finally:
            for ref in refs:
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)


def check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """BadInputError, in seconds, when nothing answers at a `host:port` address: Ray itself
    retries a cluster that is not there for minutes, printing only its own warnings."""
    import socket

    host, sep, port = address.rpartition(":")
    if address == LOCAL or not sep or not port.isdigit() or "://" in address:
        return  # "local", "auto", a ray:// client address: Ray's own to find
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise BadInputError(
            f"cannot reach the Ray cluster at {address}: nothing answers there "
            f"({exc.strerror or exc}); is `ray start --head` running on {host}, and is "
            f"port {port} open to this machine?"
        ) from None


AUTH_DOCS = "https://docs.ray.io/en/latest/ray-security/token-auth.html"
# What Ray's errors say when a token is missing or wrong: its gRPC status, its own
# messages. The GCS's "InvalidAuthToken" reaches the driver only inside the cause's text.
_AUTH_MARKERS = ("authtoken", "auth_token", "unauthenticated", "authentication")


def _chain_text(exc: BaseException) -> str:
    """`exc` and every cause and context under it, as one lower-case text."""
    parts, seen = [], set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        parts.append(f"{type(node).__name__}: {node}")
        node = node.__cause__ or node.__context__
    return "\n".join(parts).lower()


def auth_advice(address: str) -> str:
    """What to do when the cluster at `address` wants Ray's token and this run has none."""
    mode = os.environ.get("RAY_AUTH_MODE", "")
    here = f"this run has RAY_AUTH_MODE={mode}" if mode else "this run has RAY_AUTH_MODE unset"
    return (
        f"the Ray cluster at {address} refused this connection: it uses token "
        f"authentication and {here} (Ray 2.52 and later; `ray start --head` turns it on by "
        "itself when ~/.ray/auth_token exists). Either run with RAY_AUTH_MODE=token and the "
        "head's token (copy the head's ~/.ray/auth_token here, or set RAY_AUTH_TOKEN or "
        "RAY_AUTH_TOKEN_PATH), or, on a trusted network only, start every node and this run "
        f"with RAY_AUTH_MODE=disabled ({AUTH_DOCS})"
    )


def connect_error_message(address: str, exc: BaseException) -> str:
    """One line for a failed `ray.init` at `address`: a token refused or missing is named
    as such, not as a network fault (the port answered: `check_reachable` saw to that)."""
    text = _chain_text(exc)
    if any(m in text for m in _AUTH_MARKERS):
        return auth_advice(address)
    message = f"cannot reach the Ray cluster at {address}: {exc}"
    # Ray logs the GCS's refusal and raises only "Failed to connect": say the likeliest
    # cause, since something did answer at the port.
    tokenless = os.environ.get("RAY_AUTH_MODE", "").lower() != "token"
    if address != LOCAL and isinstance(exc, ConnectionError) and tokenless:
        message += (
            "; something answers at that port, so if the head uses token "
            "authentication, run with RAY_AUTH_MODE=token and its token (see "
            f"{AUTH_DOCS}), or start the head and this run with RAY_AUTH_MODE=disabled "
            "on a trusted network"
        )
    return message


@contextlib.contextmanager
def session(
    address: str,
    recipe: Callable[[], Sequence[Stage]],
    *,
    gpus: float = 0.0,
    stages_key: str | None = None,
) -> Iterator[RayExecutor]:
    """Connected to the cluster at `address` (`local`: one started on this machine and
    stopped at the end; `host:port`: a running one) for the block -> its executor, whose
    tasks ask for `gpus` GPUs each (`stages_key`: see `RayExecutor`).
    A Ray already initialised in this process is used as it is."""
    ray = require_ray()
    started = False
    if not ray.is_initialized():
        check_reachable(address)
        # The models folder travels when it is set: it must be where every node sees it.
        env = {k: os.environ[k] for k in ("PANCHRO_MODELS_DIR",) if k in os.environ}
        options: dict[str, Any] = {
            "runtime_env": {"env_vars": env} if env else None,
            "logging_level": logging.WARNING,
            "log_to_driver": True,
        }
        try:
            if address == LOCAL:
                ray.init(include_dashboard=False, **options)
            else:
                ray.init(address=address, **options)
        except (ConnectionError, RuntimeError, ValueError, ray.exceptions.RayError) as exc:
            raise BadInputError(connect_error_message(address, exc)) from None
        started = True
    try:
        yield RayExecutor(recipe, gpus=gpus, stages_key=stages_key)
    finally:
        if started:
            ray.shutdown()


__all__ = [
    "INSTALL",
    "auth_advice",
    "connect_error_message",
    "LOCAL",
    "RayExecutor",
    "check_reachable",
    "render_chunk",
    "require_ray",
    "session",
]
