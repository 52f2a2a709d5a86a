"""Tests for the Mesa model (wargame.engine.model): building, invariants over a run, the actors'
decisions and their fog of war, scripted injects, and garbage collection.
"""

from __future__ import annotations

import dataclasses
import gc
import weakref
from pathlib import Path

import numpy as np
import pytest

from wargame.config.ladder import CENTCOM_ACTIONS, HOST_ACTIONS, IRGC_ACTIONS
from wargame.config.loader import load_scenario
from wargame.config.schema import Scenario, with_lebanon
from wargame.engine.adjudication import raids
from wargame.engine.fleet import Vessel
from wargame.engine.geo import great_circle_km
from wargame.engine.intel import forecast_target
from wargame.engine.model import GulfModel, build_model
from wargame.engine.observation import IrgcView
from wargame.engine.rules.defence import THREAT_KINDS
from wargame.engine.theatre import LAUNCH_ROLES, reachable_mix

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = REPO / "configs" / "scenarios" / "gulf_2026.yaml"

IRGC_TERMS = {
    "site_damage",
    "sovereignty",
    "linkage",
    "host_leverage",
    "economic_friction",
    "regime_risk",
    "mandate_credibility",
}
CENTCOM_TERMS = {
    "shipping_disruption",
    "us_casualties",
    "asset_damage",
    "unanswered_violations",
    "top_rung_risk",
    "interceptor_use",
    "diplomatic_progress",
    "iranian_threat",
}
CHANNEL_TERMS = {"sovereignty", "relief_forgone", "isolation", "turnabout"}
HOST_TERMS = {"economic_damage", "civilian_harm", "defence_spending", "hosting_value"}


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(DEFAULT_SCENARIO)


def with_injects(scenario: Scenario, *injects: dict) -> Scenario:
    data = scenario.model_dump()
    data["injects"] = [*data["injects"], *injects]
    return Scenario.model_validate(data)


def with_irgc_noise(scenario: Scenario, noise: float) -> Scenario:
    data = scenario.model_dump()
    data["actors"]["irgc"]["observation_noise"] = noise
    return Scenario.model_validate(data)


def metrics_of(model: GulfModel):
    return model.datacollector.get_model_vars_dataframe().reset_index(drop=True)


# --- building --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [-1, 2.5, "7", None, True])
def test_build_model_rejects_bad_seeds(scenario: Scenario, seed):
    with pytest.raises(ValueError, match="seed"):
        build_model(scenario, seed)


def test_build_model_accepts_zero_and_numpy_integer_seeds(scenario: Scenario):
    assert build_model(scenario, 0).seed == 0
    model = build_model(scenario, np.int64(12))
    assert model.seed == 12 and type(model.seed) is int


# --- invariants over a run -------------------------------------------------------------------


def test_invariants_hold_every_round_of_a_30_round_run(scenario: Scenario):
    # Forced salvos and strikes make sure magazines, capacities and tolerance are exercised.
    forced = [
        {"round": r, "kind": "action", "actor": "irgc", "action": "salvo_hosts"}
        for r in range(4, 31, 4)
    ] + [
        {"round": r, "kind": "action", "actor": "centcom", "action": "limited_strikes"}
        for r in (3, 11, 19)
    ]
    model = build_model(with_injects(scenario, *forced), 1)
    lowest_share = 1.0
    for _ in range(30):
        model.step()
        assert (model.world.magazines.left >= 0).all(), f"round {model.round}: negative magazine"
        assert (model.world.magazines.left <= model.world.magazines.cap).all(), (
            f"round {model.round}: over cap"
        )
        lowest_share = min(
            lowest_share, float((model.world.magazines.left / model.world.magazines.cap).min())
        )
        assert ((model.world.iran.capacity >= 0.0) & (model.world.iran.capacity <= 1.0)).all()
        for host, state in model.world.hosts.items():
            assert 0.0 <= state.tolerance <= 1.0, f"round {model.round}: {host}"
        vessels = model.agents_by_type.get(Vessel, [])
        assert model.fleet.count() == len(vessels), f"round {model.round}"
        assert all(model.fleet.alive[v.slot] for v in vessels)
        for kind in THREAT_KINDS:
            launched = model.world.totals[f"launched_{kind}"]
            intercepted = model.world.totals[f"intercepted_{kind}"]
            assert launched >= intercepted, f"round {model.round}: {kind}"
    assert model.round == 30
    assert sum(model.world.totals[f"launched_{kind}"] for kind in THREAT_KINDS) > 0
    assert lowest_share < 1.0, "no interceptor was ever fired; the invariants went untested"
    assert model.world.iran.capacity.min() < 1.0
    metrics = metrics_of(model)
    assert metrics["round"].tolist() == list(range(1, 31))


# --- decisions -------------------------------------------------------------------------------


