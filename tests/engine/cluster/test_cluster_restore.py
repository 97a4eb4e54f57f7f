"""One film across a real Ray cluster (loopback only, `panchro.engine.cluster.loopback`):
planned as a local run (same shots, automatic picks, chunks, settings digest, thread count),
each chunk a Ray task,
and the frames equal a local run's to the last bit (FFV1). Without Ray these tests skip;
`--cluster` then says what to install."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine import cli
from panchro.engine.cluster import loopback
from panchro.engine.project import Project
from panchro.engine.restore import pipeline
from tests.engine.cluster.faults import StallsOnTheDoomedNode
from tests.makemedia import make_video
from tests.makemodels import save_small_set

REPO = Path(__file__).resolve().parents[3]  # on the scripts' path: Ray's workers import `tests`


def need_cluster() -> None:
    reason = loopback.skip_reason()
    if reason:
        pytest.skip(reason)


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [
            np.stack([np.frombuffer(bytes(p), np.uint8) for p in f.planes])
            for f in container.decode(video=0)
        ]


def models(folder: Path) -> Path:
    return save_small_set(folder)


# The same restore twice, here and on the cluster; each run's plan is what Job.create got.
SCRIPT = """
import json, os
from functools import partial
from pathlib import Path

from panchro.engine.cluster.run import RayExecutor
from panchro.engine.project import Settings
from panchro.engine.restore import jobs
from panchro.engine.restore.pipeline import restore
from panchro.engine.restore.stages import build_stages

here = Path(os.environ["WORK"])
plans = []
create = jobs.Job.create.__func__

def recording(cls, output, identity, settings, shots, ranges, **kw):
    job = create(cls, output, identity, settings, shots, ranges, **kw)
    plans.append({"digest": jobs.settings_digest(settings), "shots": [list(s) for s in shots],
                  "ranges": [list(r) for r in ranges], "threads": job.threads})
    return job

jobs.Job.create = classmethod(recording)
settings = Settings(colorize=True, upscale=2, stabilize=1.0, deflicker=1.0)
common = dict(codec="ffv1", chunk_seconds=0.25)
restore(here / "film.mkv", here / "local.mkv", project=here / "local.panchro",
        stages=build_stages(settings, seed=3), **common)

seen = {}
ray_executor = RayExecutor(partial(build_stages, settings, seed=3, all_picked=True))

def executor(job, plan, progress):
    # What a killed attempt leaves: a half-written temporary and a stray chunk file.
    chunk = job.pending()[1]
    (job.folder / f".{chunk.file}.deadbeef.part.mkv").write_bytes(b"half a chunk")
    job.path_of(chunk).write_bytes(b"not a chunk")
    seen["pending"] = len(job.pending())
    ray_executor(job, plan, progress)
    seen["left"] = sorted(p.name for p in job.folder.iterdir() if ".part" in p.name)
    seen["manifest"] = json.loads((job.folder / "manifest.json").read_text())

restore(here / "film.mkv", here / "cluster.mkv", project=here / "cluster.panchro",
        stages=build_stages(settings, seed=3), executor=executor, **common)
