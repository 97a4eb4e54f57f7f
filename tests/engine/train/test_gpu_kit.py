"""The GPU kit on the CPU: the data pack under its cap, the carried wheels installed offline,
weights split and joined, and `make gpu-kit KIT_ARGS=--smoke` end to end without PyAV (as
the GPU image has none): fp16 weights with cards, curves, report and logs in the folder."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors import safe_open

from panchro.engine.bench.kit import run_kit
from panchro.engine.errors import BadInputError
from panchro.engine.models.weights import load_model, read_meta
from panchro.engine.train.kit import (
    CONTINUE_PLAN,
    FILE_BACK_LIMIT,
    FILES_BACK,
    MANIFEST,
    PLAN_PACKS,
    PLANS,
    KitModel,
    PackPart,
    install_wheels,
    join_parts,
    model_config,
    pace_for,
    pack_kit,
    pack_problems,
    plans_served,
    shipped_init,
    split_weights,
    starting_at_shard,
    train_model,
)

ROOT = Path(__file__).resolve().parents[3]
PARTS = (
    PackPart("photos", ("photos",), 128, 85, per_shard=6),
    PackPart("frames", ("clips",), 128, 85),  # an empty folder: said, not fatal
    PackPart("thumbs", ("thumbs",), 64, 90, per_shard=10),
)


def _picture(rng: np.random.Generator, w: int, h: int) -> Image.Image:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    planes = [np.sin(x / rng.uniform(3, 9) + i) * np.cos(y / rng.uniform(3, 9)) for i in range(3)]
    rgb = np.stack(planes, -1) * 100 + 128 + rng.normal(0, 12, (h, w, 3))
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A made-up data folder: 24 colour photos, one zip of 40 thumbnails, no clips."""
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    (root / "photos").mkdir()
    (root / "clips").mkdir()
    (root / "thumbs").mkdir()
    for i in range(24):
        _picture(rng, 300, 240).save(root / "photos" / f"p{i:03d}.jpg", quality=92)
    with zipfile.ZipFile(root / "thumbs" / "shard-000.zip", "w") as zf:
        for i in range(40):
            buf = io.BytesIO()
            _picture(rng, 64, 64).save(buf, format="JPEG")
            zf.writestr(f"t{i:03d}.jpg", buf.getvalue())
    return root


def test_the_pack_stays_under_its_cap(data_root: Path, tmp_path: Path) -> None:
    cap = 150_000  # less than all the pictures take: the cap must trim
    m = pack_kit(data_root, tmp_path / "kit", cap=cap, parts=PARTS, wheels=False, say=print)
    shards = list((tmp_path / "kit" / "data").rglob("*.zip"))
    on_disk = sum(p.stat().st_size for p in shards)
    assert 0 < on_disk == m["data_bytes"] <= cap
    assert json.loads((tmp_path / "kit" / MANIFEST).read_text()) == m
    parts = {p["name"]: p for p in m["parts"]}
    assert parts["photos"]["images"] > 0 and parts["frames"]["note"] == "no sources"
    dropped = sum(p.get("dropped_over_cap", 0) for p in m["parts"])
    assert dropped > 0 and parts["photos"]["images"] + parts["thumbs"]["images"] + dropped == 64
    assert m["transfer_bytes"] == m["tree_bytes"] + m["data_bytes"]  # no wheels asked for
    # the default cap leaves the tree its room under the 64 MiB a device call carries
    assert m["tree_bytes"] + 40 * 2**20 < 64 * 2**20


def test_carried_wheels_install_offline_only_when_missing(tmp_path: Path) -> None:
    kit = tmp_path / "kit"
    (kit / "wheels").mkdir(parents=True)
    name = "safetensors-0.0.1-py3-none-any.whl"  # present here: never installed over
    with zipfile.ZipFile(kit / "wheels" / name, "w") as zf:
        zf.writestr("x.py", "")
    report = install_wheels(kit, tmp_path / "site", say=print)
    assert report["missing"] == [] and report["installed"] == []
    assert not (tmp_path / "site").exists()