def test_every_decision_has_probabilities_and_its_own_cost_terms(scenario: Scenario):
    model = build_model(scenario, 1)
    expected_terms = {"irgc": IRGC_TERMS, "irgc_channel": CHANNEL_TERMS, "centcom": CENTCOM_TERMS}
    expected_terms |= {host.id: HOST_TERMS for host in scenario.actors.hosts}
    menus = {
        "irgc": {spec.id for spec in IRGC_ACTIONS},
        "centcom": {spec.id for spec in CENTCOM_ACTIONS},
        **{host.id: {spec.id for spec in HOST_ACTIONS} for host in scenario.actors.hosts},
    }
    for _ in range(15):
        model.step()
        assert set(model.decisions) == set(expected_terms)
        for key, decision in model.decisions.items():
            assert sum(decision.probabilities) == pytest.approx(1.0, abs=1e-9), key
            assert all(p >= 0.0 for p in decision.probabilities)
            assert len(decision.weighted_terms) == len(decision.options)
            if key in menus:
                assert set(decision.options) == menus[key]
            else:  # the channel: keep it, or the one move its state allows
                assert decision.options in (
                    ("keep_channel", "halt_channel"),
                    ("keep_channel", "reopen_channel"),
                )
            for option in decision.options:
                breakdown = decision.breakdown(option)
                assert set(breakdown) == expected_terms[key], (key, option)
                assert decision.utilities[decision.options.index(option)] == pytest.approx(
                    -sum(breakdown.values())
                )
            assert decision.chosen in decision.options


def test_irgc_decides_from_its_view_not_the_model(scenario: Scenario):
    model = build_model(scenario, 2)
    views = []
    original = model.irgc.decide_action

    def recording(view):
        views.append(view)
        return original(view)

    model.irgc.decide_action = recording
    for _ in range(5):
        model.step()
    assert len(views) == 5
    view = views[-1]
    assert isinstance(view, IrgcView)
    assert view is model.views["irgc"]
    for field in dataclasses.fields(view):
        value = getattr(view, field.name)
        assert isinstance(value, bool | int | float | np.ndarray | frozenset), field.name
        if isinstance(value, frozenset):
            assert all(isinstance(item, str) for item in value), field.name
        if isinstance(value, np.ndarray):
            assert not np.shares_memory(value, model.world.iran.capacity), field.name
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.sovereignty = 99.0  # type: ignore[misc]
    # Changing the true world after the view was taken does not change what the IRGC weighs.
    before = model.irgc.option_costs(view)
    model.world.iran.capacity[:] = 0.0
    model.world.grievances.sovereignty = 50.0
    model.world.lebanon = 1.0
    model.world.grievances.defiance = 40.0
    assert model.irgc.option_costs(view) == before


def test_irgc_sees_us_resolve_through_noise(scenario: Scenario):
    split = scenario.levers.doctrine_split

    def resolves(noise: float) -> list[float]:
        model = build_model(with_irgc_noise(scenario, noise), 4)
        seen = []
        for _ in range(12):
            model.step()
            seen.append(model.views["irgc"].us_resolve)
        return seen

    noisy = resolves(0.3)
    assert any(value != pytest.approx(split, abs=1e-9) for value in noisy)
    assert all(0.0 < value <= 1.0 for value in noisy)
    assert resolves(0.0) == [split] * 12


# --- injects ---------------------------------------------------------------------------------


def test_action_inject_forces_a_centcom_strike_in_its_round(scenario: Scenario):
    inject = {
        "round": 3,
        "kind": "action",
        "actor": "centcom",
        "action": "limited_strikes",
        "note": "test strike",
    }
    model = build_model(with_injects(scenario, inject), 5)
    for _ in range(3):
        model.step()
    metrics = metrics_of(model)
    assert metrics.loc[metrics["round"] == 3, "centcom_action"].item() == "limited_strikes"
    assert metrics.loc[metrics["round"] == 3, "rung"].item() >= 4
    strikes = [e for e in model.events if e.round == 3 and e.actor == "centcom" and e.phase == 2]
    assert strikes, "no phase-2 event logged in round 3"
    assert strikes[0].action == "limited_strikes"
    assert any(e.round == 3 and e.actor == "scenario" for e in model.events)
    assert model.phase_firsts.get(2) is not None and model.phase_firsts[2] <= 3
    surveillance = metrics.set_index("round")["iran_surveillance"]
    assert surveillance[3] < surveillance[2]
    assert model.world.iran.capacity.min() < 1.0


