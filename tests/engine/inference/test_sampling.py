"""Sampling chroma: the cached sampler equals the naive one, seeds, temperature, inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.utils._pytree as pytree
from torch.utils._python_dispatch import TorchDispatchMode

from panchro.engine.bench.models import bench_sample
from panchro.engine.errors import BadInputError
from panchro.engine.imaging.color import dequantize_chroma as bins_to_chroma
from panchro.engine.inference import sampling
from panchro.engine.inference.sampling import (
    _draw,
    cached_logits,
    despeckle,
    prepare_grey,
    sample_chroma,
)
from panchro.engine.models.colorizer import ColorizerConfig, build

SMALL = ColorizerConfig.small()
N = SMALL.chroma_size


def _model(seed: int = 0, dtype: torch.dtype = torch.float64, device: str = "cpu"):
    torch.manual_seed(seed)
    return build(SMALL).to(device=device, dtype=dtype).eval()


def _grey(seed: int = 1, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(SMALL.image_size, SMALL.image_size, generator=gen, dtype=dtype)


def test_shapes_and_range() -> None:
    out = sample_chroma(_model(), _grey(), k=3, seed=0)
    assert out.shape == (3, 2, N, N) and out.dtype == torch.long
    assert out.min().item() >= 0 and out.max().item() < SMALL.levels
    chroma = bins_to_chroma(out, SMALL.levels)
    assert chroma.shape == out.shape and chroma.dtype == torch.float32
    assert chroma.min().item() >= -0.5 and chroma.max().item() < 0.5


def test_cached_logits_equal_full_forward() -> None:
    """The caches reproduce the teacher-forced network at every position (float64 and float32)."""
    for dtype, tol in ((torch.float64, 1e-10), (torch.float32, 1e-4)):
        model = _model(dtype=dtype)
        grey = _grey(dtype=dtype)[None, None]
        bins = torch.randint(
            0, SMALL.levels, (2, 2, N, N), generator=torch.Generator().manual_seed(4)
        )
        with torch.no_grad():
            full = model(grey.expand(2, -1, -1, -1), bins)
        assert (cached_logits(model, grey, bins) - full).abs().max().item() < tol


@pytest.mark.parametrize("temperature", [1.0, 0.6, 0.0])
def test_cached_equals_naive_bin_for_bin(temperature: float) -> None:
    model = _model()
    grey = _grey()
    cached = sample_chroma(model, grey, k=3, seed=11, temperature=temperature, method="cached")
    naive = sample_chroma(model, grey, k=3, seed=11, temperature=temperature, method="naive")
    assert torch.equal(cached, naive)


def test_seed_determinism_and_variety() -> None:
    model = _model(dtype=torch.float32)
    grey = _grey(dtype=torch.float32)
    a = sample_chroma(model, grey, k=4, seed=5)
    assert torch.equal(a, sample_chroma(model, grey, k=4, seed=5))
    b = sample_chroma(model, grey, k=4, seed=6)
    assert not torch.equal(a, b)
    # the K samples of one call differ from each other too
    assert not torch.equal(a[0], a[1])


def test_temperature_zero_is_the_most_likely_path() -> None:
    model = _model()
    grey = _grey()
    a = sample_chroma(model, grey, k=2, seed=1, temperature=0.0)
    assert torch.equal(a, sample_chroma(model, grey, k=2, seed=99, temperature=0.0))
    assert torch.equal(a[0], a[1])
    # each value is the argmax of the logits given everything chosen before it
    with torch.no_grad():
        logits = model(grey[None, None].expand(2, -1, -1, -1), a)
    assert torch.equal(logits.argmax(dim=2), a)


def test_low_temperature_concentrates() -> None:
    """Cooler sampling gives samples closer to the most likely path than hot sampling does."""
    model = _model()
    grey = _grey()
    mode = sample_chroma(model, grey, k=1, seed=0, temperature=0.0)
    cool = sample_chroma(model, grey, k=8, seed=3, temperature=0.05)
    hot = sample_chroma(model, grey, k=8, seed=3, temperature=2.0)
    assert (cool == mode).float().mean() > (hot == mode).float().mean() + 0.3


def test_top_p_draws_only_from_the_nucleus_and_keeps_its_odds() -> None:
    # bins of probability 0.5, 0.3, 0.15, 0.05: top-p 0.8 keeps the first two, as 5 : 3
    logits = torch.log(torch.tensor([[0.15, 0.5, 0.05, 0.3]])).expand(4000, -1)
    u = torch.rand(4000, generator=torch.Generator().manual_seed(0))
    everything = _draw(logits, u, 1.0)
    nucleus = _draw(logits, u, 1.0, top_p=0.8)
    assert set(everything.tolist()) == {0, 1, 2, 3}
    assert set(nucleus.tolist()) == {1, 3}
    assert abs((nucleus == 1).float().mean().item() - 0.625) < 0.03
    assert torch.equal(_draw(logits, u, 1.0, top_p=1.0), everything)


def test_a_tiny_top_p_is_the_most_likely_path_and_bad_values_are_refused() -> None:
    model = _model()
    grey = _grey()
    mode = sample_chroma(model, grey, k=2, seed=1, temperature=0.0)
    assert torch.equal(sample_chroma(model, grey, k=2, seed=7, top_p=1e-9), mode)
    cached = sample_chroma(model, grey, k=3, seed=11, top_p=0.7, method="cached")
    assert torch.equal(cached, sample_chroma(model, grey, k=3, seed=11, top_p=0.7, method="naive"))
    for bad in (0.0, -0.1, 1.5, float("nan")):
        with pytest.raises(BadInputError, match="top_p"):
            sample_chroma(model, grey, k=1, seed=0, top_p=bad)


def test_despeckle_removes_a_lone_cell_and_keeps_colour_at_luma_edges() -> None:
    levels, size = 32, 12
    grey = torch.zeros(1, 1, 48, 48)
    grey[..., 24:] = 0.8  # a luma edge down the middle (at chroma cell 6)
    bins = torch.full((1, 2, size, size), 16, dtype=torch.long)
    bins[:, 0, :, 6:] = 26  # blue on the bright side
    bins[:, 1, 3, 2] = 30  # one lone red cell on the dark side
    calm = despeckle(bins, grey, levels, passes=2)
    assert calm[0, 1, 3, 2] <= 18  # the speck took its neighbours' colour
    assert torch.equal(calm[0, 0, :, :5], bins[0, 0, :, :5])  # the dark side stays grey
    assert torch.equal(calm[0, 0, :, 7:], bins[0, 0, :, 7:])  # the blue stays on its side
    assert (calm[0, 0, :, 6] >= 25).all() and (calm[0, 0, :, 5] <= 17).all()
    assert torch.equal(despeckle(bins, grey, levels, passes=0), bins)


def test_callback_once_per_row() -> None:
    calls: list[tuple[int, int]] = []
    sample_chroma(_model(), _grey(), k=1, seed=0, callback=lambda d, t: calls.append((d, t)))
    assert calls == [(i + 1, N) for i in range(N)]


def test_grey_layouts_and_bad_options() -> None:
    model = _model(dtype=torch.float32)
    img = (np.random.default_rng(0).random((90, 120)) * 255).astype(np.uint8)
    as_array = sample_chroma(model, img, k=2, seed=3)
    as_tensor = sample_chroma(model, torch.from_numpy(img)[None].float() / 255.0, k=2, seed=3)
    assert torch.equal(as_array, as_tensor)
    grey = prepare_grey(img, SMALL.image_size, torch.device("cpu"), torch.float32)
    assert grey.shape == (1, 1, SMALL.image_size, SMALL.image_size)
    assert grey.min().item() >= 0.0 and grey.max().item() <= 1.0
    with pytest.raises(BadInputError, match="k must be"):
        sample_chroma(model, img, k=0, seed=0)
    with pytest.raises(BadInputError, match="temperature"):
        sample_chroma(model, img, k=1, seed=0, temperature=-0.1)
    with pytest.raises(BadInputError, match="method"):
        sample_chroma(model, img, k=1, seed=0, method="fastest")
    with pytest.raises(BadInputError, match="2-D"):
        sample_chroma(model, np.zeros((3, 8, 8)), k=1, seed=0)
    with pytest.raises(BadInputError, match="NaN"):
        sample_chroma(model, np.full((8, 8), np.nan, np.float32), k=1, seed=0)


def test_training_mode_is_restored() -> None:
    model = _model(dtype=torch.float32).train()
    sample_chroma(model, _grey(dtype=torch.float32), k=1, seed=0)
    assert model.training


def test_bench_sample_reports_each_k() -> None:
    lines: list[str] = []
    result = bench_sample("cpu", ks=(1, 2), config=SMALL, print_fn=lines.append)
    assert set(result) == {"cpu"} and set(result["cpu"]) == {1, 2}
    assert all(v["seconds"] > 0 for v in result["cpu"].values())
    assert len(lines) == 2 and "K=2" in lines[1]
    # the graphed variant's path (on the CPU its rows run as they are, kept between calls)
    both = bench_sample("cpu", ks=(2,), config=SMALL, graphs=True, print_fn=lines.append)
    row = both["cpu"][2]
    assert row["graphs_equal"] is True and row["graphs_captured"] is True
    assert row["graphs_seconds"] > 0 and row["graphs_first_seconds"] > 0
    assert "rows as CUDA graphs" in lines[-1] and "the same bins" in lines[-1]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_cached_equals_naive() -> None:
    model = _model(device="cuda")
    grey = _grey()
    cached = sample_chroma(model, grey, k=4, seed=2, method="cached")
    assert cached.device.type == "cuda"
    assert torch.equal(cached, sample_chroma(model, grey, k=4, seed=2, method="naive"))
    assert torch.equal(cached, sample_chroma(model, grey, k=4, seed=2))


class _AddressLog(TorchDispatchMode):
    """Each op's name and the storages it touches that were there before the row began
    (the buffers a captured CUDA graph would read and write at fixed addresses)."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[tuple[str, tuple]] = []
        self.made: set[int] = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        kwargs = kwargs or {}
        tensors = [t for t in pytree.tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
        outer = [t for t in tensors if t.untyped_storage().data_ptr() not in self.made]
        result = func(*args, **kwargs)
        kept = {t.untyped_storage().data_ptr() for t in outer}
        for t in pytree.tree_leaves(result):
            if isinstance(t, torch.Tensor) and t.untyped_storage().data_ptr() not in kept:
                self.made.add(t.untyped_storage().data_ptr())
        # where in a buffer, not only which buffer: a view's own address, shape and strides
        where = tuple((t.data_ptr(), tuple(t.shape), t.stride()) for t in outer)
        self.ops.append((str(func), where))
        return result


@pytest.mark.parametrize("locked", [False, True])
def test_every_row_runs_the_same_ops_on_the_same_buffers(
    monkeypatch: pytest.MonkeyPatch, locked: bool
) -> None:
    """What a CUDA graph needs, checked on the CPU: a row's program is the same sequence of
    operations on the same long-lived buffers at every row (uniforms, locks and row biases
    refilled in place), so one captured row replays right for all. Reading `uniforms[..., i]`
    or rebinding a row's bias would show here as another address."""
    logs: list[_AddressLog] = []

    def recording(program):  # type: ignore[no-untyped-def]
        def run() -> None:
            with _AddressLog() as log:
                program()
            logs.append(log)

        return run

    monkeypatch.setattr(sampling, "_row_wrapper", lambda graphs, device: recording)
    model, grey = _model(dtype=torch.float32), _grey(dtype=torch.float32)
    fixed = None
    if locked:
        mask = np.zeros((N, N), bool)
        mask[2:5, 3:6] = True
        fixed = (np.full((2, N, N), 7), mask)
    got = sample_chroma(model, grey, k=3, seed=4, top_p=0.9, fixed=fixed, graphs=True)
    assert len(logs) == N and len(logs[0].ops) > 20 * N
    for log in logs[1:]:
        assert log.ops == logs[0].ops
    monkeypatch.undo()  # and the program is the sampler's own: the same bins without the log
    assert torch.equal(got, sample_chroma(model, grey, k=3, seed=4, top_p=0.9, fixed=fixed))
    if locked:
        assert (got[:, :, 2:5, 3:6] == 7).all()


def test_kept_rows_do_not_keep_their_network_alive() -> None:
    """The rows kept for the next call hold copies and tensors, not the network: a model
    let go is collected, and its kept rows go at the next call."""
    import gc
    import weakref

    model = _model(dtype=torch.float32)
    sample_chroma(model, _grey(dtype=torch.float32), k=2, seed=0, graphs=True)
    assert any(kept[0]() is model.pixelcnn for kept in sampling._KEPT.values())
    gone = weakref.ref(model.pixelcnn)
    del model
    gc.collect()
    assert gone() is None
    other = _model(seed=1, dtype=torch.float32)
    sample_chroma(other, _grey(dtype=torch.float32), k=2, seed=0, graphs=True)
    assert [kept[0]() for kept in sampling._KEPT.values()] == [other.pixelcnn]


def test_kept_rows_serve_one_call_at_a_time() -> None:
    """Two threads sampling the same network with `graphs` share its kept rows: each still
    gets the bins it would get alone."""
    from concurrent.futures import ThreadPoolExecutor

    model = _model(dtype=torch.float32)
    jobs = [(_grey(g, torch.float32), seed) for g, seed in ((1, 0), (2, 1), (3, 2), (4, 3))] * 2
    alone = [sample_chroma(model, grey, k=3, seed=seed) for grey, seed in jobs]
    with ThreadPoolExecutor(4) as pool:
        together = list(
            pool.map(lambda job: sample_chroma(model, job[0], k=3, seed=job[1], graphs=True), jobs)
        )
    assert all(torch.equal(a, b) for a, b in zip(alone, together, strict=True))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_graphed_rows_draw_the_same_bins() -> None:
    """Captured once, replayed for every row and reused by the next calls (other frames,
    seeds, locked colours): the very bins of the rows run as they are."""
    model = _model(device="cuda", dtype=torch.float32)
    mask = np.zeros((N, N), bool)
    mask[2:4, 1:5] = True
    for top_p in (1.0, 0.9):
        for seed, fixed in ((3, None), (4, None), (5, (np.full((2, N, N), 9), mask))):
            for g in (1, 2):
                kw = dict(k=4, seed=seed, top_p=top_p, fixed=fixed)
                plain = sample_chroma(model, _grey(g, torch.float32), **kw)
                graphed = sample_chroma(model, _grey(g, torch.float32), graphs=True, **kw)
                assert graphed.device.type == "cuda" and torch.equal(plain, graphed)


def test_kept_rows_start_afresh_from_each_call_and_the_current_weights() -> None:
    """With `graphs` the rows (and on CUDA their graph) are kept between calls and refilled
    in place: every call still draws what a fresh sampler draws, whatever came before, also
    after the weights change in place or for another model."""
    model = _model(dtype=torch.float32)
    mask = np.zeros((N, N), bool)
    mask[1:3, :4] = True
    calls = [
        dict(grey=_grey(1, torch.float32), seed=0, fixed=None),
        dict(grey=_grey(2, torch.float32), seed=9, fixed=None),
        dict(grey=_grey(1, torch.float32), seed=0, fixed=None),  # the first again
        dict(grey=_grey(3, torch.float32), seed=2, fixed=(np.full((2, N, N), 20), mask)),
        dict(grey=_grey(4, torch.float32), seed=3, fixed=(np.full((2, N, N), 5), mask)),
    ]
    for kw in calls:
        kept = sample_chroma(model, k=3, top_p=0.95, graphs=True, **kw)
        assert torch.equal(kept, sample_chroma(model, k=3, top_p=0.95, **kw))
    assert torch.equal(
        sample_chroma(model, k=3, top_p=0.95, graphs=True, **calls[0]),
        sample_chroma(model, k=3, top_p=0.95, graphs=True, **calls[2]),
    )
    before = sample_chroma(model, k=3, top_p=0.95, **calls[1])
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():  # what every step reads, each changed alone: a stale copy shows
        for p in (
            model.pixelcnn.head2.bias,
            model.pixelcnn.head2.weight,
            model.pixelcnn.head1.weight,
            model.pixelcnn.embed.weight,
            *(layer.h_conv.weight for layer in model.pixelcnn.layers),
            *(layer.h_res.weight for layer in model.pixelcnn.layers[1:]),
        ):
            p.add_(torch.randn(p.shape, generator=gen) * 2 * p.std())
            changed = sample_chroma(model, k=3, top_p=0.95, graphs=True, **calls[1])
            assert torch.equal(changed, sample_chroma(model, k=3, top_p=0.95, **calls[1]))
    assert not torch.equal(changed, before)
    other = _model(seed=5, dtype=torch.float32)
    assert torch.equal(
        sample_chroma(other, k=3, top_p=0.95, graphs=True, **calls[1]),
        sample_chroma(other, k=3, top_p=0.95, **calls[1]),
    )
