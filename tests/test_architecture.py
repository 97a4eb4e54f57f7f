"""The shape of the code: no import cycles in the engine, no oversized files, a docstring on
every module. The layers between the engine's rooms are an import-linter contract
(`pyproject.toml`, run by `make lint`); these are what a contract cannot say.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 800


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_among_engine_modules() -> None:
    """Every import counts: at the top, inside functions, under TYPE_CHECKING."""
    graph = grimp.build_graph("panchro.engine")
    modules = {m for m in graph.modules if m.startswith("panchro.engine")}
    edges = {
        m: {d for d in graph.find_modules_directly_imported_by(m) if d in modules and d != m}
        for m in modules
    }
    assert _cycles(edges) == []


def _sources() -> list[Path]:
    return sorted(p for room in ("engine", "gui") for p in (ROOT / room).rglob("*.py"))


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_source_file_is_over_800_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_says_what_it_holds(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if path.name == "__init__.py" and not tree.body:
        pytest.skip("an empty package marker")
    assert ast.get_docstring(tree), f"{path.relative_to(ROOT)} has no module docstring"


# Where the engine may ask whether CUDA is there, and why; everything else asks
# `inference.device` (one place decides "CUDA when present") and never calls `.cuda()`.
CUDA_QUERIES = {
    "engine/inference/device.py": "the one place a device is chosen",
    "engine/service/handlers/status.py": "reports what the machine has",
    "engine/bench/models.py": "benchmarks every device present",
    "engine/train/common.py": "saves CUDA's random state with a checkpoint when there is one",
}


def test_the_device_is_chosen_in_one_place() -> None:
    wrong = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        if ".cuda()" in text:
            wrong.append(f"{rel} calls .cuda()")
        if "cuda.is_available()" in text and rel not in CUDA_QUERIES:
            wrong.append(f"{rel} decides the device itself (use inference.device)")
    assert wrong == []
