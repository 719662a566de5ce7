"""The compiled-code cache follows every kernel source: an edit to a callee is never run stale.

Numba keys its cache by each function's own file, so after an edit to a jitted callee in another
file its callers would load their old machine code. ``simulation._jit`` keys the cache by a hash of
every jitted source; this test edits a callee in a copy of the package and checks that the direct
replicate loop, CELF and IMM all run the new code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json
import numpy as np
from simulation import influence
from simulation.engine import prepare, simulate
from simulation.kernel_inputs import spread_inputs, tie_probabilities
from simulation.scenario import parse_scenario

s = parse_scenario({"name": "probe", "steps": 50, "seed": 1,
    "network": {"kind": "barabasi_albert", "n": 200, "m": 2},
    "content": {"visibility": 1.0, "appeal": 1.0, "stickiness": 0.05},
    "seeding": {"strategy": "degree", "budget": 2}}, source="probe")
prepared = prepare(s)
graph = prepared.graph
result = simulate(s, runs=20, prepared=prepared, metrics=["sharers"])
direct = float(result.values["sharers"].mean())
celf = influence.celf(spread_inputs(s, graph), np.arange(graph.n), influence.Budget(2),
                      runs=10, steps=50, seed=3).spread
imm = influence.imm(graph, tie_probabilities(s, graph), np.arange(graph.n), influence.Budget(2),
                    epsilon=0.5, ell=1.0, seed=3).spread
print(json.dumps({"direct": direct, "celf": float(celf), "imm": float(imm), "n": graph.n}))
"""


def _probe(package_root: Path, cache: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(package_root), "NUMBA_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=package_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_an_edited_callee_is_seen_by_every_path(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT / "simulation", copy / "simulation", ignore=shutil.ignore_patterns("__pycache__")
    )
    cache = tmp_path / "cache"
    before = _probe(copy, cache)
    n = before["n"]
    assert before["direct"] < n / 2
    assert before["celf"] < n / 2
    assert before["imm"] < n / 2

    # The callee every random decision goes through: make every uniform 0 (every coin succeeds,
    # every reverse-reachable set reaches everyone).
    random = copy / "simulation" / "kernel" / "random.py"
    text = random.read_text()
    old = "    z = x + GOLDEN\n"
    assert old in text
    random.write_text(text.replace(old, "    return np.uint64(0)\n" + old, 1))

    after = _probe(copy, cache)
    assert after["direct"] == n
    assert after["celf"] == n
    assert after["imm"] == pytest.approx(n, rel=0.02)
