"""Every option on every menu is chosen somewhere (issue 9, "What must hold").

A small Latin hypercube over the behavioural numbers the slices named as the regions where the
rare options live, inside the schema's ranges and around the default scenario's values; a few
seeds of a few rounds at each point; every option of the IRGC's main menu and channel menu,
CENTCOM's menu, each host's menu and the ships' choices must be chosen at least once. A dead
option is named. The regions (each found by the slice that made the option live):

- strike_energy: Tehran reads no more regime risk in it than in a salvo at the hosts and weighs
  economic friction as the article does (tests/test_irgc_targeting.py: regime_risk 0.6,
  economic_friction 1.5);
- strike_us_navy: Tehran reads an attack on the warships at sea as it reads a salvo (regime
  risk and US response ~0.6, a limited US package; same file);
- regime_campaign: Washington weighs Iran's standing strike capacity heavily and fears the top
  rung little (iranian_threat 10, top_rung_risk 0.5: tests/test_channel_decision.py,
  tests/test_centcom_targeting.py);
- request_interceptors / restrict_basing: a host that prices a reload low or values hosting US
  forces little, and a reload that averts more harm (tests/test_host_tolerance.py);
- turn_back: a voyage worth less to its owner than the war-risk premium and the corridor's
  costs (shipping.voyage_value; at the default 0.015 ships turn back in 6 of 1,800 rounds over
  20 seeds, at 0.01 in 149).

The scenario has no injects and nobody gives human orders, so the option an actor chose is the
order carried out (checked below)."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
from scipy.stats import qmc
from support import default_scenario

from wargame.config.ladder import MENUS, VESSEL_CHOICES
from wargame.config.overrides import apply_overrides
from wargame.config.schema import Scenario
from wargame.engine.fleet import UNDECIDED
from wargame.engine.model import build_model
from wargame.engine.rules.diplomacy import CHANNEL_DECISION, CHANNEL_MOVES

SCENARIO = default_scenario()
HOSTS = tuple(host.id for host in SCENARIO.actors.hosts)

# (dotted path, low, high); "actors.hosts[*]" sets the field of every host alike. Ranges span
# the default scenario's value and the region each slice found, well inside the schema's.
RANGES: tuple[tuple[str, float, float], ...] = (
    ("behaviour.irgc.regime_risk.strike_energy", 0.5, 1.0),  # default 1.0
    ("behaviour.irgc.regime_risk.strike_us_navy", 0.5, 2.5),  # default 2.5
    ("behaviour.irgc.us_response.strike_us_navy", 0.5, 0.95),  # default 0.95
    ("actors.irgc.weights.economic_friction", 0.5, 2.0),  # default 0.5
    ("actors.centcom.weights.iranian_threat", 1.0, 12.0),  # default 1
    ("actors.centcom.weights.top_rung_risk", 0.3, 3.0),  # default 3
    ("actors.hosts[*].weights.defence_spending", 0.25, 2.0),  # default 2
    ("actors.hosts[*].weights.hosting_value", 0.5, 1.5),  # default 1.5
    ("behaviour.hosts.reduces_harm.request_interceptors", 0.3, 0.6),  # default 0.3
    ("shipping.voyage_value", 0.005, 0.02),  # default 0.015
)
# One categorical coordinate: the US package Tehran expects for an attack on the navy.
LEVELS = ("behaviour.irgc.us_package.strike_us_navy", ("limited", "expanded"))  # default expanded

POINTS, SEEDS, ROUNDS, DESIGN_SEED = 16, 3, 90, 9


def overrides_at(unit: np.ndarray) -> dict[str, object]:
    """The dotted-path overrides of one point of the unit hypercube."""
    values: dict[str, object] = {}
    for (path, low, high), u in zip(RANGES, unit[: len(RANGES)], strict=True):
        value = float(low + u * (high - low))
        if "[*]" in path:
            for index in range(len(HOSTS)):
                values[path.replace("[*]", f"[{index}]")] = value
        else:
            values[path] = value
    path, levels = LEVELS
    values[path] = levels[min(int(unit[-1] * len(levels)), len(levels) - 1)]
    return values


def scenario_at(unit: np.ndarray) -> Scenario:
    # Validated afresh: a value outside the schema's range fails here, naming the field.
    return Scenario.model_validate(
        apply_overrides(SCENARIO.model_dump(mode="json"), overrides_at(unit))
    )


def menus() -> dict[str, tuple[str, ...]]:
    """Every decision's options, from the ladder's menus: the IRGC's main and channel menus,
    CENTCOM's, each host's, and the ships' choices."""
    irgc = tuple(s.id for s in MENUS["irgc"])
    options = {
        "irgc": tuple(a for a in irgc if a not in CHANNEL_MOVES),
        CHANNEL_DECISION: tuple(a for a in irgc if a in CHANNEL_MOVES),
        "centcom": tuple(s.id for s in MENUS["centcom"]),
        "ships": VESSEL_CHOICES,
    }
    options.update({host: tuple(s.id for s in MENUS["host"]) for host in HOSTS})
    return options


def choices_made(scenario: Scenario, seed: int, rounds: int) -> dict[str, Counter]:
    """How many rounds each decision chose each option in one run; for the ships, how many
    rounds some ship held each choice (a ship's choice is set only when it chooses; one
    turning back leaves at once, so those are the round's tally)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    model = build_model(scenario, seed)
    fleet = model.fleet
    for _ in range(rounds):
        model.step()
        for key, decision in model.decision_history[model.round].items():
            counts[key][decision.chosen] += 1
        held = np.unique(fleet.choice[fleet.alive & (fleet.choice != UNDECIDED)])
        counts["ships"].update(VESSEL_CHOICES[code] for code in held.tolist())
        if model.world.tally.turned_back:
            counts["ships"]["turn_back"] += 1
    assert not model.human_orders and not scenario.injects  # chosen is what was carried out
    return counts


def reach(points: int = POINTS, seeds: int = SEEDS, rounds: int = ROUNDS) -> dict[str, Counter]:
    """Counts of each option chosen over the hypercube's points x seeds x rounds."""
    design = qmc.LatinHypercube(d=len(RANGES) + 1, seed=DESIGN_SEED).random(points)
    totals: dict[str, Counter] = defaultdict(Counter)
    for unit in design:
        scenario = scenario_at(unit)
        for seed in range(seeds):
            for key, counts in choices_made(scenario, seed, rounds).items():
                totals[key] += counts
    return totals


def test_the_hypercube_stays_inside_the_schema_ranges():
    for corner in (np.zeros(len(RANGES) + 1), np.full(len(RANGES) + 1, 1.0 - 1e-12)):
        scenario_at(corner)  # raises naming the field if a bound is out of the schema's range


def test_every_menu_option_is_chosen_somewhere_in_a_small_hypercube():
    """16 points x 3 seeds x 90 rounds, ~4-7 s. At the default scenario alone (48 seeds x 90
    rounds) strike_us_navy and regime_campaign are never chosen, strike_energy once; here the
    rarest are regime_campaign (47 rounds at 6 of 16 points) and restrict_basing (5-14 per
    host)."""
    totals = reach()
    dead = {
        key: [option for option in options if not totals[key][option]]
        for key, options in menus().items()
    }
    dead = {key: options for key, options in dead.items() if options}
    assert not dead, f"never chosen anywhere in the hypercube: {dead}"
