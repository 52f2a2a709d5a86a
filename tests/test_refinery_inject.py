"""A refinery fire no actor claims (inject kind refinery_fire, issue 10's instructor list): one
fired during play plays as the same inject written in the scenario; it harms its host as a
raid's fire does (value-weighted damage, force majeure, tolerance eroded by the new harm,
the economic loss) and is not booked as an IRGC attack; a bad site or size is refused with
the field named."""

from __future__ import annotations

import math

import pytest
from support import default_scenario, frames_to

from wargame.config.loader import validated
from wargame.config.schema import Inject, Scenario, refinery_targets
from wargame.engine.model import build_model

FIRE = {"kind": "refinery_fire", "node": "ras_tanura", "damage": 1.5, "note": "a refinery fire"}


def with_injects(scenario: Scenario, injects: list[dict]) -> Scenario:
    data = scenario.model_dump(mode="json")
    return Scenario.model_validate(data | {"injects": [*data["injects"], *injects]})


@pytest.mark.parametrize("seed", [0, 5])
def test_a_fire_added_in_play_plays_as_the_same_fire_in_the_scenario(seed):
    base = default_scenario()
    expected = frames_to(build_model(with_injects(base, [{"round": 4, **FIRE}]), seed), 10)
    played = build_model(base, seed)
    frames_to(played, 2)
    played.begin_round()  # round 3 begun: the fire starts at the start of round 4
    played.add_inject(Inject.model_validate({"round": 4, **FIRE}))
    played.step()
    assert frames_to(played, 10).equals(expected)
    untouched = frames_to(build_model(base, seed), 10)
    assert not untouched.equals(expected)  # the fire changed the game


# The IRGC is held to comply in both runs, so no raid books harm of its own beside the fire.
CALM = [{"round": r, "kind": "action", "actor": "irgc", "action": "comply"} for r in range(1, 8)]


def test_the_fire_harms_its_host_as_documented_and_is_no_irgc_attack():
    base = with_injects(default_scenario(), CALM)
    fire = {"round": 1, **FIRE, "node": "sitra_bapco", "damage": 1.0}
    node = base.node("sitra_bapco")
    adjudication = base.adjudication
    erosion = base.behaviour.hosts.erosion
    without, burning = build_model(base, 3), build_model(base, 3)
    burning.add_inject(Inject.model_validate(fire))
    without.step()
    burning.step()
    booked = 1.0 * node.value  # the site's value scales the damage, as a raid's
    quiet, hit = without.world.hosts["bahrain"], burning.world.hosts["bahrain"]
    assert hit.damage_total - quiet.damage_total == pytest.approx(booked)
    assert hit.force_majeure_until == adjudication.force_majeure_rounds  # rounds 1 to 5
    # Tolerance: the round's new harm and one round of force majeure erode it.
    assert quiet.tolerance - hit.tolerance == pytest.approx(
        erosion.damage * booked + erosion.force_majeure
    )
    for host in ("kuwait", "qatar", "uae", "saudi_arabia"):
        assert burning.world.hosts[host].damage_total == without.world.hosts[host].damage_total
    assert burning.world.tally.casualties == without.world.tally.casualties
    # No actor claims it: no IRGC salvo the hosts and the underwriters read, no attack on
    # Washington's count or ledger. (The hosts answer their harm: restraint_pressure may move.)
    for memory in ("host_strikes", "us_unanswered", "shipping_attacks", "premium_attacks"):
        assert getattr(burning.world.grievances, memory) == getattr(
            without.world.grievances, memory
        )
    assert burning.world.diplomacy.ledgers.us == without.world.diplomacy.ledgers.us
    assert burning.world.tally.launched == without.world.tally.launched
    fired = [e for e in burning.events if e.actor == "scenario" and e.target == "sitra_bapco"]
    assert len(fired) == 1 and fired[0].phase is None and fired[0].figures["fire"] is True
    assert "force majeure" in fired[0].sentence
    assert not any(e.target == "sitra_bapco" for e in burning.events if e.actor == "irgc")
    # Force majeure runs its rounds, each a round of days and of lost output.
    got, expected = frames_to(burning, 7), frames_to(without, 7)
    gap = {
        column: (got[column] - expected[column]).tolist()
        for column in ("total_force_majeure_days", "total_economic_loss_usd", "total_host_damage")
    }
    days = adjudication.force_majeure_rounds * base.clock.round_hours / 24
    assert gap["total_force_majeure_days"][-1] == pytest.approx(days)
    assert gap["total_economic_loss_usd"][-1] == pytest.approx(
        booked * adjudication.economic_loss_per_damage
        + adjudication.force_majeure_rounds * adjudication.economic_loss_per_force_majeure_round
    )
    assert gap["total_host_damage"] == pytest.approx([booked] * 7)