print("RESULT", json.dumps({"plans": plans, **seen}))
"""


@pytest.mark.slow
def test_a_film_on_a_cluster_gives_the_frames_of_a_local_run(tmp_path: Path) -> None:
    need_cluster()
    film = make_video(tmp_path / "film.mkv", frames=30, size=(64, 48), codec="ffv1", cuts=(15,),
                      pattern="gray")  # fmt: skip
    for name in ("local", "cluster"):
        Project.new(film).save(tmp_path / f"{name}.panchro")
    env = {
        "WORK": str(tmp_path),
        "PANCHRO_MODELS_DIR": str(models(tmp_path / "models")),
        "PANCHRO_THREADS": "2",
    }
    done = loopback.run_script(SCRIPT, env=env, python_path=[REPO], timeout=150)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.split("RESULT ", 1)[1])
    local_plan, cluster_plan = result["plans"]
    assert cluster_plan == local_plan  # same shots, chunks, settings digest, threads
    assert len(local_plan["shots"]) == 2 and result["pending"] == len(local_plan["ranges"]) > 2
    assert local_plan["threads"] == 2
    assert result["left"] == []  # the killed attempt's temporary was discarded
    assert all(c["status"] == "done" for c in result["manifest"]["chunks"])
    local, cluster = frames_of(tmp_path / "local.mkv"), frames_of(tmp_path / "cluster.mkv")
    assert len(local) == len(cluster) == 30
    assert all(np.array_equal(a, b) for a, b in zip(local, cluster, strict=True))
    # colorized and enlarged, not passed through; stabilized and deflickered first, those
    # two stages reading the film around each chunk on the worker as they do here
    assert local[0].size == 3 * 128 * 96
    # The automatic picks were decided before the fan-out and recorded as a local run does.
    picks = [Project.load(tmp_path / f"{n}.panchro").picks for n in ("local", "cluster")]
    assert all(p is not None and p.source == "auto" for p in picks[1])
    assert [p.to_dict() for p in picks[0]] == [p.to_dict() for p in picks[1]]


# The CLI against a running cluster at host:port (the one started in the namespace).
CLI_SCRIPT = """
import subprocess
address = ray.get_runtime_context().gcs_address
done = subprocess.run(COMMAND + ["--cluster", address], capture_output=True, text=True)
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
ray.shutdown()
sys.exit(done.returncode)
"""


@pytest.mark.slow
def test_panchro_restore_with_cluster_joins_a_running_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_cluster()
    film = make_video(tmp_path / "film.mkv", frames=24, size=(64, 48), codec="ffv1", cuts=(12,))
    env = {"PANCHRO_MODELS_DIR": str(models(tmp_path / "models")), "PANCHRO_THREADS": "2"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    options = ["--colorize", "--seed", "3", "--codec", "ffv1", "--chunk-seconds", "0.25", "-q"]
    assert cli.main(["restore", str(film), str(tmp_path / "local.mkv"), *options]) == 0
    out = tmp_path / "cluster.mkv"
    command = [sys.executable, "-m", "panchro.engine", "restore", str(film), str(out), *options]
    done = loopback.run_script(
        CLI_SCRIPT.replace("COMMAND", repr(command)), env=env, python_path=[REPO]
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert out.is_file() and "24 frames" in done.stdout, done.stdout
    local, cluster = frames_of(tmp_path / "local.mkv"), frames_of(out)
    assert len(cluster) == 24
    assert all(np.array_equal(a, b) for a, b in zip(local, cluster, strict=True))
    assert not (tmp_path / "cluster.mkv.panchro-job").exists()


# A worker killed while its chunk is half encoded: Ray runs the task again, the half-written
# temporary is discarded, and the film still equals a local run's.
KILL_SCRIPT = """
import os
from functools import partial
from pathlib import Path

from panchro.engine.cluster.run import RayExecutor
from panchro.engine.restore.pipeline import restore
from tests.engine.cluster.faults import KillsItsWorkerOnce, kills_once

here = Path(os.environ["WORK"])
mark = str(here / "killed")
common = dict(codec="ffv1", chunk_seconds=0.25, batch=2)
restore(here / "film.mkv", here / "local.mkv", stages=[KillsItsWorkerOnce()], **common)
left = []
ray_executor = RayExecutor(partial(kills_once, mark), max_retries=2)

def executor(job, plan, progress):
    ray_executor(job, plan, progress)
    left.extend(p.name for p in job.folder.iterdir() if ".part" in p.name)

restore(here / "film.mkv", here / "cluster.mkv", stages=[KillsItsWorkerOnce(mark)],
        executor=executor, **common)
