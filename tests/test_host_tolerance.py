"""A host's tolerance of US basing erodes by the harm it takes in a round, once: the memory of
that harm (which still feeds the host's forecast) is not charged again as it fades. One
isolated raid, then quiet rounds: tolerance recovers and never falls further."""

from __future__ import annotations

import numpy as np
from support import default_scenario, world_in_round_one

from wargame.config.schema import Scenario
from wargame.engine.adjudication import hosts
from wargame.engine.model import build_model
from wargame.engine.observation import HostView, observe

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


# --- the host's measures: every option live somewhere, a reload when magazines run low ---------


def host_view(
    threat: float, magazine_share: float, tolerance: float = 1.0, damage: float = 0.0
) -> HostView:
    return HostView(
        host=HOST,
        round=1,
        tolerance=tolerance,
        damage_recent=damage,
        casualties_recent=0.0,
        force_majeure=0,
        threat=threat,
        restricted=False,
        magazine_share=magazine_share,
    )


def probabilities(model, view: HostView) -> dict[str, float]:
    decision = model.hosts[HOST].decide_action(view)
    return dict(zip(decision.options, decision.probabilities, strict=True))


def test_a_host_sees_its_patriots_run_out_whatever_unfielded_lasers_hold():
    """Its view's magazine share is its fielded interceptors left by worth: the 1,500 uses of
    a laser and a jammer the baseline does not field (nor a fielded one's $4 shots) cannot
    hide its Patriots being spent."""
    for mix in ("point_defence", "directed_energy_ew"):
        data = SCENARIO.model_dump()
        data["levers"]["defence_mix"] = mix
        scenario = Scenario.model_validate(data)
        world, _, _ = world_in_round_one(scenario)
        for node in scenario.nodes:
            if node.host == HOST and node.defences:
                live = world.magazines.of(node.id)
                for index, defence in enumerate(node.defences):
                    if defence.system.startswith("pac"):
                        live[index] = 0
        view = observe(world, scenario, 0, np.random.default_rng(0))[2][HOST]
        assert view.magazine_share < 0.01, (mix, view.magazine_share)
        assert (
            observe(*world_in_round_one(scenario)[:1], scenario, 0, np.random.default_rng(0))[2][
                HOST
            ].magazine_share
            == 1.0
        )


def test_a_reload_is_more_likely_the_more_interceptors_are_spent():
    model = build_model(SCENARIO, 0)
    chances = [
        probabilities(model, host_view(0.8, share))["request_interceptors"]
        for share in (1.0, 0.6, 0.3, 0.0)
    ]
    assert all(b > a for a, b in zip(chances, chances[1:], strict=False)), chances
    # With its magazines full a reload averts nothing: it only costs.
    costs = dict(
        zip(
            model.hosts[HOST].options,
            model.hosts[HOST].option_costs(host_view(0.8, 1.0)),
            strict=True,
        )
    )
    assert costs["request_interceptors"][:2] == costs["stay_quiet"][:2]


def with_host_values(
    defence_spending: float, hosting_value: float, request_averts: float
) -> Scenario:
    data = SCENARIO.model_dump()
    for host in data["actors"]["hosts"]:
        host["weights"]["defence_spending"] = defence_spending
        host["weights"]["hosting_value"] = hosting_value
    data["behaviour"]["hosts"]["reduces_harm"]["request_interceptors"] = request_averts
    return Scenario.model_validate(data)


def test_every_host_measure_is_chosen_somewhere_in_a_small_hypercube():
    """Each option on a host's menu is chosen at least one time in four at some point of a
    small grid of weights (the price it puts on a reload, the value of hosting US forces), the
    harm a reload averts, and situations (threat, harm remembered, interceptors left,
    tolerance). (press_restraint is never the likeliest: its costs are exactly two thirds of
    open_channel's plus a third of stay_quiet's, so it lives between them.)"""
    best: dict[str, float] = {}
    for spending in (0.25, 2.0):
        for hosting in (0.5, 1.5):
            for averts in (0.3, 0.6):
                model = build_model(with_host_values(spending, hosting, averts), 0)
                for threat, damage in ((0.0, 0.0), (1.0, 0.0), (1.0, 20.0)):
                    for share in (1.0, 0.2):
                        for tolerance in (1.0, 0.3):
                            view = host_view(threat, share, tolerance, damage)
                            for option, chance in probabilities(model, view).items():
                                best[option] = max(best.get(option, 0.0), chance)
    assert set(best) == set(model.hosts[HOST].options)
    assert min(best.values()) >= 0.25, best
