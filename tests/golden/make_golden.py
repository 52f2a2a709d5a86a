"""Golden outputs of the engine: what the engine rework (issue 8) must reproduce bit for bit.

For each shipped scenario x seeds 0-19 x 120 rounds it stores a SHA-256 of the metrics frame
(every DataCollector column, floats written exactly), of the event log (every event with its
breakdown and figures) and of the decisions (every option's probability and weighted terms),
plus the full metrics frame of seed 0 of each scenario, so a difference can be read.

    .venv/bin/python tests/golden/make_golden.py            # writes tests/golden/golden_runs.json

Made on b4fa15e (the commit before the rework, which reproduced it bit for bit), then again on
purpose once issue 9's behaviour changes were merged (shipping, hosts, IRGC targeting, the
channel decision, CENTCOM's observed aims); `tests/test_golden.py` compares against it. A change
of behaviour on purpose makes a new file and says so in its commit; a refactor never does.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from wargame.config.loader import load_scenario  # noqa: E402
from wargame.engine.model import build_model  # noqa: E402

SCENARIOS = sorted((ROOT / "configs" / "scenarios").glob("*.yaml"))
SEEDS = tuple(range(20))
ROUNDS = 120
FULL_FRAME_SEED = 0
GOLDEN = Path(__file__).with_name("golden_runs.json")


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers (their exact value; floats keep every bit in JSON)."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} into the golden file")


def canonical(data: Any) -> str:
    """JSON with sorted keys and exact floats: equal text if and only if equal outputs."""
    return json.dumps(data, sort_keys=True, default=_plain, separators=(",", ":"))


def digest(data: Any) -> str:
    return hashlib.sha256(canonical(data).encode()).hexdigest()


def frame(model) -> dict[str, list]:
    return {name: list(values) for name, values in model.datacollector.model_vars.items()}


def decisions(model) -> dict[str, Any]:
    return {
        str(round_): {
            actor: {
                "chosen": decision.chosen,
                "options": {
                    option: [decision.probability(option), decision.breakdown(option)]
                    for option in decision.options
                },
            }
            for actor, decision in by_actor.items()
        }
        for round_, by_actor in model.decision_history.items()
    }


def run(path: Path, seed: int) -> dict[str, Any]:
    model = build_model(load_scenario(path), seed)
    agents = []  # ships and actors in model.agents after each round
    for _ in range(ROUNDS):
        model.step()
        agents.append(len(model.agents))
    return {
        "metrics": frame(model),
        "events": [event.to_record() for event in model.events],
        "decisions": decisions(model),
        "agents": agents,
    }


def golden() -> dict[str, Any]:
    out: dict[str, Any] = {"rounds": ROUNDS, "seeds": list(SEEDS), "runs": {}, "frames": {}}
    for path in SCENARIOS:
        for seed in SEEDS:
            result = run(path, seed)
            out["runs"][f"{path.name}/{seed}"] = {k: digest(v) for k, v in result.items()}
            if seed == FULL_FRAME_SEED:
                out["frames"][path.name] = json.loads(canonical(result["metrics"]))
    return out


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(golden(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN.relative_to(ROOT)}")
