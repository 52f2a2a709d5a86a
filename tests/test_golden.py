"""The engine reproduces its golden outputs exactly (tests/golden/make_golden.py made them on
the commit before the engine rework): metrics, events, decisions and agent counts, per scenario
and seed. The fast tier checks two seeds of each scenario; the slow tier all twenty."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).with_name("golden")
_spec = importlib.util.spec_from_file_location("make_golden", GOLDEN_DIR / "make_golden.py")
make_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_golden)
GOLDEN = json.loads(make_golden.GOLDEN.read_text())

FAST_SEEDS = (0, 7)
CASES = [
    pytest.param(
        path, seed, marks=() if seed in FAST_SEEDS else pytest.mark.slow, id=f"{path.stem}-{seed}"
    )
    for path in make_golden.SCENARIOS
    for seed in make_golden.SEEDS
]


def test_the_golden_file_covers_every_shipped_scenario_and_seed():
    expected = {f"{p.name}/{s}" for p in make_golden.SCENARIOS for s in make_golden.SEEDS}
    assert set(GOLDEN["runs"]) == expected
    assert GOLDEN["rounds"] == make_golden.ROUNDS == 120


@pytest.mark.parametrize(("path", "seed"), CASES)
def test_a_run_reproduces_its_golden_outputs(path, seed):
    result = make_golden.run(path, seed)
    if seed == make_golden.FULL_FRAME_SEED:  # a readable difference first, column by column
        stored = GOLDEN["frames"][path.name]
        now = json.loads(make_golden.canonical(result["metrics"]))
        for column in sorted(set(stored) | set(now)):
            assert now.get(column) == stored.get(column), f"column {column!r} differs"
    digests = {part: make_golden.digest(value) for part, value in result.items()}
    assert digests == GOLDEN["runs"][f"{path.name}/{seed}"]