print("LEFT", left)
"""


@pytest.mark.slow
def test_a_worker_killed_midway_is_run_again_and_its_half_chunk_discarded(
    tmp_path: Path,
) -> None:
    need_cluster()
    make_video(tmp_path / "film.mkv", frames=18, size=(48, 32), codec="ffv1", audio=False)
    done = loopback.run_script(KILL_SCRIPT, env={"WORK": str(tmp_path)}, python_path=[REPO])
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "killed").is_file()  # a worker did die, midway through a chunk
    assert "LEFT []" in done.stdout
    local, cluster = frames_of(tmp_path / "local.mkv"), frames_of(tmp_path / "cluster.mkv")
    assert len(local) == len(cluster) == 18
    assert all(np.array_equal(a, b) for a, b in zip(local, cluster, strict=True))


def test_cluster_without_ray_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    film = make_video(tmp_path / "film.mkv", frames=4, size=(32, 24), codec="ffv1", audio=False)
    code = cli.main(["restore", str(film), str(tmp_path / "out.mkv"), "--cluster", "local"])
    assert code == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "pip install 'panchro[cluster]'" in err and "Ray" in err
    assert not (tmp_path / "out.mkv").exists()
    assert not (tmp_path / "out.mkv.panchro-job").exists()


@pytest.mark.slow
def test_an_archive_on_a_cluster_gives_the_films_of_a_local_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_cluster()
    films = tmp_path / "films"
    films.mkdir()
    make_video(films / "reel1.mkv", frames=20, size=(64, 48), codec="ffv1", cuts=(10,))
    make_video(films / "reel2.mp4", frames=12, size=(64, 48))
    listing = tmp_path / "reels.txt"
    listing.write_text("films/reel1.mkv\nfilms/missing.mkv\nfilms/reel2.mp4\n")
    env = {"PANCHRO_MODELS_DIR": str(models(tmp_path / "models")), "PANCHRO_THREADS": "2"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    options = ["--colorize", "--seed", "3", "--codec", "ffv1", "--chunk-seconds", "0.25", "-q"]
    local = ["restore", "--batch", str(listing), str(tmp_path / "local"), *options]
    assert cli.main(local) == cli.EXIT_BAD_INPUT  # the missing film
    out = tmp_path / "cluster"
    command = [sys.executable, "-m", "panchro.engine", "restore", "--batch", str(listing)]
    command += [str(out), *options]
    done = loopback.run_script(
        CLI_SCRIPT.replace("COMMAND", repr(command)), env=env, python_path=[REPO]
    )
    assert done.returncode == cli.EXIT_BAD_INPUT, done.stderr[-3000:]
    assert "2 restored" in done.stdout and "1 failed" in done.stdout, done.stdout
    assert "films/missing.mkv" in done.stdout and "does not exist" in done.stdout
    for name, count in (("reel1.mkv", 20), ("reel2.mkv", 12)):
        local_frames, cluster_frames = frames_of(tmp_path / "local" / name), frames_of(out / name)
        assert len(local_frames) == len(cluster_frames) == count
        assert all(np.array_equal(a, b) for a, b in zip(local_frames, cluster_frames, strict=True))
    assert sorted(p.name for p in out.iterdir()) == [
        ".panchro-archive",
        "reel1.mkv",
        "reel1.mkv.restoration.md",
        "reel2.mkv",
        "reel2.mkv.restoration.md",
    ]  # fmt: skip  (each film's record beside it)


# A second node, started with `ray start`, lost whole (its raylet, agents and workers killed)
# while one of its chunks is half encoded, after it finished one: the chunk it finished stays
# done, the others run on the head, and the film equals a local run's.
NODE_LOST_SCRIPT = """
import json, os, threading
from functools import partial
from pathlib import Path

from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from panchro.engine.cluster.run import RayExecutor
from panchro.engine.restore.pipeline import restore
from tests.engine.cluster.faults import StallsOnTheDoomedNode, stalls_on_the_doomed_node

here = Path(os.environ["WORK"])
log = here / "batches.log"
stalled = Path(f"{log}.stalled")
head = {n["NodeID"] for n in _alive()}
node = add_node(1, env={"PANCHRO_TEST_NODE": "doomed"})
doomed = next(n["NodeID"] for n in _alive() if n["NodeID"] not in head)


@ray.remote(num_cpus=1)
def warm():
    # A worker that has imported what a chunk needs on each node, so both start at once.
    import panchro.engine.inference.device, panchro.engine.restore.pipeline
    import tests.engine.cluster.faults
    return os.environ.get("PANCHRO_TEST_NODE") or "kept"


places = [NodeAffinitySchedulingStrategy(n, soft=False) for n in (doomed, *head)]
assert ray.get([warm.options(scheduling_strategy=p).remote() for p in places]) == ["doomed", "kept"]


def lose_the_node():
    while not stalled.exists():
        time.sleep(0.05)
    kill_node(node)


loser = threading.Thread(target=lose_the_node, daemon=True)
loser.start()
marked, seen = [], {}
ray_executor = RayExecutor(partial(stalls_on_the_doomed_node, str(log)), max_retries=3)


def executor(job, plan, progress):
    mark_done = job.mark_done
    def counted(chunk, damaged=()):
        marked.append(chunk.index)
        mark_done(chunk, damaged)
    job.mark_done = counted
    ray_executor(job, plan, progress)
    seen["left"] = [p.name for p in job.folder.iterdir() if ".part" in p.name]
    seen["chunks"] = [[c.start, c.end] for c in job.chunks]


nodes_before = len(_alive())
restore(here / "film.mkv", here / "cluster.mkv", stages=[StallsOnTheDoomedNode()],
        executor=executor, codec="ffv1", chunk_seconds=0.25, batch=2)