def test_lebanon_inject_sets_the_lebanon_metric_in_its_round(scenario: Scenario):
    # A calm, noiseless front (no volatility, no flares): every value below follows by
    # construction, whatever the seed's stream.
    calm = with_lebanon(
        scenario, start=0.2, mean=0.2, volatility=0.0, flare_probability=0.0, flare_size=0.0
    )
    inject = {"round": 2, "kind": "lebanon_intensity", "value": 0.93}
    for seed in (6, 7):
        model = build_model(with_injects(calm, inject), seed)
        for _ in range(3):
            model.step()
        lebanon = metrics_of(model).set_index("round")["lebanon"]
        assert lebanon[1] == pytest.approx(0.2)
        assert lebanon[2] == pytest.approx(0.93)
        # Round 3 moves on from the injected value, toward the process mean.
        reversion = calm.lebanon.reversion
        assert lebanon[3] == pytest.approx(0.93 + reversion * (0.2 - 0.93))


# --- memory ----------------------------------------------------------------------------------


def test_model_is_garbage_collected_after_del(scenario: Scenario):
    model = build_model(scenario, 7)
    for _ in range(3):
        model.step()
    assert len(model.agents_by_type.get(Vessel, [])) > 0
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


# --- diplomacy parameters --------------------------------------------------------------------


def test_channel_weights_change_the_run(scenario: Scenario):
    # By construction, not by the seed: with a turnabout of 1000 and no weight on sovereignty
    # the IRGC never moves the channel; with sovereignty at 1000 it halts the round after a US
    # package (its view then holds the strike) and keeps it halted while the grievance lasts.
    injects = ({"round": 2, "kind": "action", "actor": "centcom", "action": "limited_strikes"},)
    channels = []
    for sovereignty, turnabout in ((0.0, 1000.0), (1000.0, 1.2)):
        data = with_injects(scenario, *injects).model_dump()
        weights = data["behaviour"]["channel"]["weights"]
        weights["sovereignty"], weights["turnabout"] = sovereignty, turnabout
        model = build_model(Scenario.model_validate(data), 3)
        for _ in range(10):
            model.step()
        channels.append(metrics_of(model)["channel"].tolist())
    assert channels[0] == ["OPEN"] * 10
    assert channels[1][:5] == ["OPEN", "OPEN", "HALTED", "HALTED", "HALTED"]


# --- reach of every weapon fired -------------------------------------------------------------


def with_short_missiles(scenario: Scenario, *injects: dict) -> Scenario:
    """The default theatre with the missiles' reach cut (in memory) so that drones reach sites
    the ballistic and cruise missiles of the same salvo do not: Fateh-313 300 km (no longer NSA
    Bahrain 308 km, Al Dhafra 471 km), Hoveyzeh 400 km (no longer Al Udeid 431 km); the anti-ship
    missile 450 km, so a US Navy strike at NSA Bahrain (427 km) carries the energy salvo along."""
    data = with_injects(scenario, *injects).model_dump()
    irgc = data["actors"]["irgc"]
    data["weapons"][irgc["ballistic_weapon"]]["range_km"] = 300.0
    data["weapons"][irgc["cruise_weapon"]]["range_km"] = 400.0
    data["weapons"][irgc["anti_ship_weapon"]]["range_km"] = 450.0
    return Scenario.model_validate(data)


def reaches_from_standing_site(model: GulfModel, weapon_id: str, node_id: str) -> bool:
    """Recomputed here from coordinates: is some standing launch site of this weapon's kind
    within its range of the node?"""
    spec = model.spec
    weapon = spec.weapons[weapon_id]
    node = spec.node(node_id)
    for site_id, capacity in zip(model.theatre.iran_sites, model.world.iran.capacity, strict=True):
        site = spec.node(site_id)
        floor = spec.behaviour.operations.launch_capacity_floor
        if site.role not in LAUNCH_ROLES[weapon.kind] or capacity < floor:
            continue
        if float(great_circle_km(site.lat, site.lon, node.lat, node.lon)) <= weapon.range_km:
            return True
    return False


