"""`panchro self-test`: does this installation work, end to end, on the bundled sample film?

What a person (or CI, on a freshly built bundle) runs to know the program is
whole: the engine starts the way the GUI starts it (`paths.engine_argv()`, the
bundled `panchro-engine` in a bundle), answers hello with this version and
protocol and refuses another protocol, opens the sample film, samples K=2
colour modes of one frame, and restores one second of the film; the output
must have the right number of frames, the source's sound, and the source's
luma (restoration never changes the film's luma; only the codec may, a little).

Policy, printed with every report: each check passes, fails or is skipped. A
skip is not a pass -- the colour-mode check is skipped when no colorizer
weights are installed, and the report says so -- but it does not fail the run
either: exit 0 means "nothing that could run failed". `--strict` turns skips
into a failure (for a release bundle that must ship its weights).

The test reads the film itself with PyAV (`media`), so this module is engine
code; the GUI runs it as a separate process (`panchro-engine self-test`).
"""

from __future__ import annotations

import base64
import contextlib
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from panchro.engine import __version__, paths
from panchro.engine.service.client import EngineClient, EngineError
from panchro.engine.service.protocol import PROTOCOL_VERSION, ErrorCode

PASS, FAIL, SKIP = "pass", "fail", "skip"
K = 2
SECONDS = 1.0
# "Luma unchanged", in 8-bit steps. The pipeline hands the encoder the source's luma as it
# is; H.264 at crf 18 then drops the film grain, which moves single pixels a lot and local
# means hardly at all. So frames are compared as 4x4 block means. Measured on 1 s of the
# sample film (5 frames): per-pixel mean |dY| 1.64 (worst frame 1.93), block mean |dY| 0.64
# (worst 0.74), mean signed dY +0.06. Real changes measured the same way: the previous frame
# instead of this one 6.1 (up to 8.4), a limited/full range slip 7.4, gamma 1.1 7.6, a +1
# level offset 1.0 signed. Limits: worst frame's block mean |dY| < 2 and |mean dY| < 0.5 --
# about 3x and 8x the codec's loss, and 3x and 2x below the smallest real change.
LUMA_BLOCK = 4
LUMA_TOLERANCE = 2.0
LUMA_BIAS_TOLERANCE = 0.5
LUMA_FRAMES = 5
POLICY = (
    "exit 0 when no check failed; a skipped check is not a pass but does not fail the run "
    "(--strict: it does)"
)


class CheckSkipped(Exception):
    """The check could not run here (e.g. no colorizer weights); not a failure."""


class CheckFailed(Exception):
    """The check ran and found something wrong."""


@dataclass
class Check:
    name: str
    status: str  # PASS, FAIL or SKIP
    detail: str
    seconds: float = 0.0

    def row(self, width: int = 20) -> str:
        return f"  {self.status.upper():<4}  {self.name:<{width}}  {self.detail}"


@dataclass
class Report:
    version: str
    engine: list[str]
    checks: list[Check] = field(default_factory=list)
    strict: bool = False
    log: str = ""

    @property
    def ok(self) -> bool:
        bad = {FAIL, SKIP} if self.strict else {FAIL}
        return bool(self.checks) and not any(c.status in bad for c in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "policy": POLICY,
            "strict": self.strict,
            "engine": self.engine,
            "log": self.log,
            "checks": [asdict(c) for c in self.checks],
        }

    def header(self) -> str:
        return f"Panchro {self.version} self-test"

    def summary(self) -> str:
        counts = {s: sum(c.status == s for c in self.checks) for s in (PASS, FAIL, SKIP)}
        verdict = "PASSED" if self.ok else "FAILED"
        text = (
            f"{verdict}: {counts[PASS]} passed, {counts[FAIL]} failed, {counts[SKIP]} skipped\n"
            f"policy: {POLICY}"
        )
        text += f"\nengine: {' '.join(self.engine)}"
        return text + (f"\nengine log: {self.log}" if self.log else "")

    def describe(self) -> str:
        width = max((len(c.name) for c in self.checks), default=0)
        rows = [c.row(width) for c in self.checks]
        return "\n".join([self.header(), *rows, self.summary()])