loser.join(timeout=60)  # the node marked dead (it is gone already: its chunk ran elsewhere)
print("RESULT", json.dumps({
    "marked": marked, **seen, "nodes_before": nodes_before, "nodes_after": len(_alive()),
    "stalled": stalled.exists(), "batches": log.read_text().splitlines(),
}))
"""


@pytest.mark.slow
def test_a_node_lost_midway_has_its_chunks_run_elsewhere(tmp_path: Path) -> None:
    need_cluster()
    film = make_video(tmp_path / "film.mkv", frames=48, size=(48, 32), codec="ffv1", audio=False)
    common = {"codec": "ffv1", "chunk_seconds": 0.25, "batch": 2}
    pipeline.restore(film, tmp_path / "local.mkv", stages=[StallsOnTheDoomedNode()], **common)
    done = loopback.run_script(
        NODE_LOST_SCRIPT, cluster="nodes", cpus=1, env={"WORK": str(tmp_path)},
        python_path=[REPO], timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.split("RESULT ", 1)[1].splitlines()[0])
    assert result["stalled"] and result["nodes_before"] == 2 and result["nodes_after"] == 1
    chunks = result["chunks"]
    assert len(chunks) == 8 and sorted(result["marked"]) == list(range(8))  # each done once
    assert result["left"] == []  # the lost node's half-written chunk was discarded
    # Who rendered each chunk whole (every frame, in one process): exactly one process each,
    # the lost node among them for a chunk it finished before it went.
    frames: dict[tuple[str, str], set[int]] = {}
    for line in result["batches"]:
        node, pid, *indices = line.split()
        frames.setdefault((node, pid), set()).update(map(int, indices))
    whole = [
        [who for who, got in frames.items() if set(range(start, end)) <= got]
        for start, end in chunks
    ]
    assert all(len(w) == 1 for w in whole), whole
    assert any(who[0][0] == "doomed" for who in whole), whole
    local, cluster = frames_of(tmp_path / "local.mkv"), frames_of(tmp_path / "cluster.mkv")
    assert len(local) == len(cluster) == 48
    assert all(np.array_equal(a, b) for a, b in zip(local, cluster, strict=True))


# The driver (the `panchro restore --cluster` process) killed once two chunks are done: the
# cluster lives on, the same command again resumes the job, and the film equals a local run's.
DRIVER_KILLED_SCRIPT = """
from pathlib import Path
address = ray.get_runtime_context().gcs_address
command = COMMAND + ["--cluster", address]
manifest = Path(os.environ["WORK"]) / "cluster.mkv.panchro-job" / "manifest.json"

def chunks():
    try:
        return json.loads(manifest.read_text())["chunks"]
    except (OSError, ValueError, KeyError):
        return []

first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
start = time.time()
while sum(c["status"] == "done" for c in chunks()) < 2 and first.poll() is None:
    if time.time() - start > 120:
        break
    time.sleep(0.02)
killed_at = sum(c["status"] == "done" for c in chunks())
first.kill()
first.wait()
total = len(chunks())
again = subprocess.run([c for c in command if c != "-q"], capture_output=True, text=True)
print("RESULT", json.dumps({"killed_at": killed_at, "total": total, "first": first.returncode,
                            "again": again.returncode, "said": again.stdout + again.stderr}))
ray.shutdown()
"""


@pytest.mark.slow
def test_a_driver_killed_midway_is_resumed_by_the_same_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_cluster()
    film = make_video(tmp_path / "film.mkv", frames=96, size=(160, 120), codec="ffv1")
    env = {"PANCHRO_MODELS_DIR": str(models(tmp_path / "models")), "PANCHRO_THREADS": "1",
           "WORK": str(tmp_path)}  # fmt: skip
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    options = ["--colorize", "--upscale", "2", "--seed", "3", "--codec", "ffv1",
               "--chunk-seconds", "0.25", "-q"]  # fmt: skip
    assert cli.main(["restore", str(film), str(tmp_path / "local.mkv"), *options]) == 0
    out = tmp_path / "cluster.mkv"
    command = [sys.executable, "-m", "panchro.engine", "restore", str(film), str(out), *options]
    done = loopback.run_script(
        DRIVER_KILLED_SCRIPT.replace("COMMAND", repr(command)), env=env, python_path=[REPO],
        timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.split("RESULT ", 1)[1].splitlines()[0])
    assert result["first"] != 0  # it was killed, not finished
    assert 2 <= result["killed_at"] < result["total"], result  # killed midway
    assert result["again"] == 0, result["said"][-3000:]
    assert "resum" in result["said"].lower(), result["said"][-2000:]  # it said it resumed
    local, cluster = frames_of(tmp_path / "local.mkv"), frames_of(out)
    assert len(cluster) == 96
    assert all(np.array_equal(a, b) for a, b in zip(local, cluster, strict=True))
    assert not (tmp_path / "cluster.mkv.panchro-job").exists()