def test_weights_over_the_limit_split_and_join(tmp_path: Path) -> None:
    from panchro.engine.models.refiner import build, refiner_config
    from panchro.engine.models.weights import save_model

    cfg = refiner_config("cpu")
    whole = save_model(
        build(cfg).half(), cfg, tmp_path / "refiner.safetensors",
        card={"trained": True, "scale": "cpu-reduced", "steps": 1, "data": "test"},
    )  # fmt: skip
    size = whole.stat().st_size
    parts = split_weights(whole, limit=size // 2)
    assert len(parts) >= 2 and not whole.exists()
    assert all(p.stat().st_size <= size // 2 for p in parts)
    with pytest.raises(Exception, match="not a Panchro weights file"):
        read_meta(parts[0])  # a part alone is refused, not half-loaded
    (joined,) = join_parts(tmp_path)
    model, _, _ = load_model(joined)
    assert sum(p.numel() for p in model.parameters()) == build(cfg).num_params()


BLOCK_AV = """
import sys, importlib.abc
class NoAv(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "av" or name.startswith("av."):
            raise ImportError("no PyAV on this machine (as on the GPU image)")
sys.meta_path.insert(0, NoAv())
"""


@pytest.mark.slow
def test_the_smoke_kit_writes_what_the_gpu_kit_would(data_root: Path, tmp_path: Path) -> None:
    """`make gpu-kit` itself (its python reaching panchro through links, as on the GPU machine),
    with PyAV blocked, tiny sizes: the same files as the full kit, within 2 minutes."""
    kit, out = tmp_path / "kit", tmp_path / "out"
    pack_kit(data_root, kit, cap=400_000, parts=PARTS, wheels=False, say=print)
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(BLOCK_AV)  # python imports it at start-up
    env = {**os.environ, "PYTHONPATH": str(shim)}  # the Makefile keeps it after its links
    env.pop("PANCHRO_MODELS_DIR", None)  # the kit benches the shipped models
    cmd = ["make", "-s", "gpu-kit", f"OUT={out}", f"KIT={kit}", f"GPU_PYTHON={sys.executable}"]
    cmd += ["KIT_ARGS=--smoke --device cpu --budget 70", f"KIT_PATH={tmp_path / 'links'}"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "PyAV absent" in done.stdout

    files = sorted(p.name for p in out.iterdir())
    weights = ["colorizer", "refiner", "upscaler_x2", "upscaler_x4"]
    assert files == sorted([*(f"{w}.safetensors" for w in weights), "kit_logs.tar.gz",
                            "kit_report.json"])  # fmt: skip
    assert len(files) <= FILES_BACK
    for w in weights:
        path = out / f"{w}.safetensors"
        assert path.stat().st_size <= FILE_BACK_LIMIT
        with safe_open(str(path), framework="pt") as f:
            assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.float16}  # noqa: SIM118
        card = read_meta(path, expect=w)["card"]
        assert card["trained"] is True and card["dtype"] == "float16" and card["steps"] > 0
        assert card["kit"]["smoke"] is True
        load_model(path)  # fp16 on disk loads into the float32 network
    assert (
        "JPEG in place of H.264"
        in read_meta(out / "upscaler_x2.safetensors")["card"]["degradation"]
    )

    report = json.loads((out / "kit_report.json").read_text())
    assert report["packages"]["av"] is False and report["notes"]
    assert report["benches"]["restore"]["kit models"]["mode"] == "stages only"
    kit_bench = report["benches"]["restore"]["kit models"]
    assert kit_bench["fps"] > 0
    assert set(kit_bench["stage_seconds"]) == {"ColorizeStage", "UpscaleStage", "coding"}
    assert 0 < sum(kit_bench["stage_seconds"].values()) <= kit_bench["seconds"] + 0.01
    assert set(report["benches"]["sample"]["cpu"]) == {"1", "4", "8"}
    with tarfile.open(out / "kit_logs.tar.gz") as tar:
        names = set(tar.getnames())
        for w in weights:
            assert {f"{w}/log.jsonl", f"{w}/curves.csv", f"{w}/curves.png"} <= names
            rows = tar.extractfile(f"{w}/curves.csv").read().decode().splitlines()  # type: ignore[union-attr]
            assert rows[0].startswith("step,") and len(rows) > 2
    assert {"console.log", "kit_report.json"} <= names
    assert report["wall_s"] < 120


def test_the_continue_plan_trains_the_shipped_networks_on() -> None:
    """Each model of the "continue" plan is the shipped network, so it starts from the shipped
    weights rather than from scratch (a config drifting from the shipped one fails here)."""
    for m in CONTINUE_PLAN + PLANS["refiner"]:
        init = shipped_init(m)
        assert init is not None and init.name == f"{m.name}.safetensors", m.name
    assert {m.name for m in CONTINUE_PLAN} >= {"colorizer", "upscaler_x2_sharp"}
    assert [m.name for m in PLANS["refiner"]] == ["refiner"]


def test_a_sharp_upscaler_trains_in_the_kit(data_root: Path, tmp_path: Path) -> None:
    """The kit's time-boxed run of a sharp (one-frame) upscaler: its kind reaches the weights."""
    kit = tmp_path / "kit"
    pack_kit(data_root, kit, cap=400_000, parts=PARTS, wheels=False, say=print)
    m = KitModel("upscaler_x2_sharp", "upscaler", "small", 1.0, 4, 1e-3, scale=2, patch=12,
                 parts=("photos",), kind="sharp")  # fmt: skip
    r = train_model(m, [kit / "data" / "photos"], tmp_path / "run", 20.0, device="cpu",
                    pace=pace_for(True), h264=False, say=print)  # fmt: skip
    assert r["step"] > 0 and r["init"] is None  # "small" is not the shipped network
    config = read_meta(Path(r["weights"]), expect="upscaler_x2_sharp")["config"]
    assert config["kind"] == "sharp" and config["frames"] == 1


def test_a_later_pack_can_start_at_another_shard(tmp_path: Path) -> None:
    """`kit-pack --thumbs-start 1`: the capped part is packed from its second shard on, so a
    second GPU run sees pictures the first pack left out."""
    rng = np.random.default_rng(1)
    root = tmp_path / "data"
    (root / "thumbs").mkdir(parents=True)
    for s in range(3):
        with zipfile.ZipFile(root / "thumbs" / f"shard-{s:03d}.zip", "w") as zf:
            for i in range(10):
                buf = io.BytesIO()
                _picture(rng, 64, 64).save(buf, format="JPEG")
                zf.writestr(f"s{s}_t{i:03d}.jpg", buf.getvalue())
    parts = (PackPart("thumbs", ("thumbs",), 64, 90, per_shard=10),)
    moved = starting_at_shard(parts, root, "thumbs", 1)
    assert moved[0].sources == ("thumbs/shard-001.zip", "thumbs/shard-002.zip",
                                "thumbs/shard-000.zip")  # fmt: skip
    assert starting_at_shard(parts, root, "thumbs", 3)[0].sources[0] == "thumbs/shard-000.zip"
    assert starting_at_shard(parts, root, "photos", 1) == parts  # another part: untouched
    kit = tmp_path / "kit"
    pack_kit(root, kit, cap=30_000, parts=moved, wheels=False, say=print)  # room for ~one shard
    names: set[str] = set()
    for z in (kit / "data" / "thumbs").glob("*.zip"):
        names |= set(zipfile.ZipFile(z).namelist())
    assert names and all(n.startswith("s1_") for n in names), sorted(names)[:5]


def test_the_kit_trains_only_what_it_is_told(data_root: Path, tmp_path: Path) -> None:
    """`train kit --only refiner --no-bench`: one model, no benches; a name not in the plan is
    refused before anything runs."""
    kit, out = tmp_path / "kit", tmp_path / "out"
    pack_kit(data_root, kit, cap=400_000, parts=PARTS, wheels=False, say=print)
    with pytest.raises(BadInputError, match="not in the plan: upscaler_x8"):
        run_kit(out, kit_dir=kit, smoke=True, only=["upscaler_x8"], device="cpu")
    assert not out.exists()
    report = run_kit(out, kit_dir=kit, smoke=True, only=["refiner"], bench=False, budget=20,
                     device="cpu", say=print)  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == [
        "kit_logs.tar.gz", "kit_report.json", "refiner.safetensors"]  # fmt: skip
    assert [r["name"] for r in report["runs"]] == ["refiner"] and report["benches"] == {}


def _manifest(parts: tuple[PackPart, ...], *, empty: tuple[str, ...] = ()) -> dict:
    """A manifest as `pack_kit` writes it for `parts`, each holding pictures but `empty`."""
    return {"parts": [{"name": p.name, "size": p.size, "images": 0 if p.name in empty else 500}
                      for p in parts]}  # fmt: skip


def test_each_plan_is_served_by_its_own_pack_and_no_other_that_lacks_its_needs() -> None:
    """`kit-pack --plan P` packs what plan P needs; the continue pack's 144-px photos cannot
    train the refiner (256 px), and a pack without thumbnails cannot train the colorizer on."""
    for name in PLANS:
        assert plans_served(_manifest(PLAN_PACKS[name]))[name] == [], name
    served = plans_served(_manifest(PLAN_PACKS["continue"]))
    assert served["continue"] == [] and served["full"] and served["refiner"]
    assert "refiner needs photos at 256 px or more; the pack's are 144 px" in served["refiner"]
    no_thumbs = pack_problems(
        PLANS["continue"], _manifest(PLAN_PACKS["continue"], empty=("thumbs",))
    )
    assert no_thumbs == ["colorizer needs the thumbs part and the pack holds none"]
    # the full plan's pack has room for no thumbnails: its colorizer is not made to need them
    assert pack_problems(PLANS["full"], _manifest(PLAN_PACKS["full"], empty=("thumbs",))) == []


def test_what_a_plan_needs_follows_its_networks() -> None:
    """The sizes in `needs` are what the trainers crop: a config or patch changed without its
    need fails here."""
    for models in PLANS.values():
        for m in models:
            needs = dict(m.needs)
            cfg = model_config(m)
            assert "photos" in needs, m.name
            if m.trainer == "colorizer":
                assert needs["photos"] >= cfg.image_size
            elif m.trainer == "refiner":
                assert needs["photos"] >= cfg.working_size and needs["frames"] >= cfg.working_size
            else:  # the upscaler trainer never shrinks a picture under its crop + 8
                assert needs["photos"] >= m.patch * m.scale + 8, m.name
            assert set(needs) <= set(m.parts), m.name


def test_the_kit_refuses_a_pack_that_cannot_serve_its_plan(data_root: Path, tmp_path: Path) -> None:
    """The made-up pack (128-px photos, no clips) cannot train the refiner: said before any
    device time is spent, with the pack command that would serve it, and nothing written."""
    kit, out = tmp_path / "kit", tmp_path / "out"
    m = pack_kit(data_root, kit, cap=400_000, parts=PARTS, wheels=False, plan="test", say=print)
    assert m["plan"] == "test"
    with pytest.raises(BadInputError, match=r"cannot serve plan refiner: refiner needs photos at"
                       r" 256 px or more; the pack's are 128 px; refiner needs the frames part"
                       r".*--plan refiner"):  # fmt: skip
        run_kit(out, kit_dir=kit, plan="refiner", device="cpu", say=print)
    assert not out.exists()


def test_the_check_trains_nothing_and_runs_the_gpu_tests_and_benches(tmp_path: Path) -> None:
    """`train kit --check`: no packed data needed, nothing trained; the GPU-marked tests (in a
    child pytest, skipped here) and the benches with the shipped models, in the report."""
    out = tmp_path / "out"
    report = run_kit(out, kit_dir=tmp_path / "no_kit", smoke=True, check=True, device="cpu",
                     say=print)  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == ["kit_logs.tar.gz", "kit_report.json"]
    assert report["plan"] == "check" and report["runs"] == []
    report = json.loads((out / "kit_report.json").read_text())  # as it comes back
    tests = report["benches"]["tests"]
    assert tests["rc"] == 0 and "skipped" in tests["tail"][-1], tests  # no CUDA here
    assert set(report["benches"]["sample"]["small"]["cpu"]) == {"1", "8"}
    assert report["benches"]["restore"]["shipped models"]["fps"] > 0
    stages = report["benches"]["stages"]
    assert stages["host arrays"]["planes"] == "host arrays"
    assert stages["resident planes"]["planes"] == "resident planes"
    assert all(s["fps"] > 0 and s["stage_seconds"]["coding"] > 0 for s in stages.values())
    for kind in ("dust", "scratches"):
        assert report["benches"][kind]["fps"] > 0 and report["benches"][kind]["frames"] >= 8