def test_the_sites_a_fire_may_burn_are_the_hosts_energy_sites():
    scenario = default_scenario()
    hosts = {host.id for host in scenario.actors.hosts}
    sites = refinery_targets(scenario)
    assert sites[0] == "sitra_bapco" and "ras_laffan" in sites
    for node in scenario.nodes:
        assert (node.id in sites) == (node.kind == "energy" and node.host in hosts)


def problems(injects: list[dict], **node_changes) -> list[str]:
    data = default_scenario().model_dump(mode="json")
    data["injects"] = injects
    for index, node in enumerate(data["nodes"]):
        data["nodes"][index] = node | node_changes.get(node["id"], {})
    return validated(data, Scenario)[1]


EXPECTED_SITES = "expected one of ['sitra_bapco', 'ras_tanura'"
BAD_FIRES = [
    ({"node": "nowhere"}, {}, "injects[0].node: unknown node 'nowhere'; " + EXPECTED_SITES),
    (
        {"node": "nsa_bahrain"},
        {},
        "injects[0].node: 'nsa_bahrain' is a us_base node, not an energy site; " + EXPECTED_SITES,
    ),
    (
        {"node": "sitra_bapco"},
        {"sitra_bapco": {"host": "oman"}},
        "injects[0].node: 'sitra_bapco' is the energy site of no host state (actors.hosts); "
        "expected one of ['ras_tanura'",
    ),
    ({"damage": 0}, {}, "injects[0].damage: Input should be greater than 0"),
    ({"damage": -2.0}, {}, "injects[0].damage: Input should be greater than 0"),
    ({"damage": 100.5}, {}, "injects[0].damage: Input should be less than or equal to 100"),
    ({"damage": math.inf}, {}, "injects[0].damage: Input should be a finite number"),
    ({"damage": math.nan}, {}, "injects[0].damage: Input should be a finite number"),
    ({"damage": True}, {}, "injects[0].damage: Input should be a valid number"),
    ({"damage": None}, {}, "injects[0]: an inject of kind 'refinery_fire' needs damage"),
    ({"node": None}, {}, "injects[0]: an inject of kind 'refinery_fire' needs node"),
    ({"attacks": 1.0}, {}, "injects[0]: an inject of kind 'refinery_fire' does not use attacks"),
]


@pytest.mark.parametrize(("change", "nodes", "expected"), BAD_FIRES)
def test_a_bad_fire_is_refused_naming_its_field(change, nodes, expected):
    fire = {"round": 2, **FIRE, **change}
    found = problems([{k: v for k, v in fire.items() if v is not None}], **nodes)
    assert len(found) == 1, found
    assert found[0].startswith(expected), found


def test_another_kind_refuses_a_node_or_a_damage():
    for field, value in (("node", "ras_tanura"), ("damage", 1.0)):
        lebanon = {"round": 2, "kind": "lebanon_intensity", "value": 0.5, field: value}
        found = problems([lebanon])
        assert len(found) == 1 and f"does not use {field}" in found[0], found


def test_two_fires_in_one_round_both_burn():
    fires = [{"round": 1, **FIRE}, {"round": 1, **FIRE, "node": "abqaiq"}]
    model = build_model(with_injects(default_scenario(), [*CALM, *fires]), 0)
    model.step()
    values = [model.spec.node(fire["node"]).value for fire in fires]
    assert model.world.hosts["saudi_arabia"].damage_total == pytest.approx(1.5 * sum(values))


def test_a_fire_added_in_play_at_a_bad_site_is_refused():
    model = build_model(default_scenario(), 0)
    for node, problem in (
        ("nsa_bahrain", "node: 'nsa_bahrain' is a us_base node, not an energy site"),
        ("nowhere", "node: unknown node 'nowhere'"),
    ):
        with pytest.raises(ValueError, match=problem):
            model.add_inject(Inject.model_validate({"round": 1, **FIRE, "node": node}))
    assert model.injects_by_round == {}