def test_no_weapon_is_ever_launched_at_a_site_beyond_its_range(scenario: Scenario, monkeypatch):
    # Every IRGC strike action in turn, forced for 60 rounds; US campaigns in rounds 10-30 and
    # Bushehr held down in rounds 31-45 knock out launch sites, so reach shrinks mid-run.
    strikes = ("salvo_hosts", "strike_energy", "strike_us_navy")
    injects = [
        {"round": r, "kind": "action", "actor": "irgc", "action": strikes[r % 3]}
        for r in range(1, 61)
    ] + [
        {"round": r, "kind": "action", "actor": "centcom", "action": "regime_campaign"}
        for r in range(10, 31, 2)
    ]
    short = with_short_missiles(scenario, *injects)
    launches: list[tuple[int, str, str, int, bool]] = []
    resolve = raids.raid

    def checked_raid(magazines, setting, node_id, groups, rng):
        for group in groups:  # `model`: the run below, whose raid this is
            reaches = reaches_from_standing_site(model, group.weapon, node_id)
            launches.append((model.round, node_id, group.weapon, group.count, reaches))
        return resolve(magazines, setting, node_id, groups, rng)

    monkeypatch.setattr(raids, "raid", checked_raid)
    irgc = short.actors.irgc
    bushehr = None
    for seed in range(4):
        launches.clear()
        model = build_model(short, seed)
        bushehr = model.theatre.iran_sites.index("bushehr")
        for _ in range(60):
            if 30 <= model.round < 45:
                model.world.iran.capacity[bushehr] = 0.0
            model.step()
        beyond = [launch for launch in launches if not launch[4]]
        assert not beyond, f"seed {seed}: launched beyond range: {beyond[:5]}"
        # Every launch the totals count went through the check.
        for kind, weapon_id in (
            ("ballistic", irgc.ballistic_weapon),
            ("drone", irgc.drone_weapon),
            ("cruise", irgc.cruise_weapon),
            ("anti_ship", irgc.anti_ship_weapon),
        ):
            seen = sum(count for _, _, weapon, count, _ in launches if weapon == weapon_id)
            assert model.world.totals[f"launched_{kind}"] == seen, f"seed {seed}: {kind}"
        # The case was exercised: drones struck sites the ballistic missile does not reach,
        # while it still fired where it does, and the navy strike carried its energy salvo.
        drone_only = {n for _, n, w, _, _ in launches if w == irgc.drone_weapon} - {
            n for _, n, w, _, _ in launches if w == irgc.ballistic_weapon
        }
        assert {"al_dhafra", "nsa_bahrain"} <= drone_only, f"seed {seed}: {drone_only}"
        assert model.world.totals["launched_ballistic"] > 0
        assert model.world.totals["launched_anti_ship"] > 0
        assert any(e.action == "strike_us_navy" and e.phase == 3 for e in model.events)


def test_forecasts_cover_only_the_reachable_part_of_the_salvo(scenario: Scenario):
    # What the IRGC chooses by is what it fires: each target's forecast is the forecast of the
    # part of the salvo that reaches it, and a site none of it reaches is no target.
    short = with_short_missiles(scenario)
    data = short.model_dump()
    data["actors"]["irgc"]["salvo_per_target"] = {"ballistic": 6, "drone": 0, "cruise": 2}
    data["actors"]["irgc"]["energy_salvo"] = {"ballistic": 2, "drone": 0, "cruise": 0}
    missiles_only = Scenario.model_validate(data)
    model = build_model(missiles_only, 0)
    intel, theatre = model.intel, model.theatre
    irgc = missiles_only.actors.irgc
    full = np.ones(len(theatre.iran_sites))
    reach = theatre.salvo_reach(full)
    bases, energy = intel.targets(full)
    assert (bases, energy) == (intel.base_targets, intel.energy_targets)
    assert {f.node for f in bases} == {
        n for n in intel.base_sites if theatre.in_reach(irgc.cruise_weapon, n, full)
    }
    assert "al_dhafra" in {f.node for f in bases} and "al_udeid" not in {f.node for f in bases}
    for forecasts, salvo in ((bases, irgc.salvo_per_target), (energy, irgc.energy_salvo)):
        for f in forecasts:
            mix = reachable_mix(salvo, f.node, reach)
            assert f == forecast_target(missiles_only, f.node, mix)
    # Al Dhafra (471 km): only the cruise missiles reach it, so only they are forecast.
    dhafra = next(f for f in bases if f.node == "al_dhafra")
    assert dhafra != forecast_target(missiles_only, "al_dhafra", irgc.salvo_per_target)
    # Every missile base down: the energy salvo (ballistic only) reaches nothing, so there is
    # no energy target to forecast and a forced energy strike fires nothing ...
    missile_bases = [
        i for i, s in enumerate(theatre.iran_sites) if scenario.node(s).role == "missile_base"
    ]
    down = full.copy()
    down[missile_bases] = 0.0
    assert intel.targets(down)[1] == ()
    # ... while the cruise missiles, launched from naval bases too, still reach some bases.
    cruise_only = intel.targets(down)[0]
    assert cruise_only and {f.node for f in cruise_only} == {
        n for n in intel.base_sites if theatre.in_reach(irgc.cruise_weapon, n, down)
    }
    for f in cruise_only:
        cruise = irgc.salvo_per_target.model_copy(update={"ballistic": 0})
        assert f == forecast_target(missiles_only, f.node, cruise)
    strike = {"round": 1, "kind": "action", "actor": "irgc", "action": "strike_energy"}
    model = build_model(with_injects(missiles_only, strike), 0)
    model.world.iran.capacity[missile_bases] = 0.0
    model.step()
    assert sum(model.world.totals[f"launched_{kind}"] for kind in THREAT_KINDS) == 0
    assert [e.outcome for e in model.events if e.action == "strike_energy"] == [
        "no launcher in reach"
    ]
