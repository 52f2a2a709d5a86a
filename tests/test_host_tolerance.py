"""A host's tolerance of US basing erodes by the harm it takes in a round, once: the memory of
that harm (which still feeds the host's forecast) is not charged again as it fades. One
isolated raid, then quiet rounds: tolerance recovers and never falls further."""

from __future__ import annotations

import numpy as np
from support import default_scenario, world_in_round_one

from wargame.config.schema import Scenario
from wargame.engine.adjudication import hosts
from wargame.engine.model import build_model

SCENARIO = default_scenario()
HOST = "bahrain"


def test_one_booked_raid_erodes_once_then_tolerance_recovers():
    world, setting, record = world_in_round_one(SCENARIO)
    params = {h.id: h for h in SCENARIO.actors.hosts}
    state = world.hosts[HOST]
    # What a raid books on the host (adjudication/raids.book_raid): damage and casualties.
    state.damage_recent += 6.0
    state.casualties_recent += 2.0
    hosts.update(world, setting, params, record)
    after_raid = state.tolerance
    rates = SCENARIO.behaviour.hosts.erosion
    assert after_raid == np.float64(1.0 - 6.0 * rates.damage - 2.0 * rates.casualties)
    trajectory = [after_raid]
    for _ in range(10):
        world.next_round()
        hosts.update(world, setting, params, record)
        trajectory.append(state.tolerance)
    assert all(b > a for a, b in zip(trajectory, trajectory[1:], strict=False)), trajectory
    # The memory still fades slowly (it is what the host reads into its forecast).
    assert 0.0 < state.damage_recent < 6.0


def test_harm_booked_in_a_later_round_erodes_by_that_round_only():
    world, setting, record = world_in_round_one(SCENARIO)
    params = {h.id: h for h in SCENARIO.actors.hosts}
    state = world.hosts[HOST]
    state.damage_recent += 6.0
    hosts.update(world, setting, params, record)
    world.next_round()
    before = state.tolerance
    state.damage_recent += 2.0  # a second raid while the first is remembered
    hosts.update(world, setting, params, record)
    params_host = params[HOST]
    recovered = before + params_host.tolerance_recovery * (params_host.tolerance_start - before)
    expected = recovered - 2.0 * SCENARIO.behaviour.hosts.erosion.damage
    assert abs(state.tolerance - expected) < 1e-12


def quiet_after_one_salvo(scenario: Scenario, rounds: int) -> Scenario:
    """The IRGC's salvo at the hosts in round 2, then every side forced quiet; force majeure
    does not erode (its fires would be real harm in the rounds that follow)."""
    data = scenario.model_dump()
    data["behaviour"]["hosts"]["erosion"]["force_majeure"] = 0.0
    injects = [{"round": 2, "kind": "action", "actor": "irgc", "action": "salvo_hosts"}]
    for r in range(1, rounds + 1):
        injects.append(
            {"round": r, "kind": "action", "actor": "centcom", "action": "hold_and_negotiate"}
        )
        if r != 2:
            injects.append({"round": r, "kind": "action", "actor": "irgc", "action": "comply"})
    data["injects"] = injects
    return Scenario.model_validate(data)


def test_in_a_run_an_isolated_salvo_then_quiet_rounds_never_lowers_tolerance_further():
    rounds = 12
    scenario = quiet_after_one_salvo(SCENARIO, rounds)
    harmed = 0
    for seed in range(5):
        model = build_model(scenario, seed)
        trajectories = {h: [] for h in model.world.hosts}
        for _ in range(rounds):
            model.step()
            for host, state in model.world.hosts.items():
                trajectories[host].append(state.tolerance)
        for host, tolerance in trajectories.items():
            after_salvo = tolerance[1:]  # from round 2, the salvo's round
            harmed += after_salvo[0] < 1.0
            assert all(b >= a for a, b in zip(after_salvo, after_salvo[1:], strict=False)), (
                seed,
                host,
                tolerance,
            )
    assert harmed >= 5  # the salvo did harm someone in every run