class _Runner:
    def __init__(self, report: Report, echo: Callable[[Check], None] | None) -> None:
        self.report = report
        self.echo = echo
        self.failed: set[str] = set()

    def run(self, name: str, fn: Callable[[], str], *, needs: tuple[str, ...] = ()) -> bool:
        """Run one check; True when it passed. A check whose prerequisite did not pass is
        skipped, naming it (the prerequisite's failure already fails the run)."""
        missing = [n for n in needs if n in self.failed]
        start = time.monotonic()
        if missing:
            status, detail = SKIP, f"not run: needs {', '.join(missing)}"
        else:
            try:
                status, detail = PASS, fn()
            except CheckSkipped as exc:
                status, detail = SKIP, str(exc)
            except CheckFailed as exc:
                status, detail = FAIL, str(exc)
            except EngineError as exc:
                status, detail = FAIL, f"engine: {exc.message} ({exc.code})"
            except Exception as exc:  # a broken install shows up as anything; report it all
                status, detail = FAIL, f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        check = Check(name, status, detail, round(time.monotonic() - start, 3))
        self.report.checks.append(check)
        if status != PASS:
            self.failed.add(name)
        if self.echo is not None:
            self.echo(check)
        return status == PASS


# --- the parts that look at files ------------------------------------------------------------


def cut_excerpt(source: Path, output: Path, seconds: float) -> None:
    """The first `seconds` of `source` into `output` (same container), packets copied.

    Nothing is re-encoded, so the excerpt decodes to exactly the film's first
    frames. Video keeps every packet up to the last one (in decode order) shown
    before `seconds`, so the frames those need as references come along; a
    B-frame film then carries a frame or two past the cut, which is fine: the
    checks compare the output with the excerpt. Sound and subtitles keep the
    packets that start before the cut.
    """
    import av

    with av.open(str(source)) as inp:
        video = inp.streams.video[0]
        kept = [s for s in inp.streams if s.type in ("video", "audio", "subtitle")]
        kept = [video] + [s for s in kept if s.index != video.index and s.type != "video"]
        start = video.start_time or 0
        cut_v = start + int(seconds / video.time_base)
        last = -1
        for n, pkt in enumerate(p for p in inp.demux(video) if p.size):
            if pkt.pts is not None and pkt.pts < cut_v:
                last = n
        if last < 0:
            raise CheckFailed(f"{source}: no video frame starts within the first {seconds:g} s")
        inp.seek(0)
        with av.open(str(output), "w") as out:
            mapped = {s.index: out.add_stream_from_template(s) for s in kept}
            n_video = -1
            for pkt in inp.demux(*kept):
                if not pkt.size:
                    continue
                s = pkt.stream
                if s.index == video.index:
                    n_video += 1
                    if n_video > last:
                        continue
                else:
                    s_start = s.start_time or 0
                    if pkt.pts is None or pkt.pts >= s_start + int(seconds / s.time_base):
                        continue
                pkt.stream = mapped[s.index]
                out.mux(pkt)


@dataclass(frozen=True)
class _Streams:
    frames: int
    audio_streams: int
    audio_seconds: float  # of the first audio stream, from its packets


def _streams(path: Path) -> _Streams:
    import av

    from panchro.engine import media

    info = media.probe(path)
    audio_s = 0.0
    with av.open(str(path)) as c:
        if c.streams.audio:
            a = c.streams.audio[0]
            audio_s = float(sum((p.duration or 0) for p in c.demux(a) if p.size) * a.time_base)
    return _Streams(info.frame_count, len(info.audio), audio_s)


@dataclass(frozen=True)
class LumaDiff:
    """How far film b's luma is from film a's, in 8-bit steps, over the compared frames."""

    frames: int
    pixel_mad: float  # mean |dY| per pixel (grain lost to the codec counts here)
    block_mad_worst: float  # the worst frame's mean |dY| of 4x4 block means
    bias: float  # mean signed dY (b - a)

    @property
    def ok(self) -> bool:
        return self.block_mad_worst < LUMA_TOLERANCE and abs(self.bias) < LUMA_BIAS_TOLERANCE

    def describe(self) -> str:
        return (
            f"block |dY| worst {self.block_mad_worst:.2f}/255 (limit {LUMA_TOLERANCE:g}), "
            f"bias {self.bias:+.2f}/255 (limit {LUMA_BIAS_TOLERANCE:g}), "
            f"per pixel {self.pixel_mad:.2f}/255, {self.frames} frames"
        )


def _blocks(y: Any) -> Any:
    f = LUMA_BLOCK
    h, w = (y.shape[0] // f) * f, (y.shape[1] // f) * f
    return y[:h, :w].reshape(h // f, f, w // f, f).mean(axis=(1, 3))


def luma_difference(a: Path, b: Path, frames: int = LUMA_FRAMES) -> LumaDiff:
    """Compare the luma of `frames` frames spread across the shorter film, decoded as `gray`
    (the luma plane as stored, no conversion)."""
    import numpy as np

    from panchro.engine import media

    with media.open_source(a) as sa, media.open_source(b) as sb:
        n = min(sa.info.frame_count, sb.info.frame_count)
        if n < 1:
            raise CheckFailed("no frames to compare")
        if (sa.info.width, sa.info.height) != (sb.info.width, sb.info.height):
            raise CheckFailed(
                f"size changed: {sa.info.width}x{sa.info.height} -> "
                f"{sb.info.width}x{sb.info.height}"
            )
        picks = sorted({round(i * (n - 1) / max(1, frames - 1)) for i in range(frames)})
        pixel, block, bias = [], [], []
        for i in picks:
            ya = sa.read_frame(i, fmt="gray").image.astype(np.float64)
            yb = sb.read_frame(i, fmt="gray").image.astype(np.float64)
            pixel.append(float(np.abs(yb - ya).mean()))
            block.append(float(np.abs(_blocks(yb) - _blocks(ya)).mean()))
            bias.append(float((yb - ya).mean()))
    return LumaDiff(len(picks), float(np.mean(pixel)), max(block), float(np.mean(bias)))


# --- the run ------------------------------------------------------------------------------


def run_self_test(
    *,
    film: str | Path | None = None,
    seconds: float = SECONDS,
    k: int = K,
    strict: bool = False,
    engine_argv: list[str] | None = None,
    timeout: float = 300.0,
    echo: Callable[[Check], None] | None = None,
) -> Report:
    """Run every check and return the report (never raises for a failed check).

    `film`: another film instead of the sample; `engine_argv`: another engine
    command (tests); `echo` hears each check as it finishes (for a live report).
    """
    film = Path(film) if film is not None else paths.sample_film()
    argv = list(engine_argv) if engine_argv is not None else paths.engine_argv()
    report = Report(__version__, argv, strict=strict)
    run = _Runner(report, echo)
    state: dict[str, Any] = {}

    def version() -> str:
        if __version__.startswith("0.0.0"):
            raise CheckFailed(f"no package metadata for panchro (version {__version__})")
        return f"panchro {__version__}, protocol {PROTOCOL_VERSION}"

    def sample_film() -> str:
        if not film.is_file():
            raise CheckFailed(f"{film}: not there")
        return f"{film} ({film.stat().st_size / 1e6:.1f} MB)"

    run.run("version", version)
    run.run("sample film", sample_film)

    log_path = _writable(paths.user_log_dir) / "selftest-engine.log"
    with contextlib.suppress(OSError):
        log_path.write_bytes(b"")  # this run's log only
    report.log = str(log_path)
    client: EngineClient | None = None

    def start_engine() -> str:
        nonlocal client
        t0 = time.monotonic()
        client = EngineClient.start(argv, stderr=log_path)
        hello = client.request(
            "hello", timeout, protocol=PROTOCOL_VERSION, client="panchro-self-test"
        ).data
        took = time.monotonic() - t0
        state["hello"] = hello
        if hello.get("version") != __version__:
            theirs = hello.get("version")
            raise CheckFailed(f"the engine is panchro {theirs}, this is {__version__}")
        if hello.get("protocol") != PROTOCOL_VERSION:
            raise CheckFailed(f"the engine speaks protocol {hello.get('protocol')}")
        if not hello.get("torch"):
            raise CheckFailed("the engine cannot import torch: no model can run")
        device = hello.get("device") or {}
        return (
            f"panchro {hello['version']}, protocol {hello['protocol']}, torch {hello['torch']}, "
            f"{device.get('type', '?')} ({device.get('name', '?')}); ready in {took:.1f} s"
        )

    def protocol_guard() -> str:
        assert client is not None
        try:
            client.request("hello", timeout, protocol=PROTOCOL_VERSION + 1, client="self-test")
        except EngineError as exc:
            if exc.code != ErrorCode.VERSION_MISMATCH:
                raise
            return f"refused protocol {PROTOCOL_VERSION + 1}: {exc.message}"
        raise CheckFailed(f"the engine accepted a client of protocol {PROTOCOL_VERSION + 1}")

    def open_film() -> str:
        assert client is not None
        data = client.request("open", timeout, path=str(film)).data
        info = data["info"]
        state["film"], state["info"] = data["film"], info
        return (
            f"{info['width']}x{info['height']}, {info['frame_count']} frames, "
            f"{float(info['duration_s']):.2f} s, {len(info['audio'])} audio stream(s)"
        )

    def colour_modes() -> str:
        assert client is not None
        return sample_modes(client, state["hello"], state["film"], state["info"], k, timeout)

    def restore() -> str:
        assert client is not None
        work = Path(state["work"])
        excerpt = work / f"excerpt{film.suffix.lower() or '.mp4'}"
        cut_excerpt(film, excerpt, seconds)
        out = work / "restored.mp4"
        t0 = time.monotonic()
        data = client.request(
            "render", timeout, path=str(excerpt), output=str(out), codec="h264", overwrite=True
        ).data
        took = time.monotonic() - t0
        state["excerpt"], state["output"] = excerpt, out
        return f"{data['frames']} frames of {excerpt.name} -> {out.name} in {took:.1f} s (h264)"

    def streams() -> tuple[_Streams, _Streams]:
        if "streams" not in state:
            state["streams"] = _streams(state["excerpt"]), _streams(state["output"])
        return state["streams"]

    def frame_count() -> str:
        src, dst = streams()
        if src.frames != dst.frames:
            raise CheckFailed(f"{dst.frames} frames out, {src.frames} in")
        return f"{dst.frames} frames in and out"

    def sound() -> str:
        expected = len(state["info"]["audio"])
        src, dst = streams()
        if dst.audio_streams != expected:
            raise CheckFailed(f"{dst.audio_streams} audio stream(s) out, the film has {expected}")
        if expected == 0:
            return "the film has no sound, and neither has the output"
        if dst.audio_seconds < 0.9 * src.audio_seconds:
            out_s, in_s = dst.audio_seconds, src.audio_seconds
            raise CheckFailed(f"{out_s:.2f} s of sound out, {in_s:.2f} s in")
        return f"{dst.audio_streams} audio stream(s), {dst.audio_seconds:.2f} s of sound"

    def luma() -> str:
        diff = luma_difference(state["excerpt"], state["output"])
        if not diff.ok:
            raise CheckFailed(f"the luma changed: {diff.describe()}")
        return diff.describe()

    def shutdown() -> str:
        nonlocal client
        assert client is not None
        code = client.close(timeout=30)
        client = None
        if code != 0:
            raise CheckFailed(f"the engine exited with code {code}")
        return "exit code 0"

    scratch = _writable(paths.user_cache_dir)
    with tempfile.TemporaryDirectory(prefix="selftest-", dir=scratch) as work:
        state["work"] = work
        try:
            run.run("engine starts", start_engine, needs=("version",))
            run.run("protocol guard", protocol_guard, needs=("engine starts",))
            run.run("open film", open_film, needs=("sample film", "engine starts"))
            run.run(f"colour modes (K={k})", colour_modes, needs=("open film",))
            run.run(f"restore {seconds:g} s", restore, needs=("open film",))
            out = (f"restore {seconds:g} s",)
            run.run("frame count", frame_count, needs=out)
            run.run("sound", sound, needs=out)
            run.run("luma unchanged", luma, needs=out)
            run.run("engine stops", shutdown, needs=("engine starts",))
        finally:
            if client is not None:
                client.close(timeout=10)
    return report


def _writable(folder: Callable[[], Path]) -> Path:
    """The user's folder, or the temporary folder where it cannot be made (a read-only HOME
    must not stop the self-test)."""
    try:
        return folder()
    except OSError:
        return Path(tempfile.gettempdir())


def sample_modes(
    client: EngineClient,
    hello: dict[str, Any],
    film: int,
    info: dict[str, Any],
    k: int = K,
    timeout: float = 300.0,
) -> str:
    """K colour modes of the film's middle frame through `sample_keyframe`. Raises
    CheckSkipped when no colorizer is installed (the check cannot run), CheckFailed when one is
    there but broken."""
    status = (hello.get("models") or {}).get("colorizer") or {}
    state = status.get("status", "missing")
    if state == "missing":
        raise CheckSkipped(f"colorizer missing: no weights at {status.get('path', '?')}")
    if state not in ("ready", "untrained"):
        why = status.get("error") or state
        raise CheckFailed(f"colorizer at {status.get('path', '?')} cannot be used: {why}")
    index = int(info["frame_count"]) // 2
    reply = client.request("sample_keyframe", timeout, film=film, index=index, k=k, seed=1)
    data = reply.data
    found = data.get("candidates") or []
    if len(found) != k or not reply.blob:
        raise CheckFailed(f"asked for {k} colour modes, got {len(found)}")
    bins = [base64.b64decode(c["chroma"]) for c in found]
    if len(set(bins)) < len(bins):
        raise CheckFailed(f"the {k} colour modes are identical")
    label = "trained" if data.get("trained") else "UNTRAINED weights: colours are noise"
    return f"{k} different modes of frame {index} in {float(data['seconds']):.1f} s ({label})"
