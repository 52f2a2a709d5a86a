"""The IRGC aims each round from what it sees (Intel.plan): the defences at each site under the
defence mix in force, the results of its own raids there (state.RaidRecord, with its reporting
error), the hosts it courts. Its anti-ship strike reaches US warships at sea, and is not carried
out when none is in reach; a struck ship is named in the event log."""

from __future__ import annotations

import collections

import numpy as np
import pytest
from support import default_scenario, world_in_round_one

from wargame.engine.adjudication import PHASE_INTERDICTION, irgc
from wargame.engine.events import EventLog
from wargame.engine.model import build_model
from wargame.engine.observation import observe
from wargame.engine.rules.defence import THREAT_KINDS

SCENARIO = default_scenario()


def directed_energy(scenario):
    return scenario.model_copy(
        update={"levers": scenario.levers.model_copy(update={"defence_mix": "directed_energy_ew"})}
    )


def with_changes(scenario, **paths):
    """`scenario` with the dotted paths set (validated afresh)."""
    data = scenario.model_dump(mode="json")
    for path, value in paths.items():
        *parents, leaf = path.split(".")
        where = data
        for key in parents:
            where = where[int(key)] if key.isdigit() else where[key]
        where[int(leaf) if leaf.isdigit() else leaf] = value
    return type(scenario).model_validate(data)


def irgc_view(world, setting):
    return observe(world, setting.scenario, 0, np.random.default_rng(0))[0]


def carry_out(world, setting, action, seed=3):
    view = irgc_view(world, setting)
    record = EventLog()
    record.start_round(world.round, world.date.isoformat())
    none = np.array([], dtype=np.int64)
    irgc.act(
        world, setting, action, none, none.astype(bool), view, np.random.default_rng(seed), record
    )
    return record


def seen(world, node_id, **counts):
    """The IRGC hears of a raid at `node_id` with these counts, without reporting error."""
    record = world.iran.raids
    noise, record.noise = record.noise, 0.0
    leaked = {k: counts.get(f"leaked_{k}", 0) for k in THREAT_KINDS}
    stopped = {k: counts.get(f"stopped_{k}", 0) for k in THREAT_KINDS}
    record.observe(node_id, leaked, stopped, np.random.default_rng(0))
    record.noise = noise


# --- targets and mix follow the results it sees --------------------------------------------


def test_a_site_whose_salvos_were_all_intercepted_loses_rank_and_regains_it_as_that_fades():
    world, setting, _ = world_in_round_one(SCENARIO)
    first = setting.intel.plan(irgc_view(world, setting)).salvo[0]
    seen(world, first.node, stopped_ballistic=40, stopped_drone=40, stopped_cruise=8)
    after = setting.intel.plan(irgc_view(world, setting))
    assert first.node not in {aim.node for aim in after.salvo}
    # Its memory of the failure fades (behaviour.irgc.results_memory) and the site comes back.
    for _ in range(60):
        world.iran.raids.fade()
    assert setting.intel.plan(irgc_view(world, setting)).salvo[0].node == first.node


def test_a_site_where_more_got_through_than_forecast_is_worth_more():
    world, setting, _ = world_in_round_one(SCENARIO)
    plan = setting.intel.plan(irgc_view(world, setting))
    last = plan.salvo[-1]
    seen(world, last.node, leaked_ballistic=10, leaked_drone=20, leaked_cruise=2)
    after = setting.intel.plan(irgc_view(world, setting))
    [again] = [aim for aim in after.salvo if aim.node == last.node]
    assert again.harm > last.harm
    assert after.salvo_leverage > plan.salvo_leverage


def test_the_mix_shifts_to_the_kind_that_gets_through():
    world, setting, _ = world_in_round_one(SCENARIO)
    aim = setting.intel.plan(irgc_view(world, setting)).salvo[0]
    default = SCENARIO.actors.irgc.salvo_per_target
    # The kind its mix leans on, against the default mix's share of missiles to drones.
    leans_on_missiles = aim.mix.ballistic * default.drone > aim.mix.drone * default.ballistic
    heavy = "ballistic" if leans_on_missiles else "drone"
    light = "drone" if heavy == "ballistic" else "ballistic"
    # Every threat of the kind its mix leans on seen stopped, every one of the other seen
    # getting through: it leans the other way.
    seen(world, aim.node, **{f"stopped_{heavy}": 60, f"leaked_{light}": 30})
    [again] = [
        a for a in setting.intel.plan(irgc_view(world, setting)).salvo if a.node == aim.node
    ] or [None]
    if again is None:  # it left the site altogether: the mix cannot be compared there
        pytest.fail(f"{aim.node} dropped: the lighter kind's success should keep it in")
    assert getattr(again.mix, light) > getattr(aim.mix, light)
    assert getattr(again.mix, heavy) < getattr(aim.mix, heavy)


def test_the_raids_it_fires_are_the_ones_it_planned_and_it_hears_of_them():
    world, setting, _ = world_in_round_one(SCENARIO)
    plan = setting.intel.plan(irgc_view(world, setting))
    record = carry_out(world, setting, "salvo_hosts")
    raids = [e for e in record.events if e.action == "salvo_hosts"]
    assert [e.target for e in raids] == [aim.node for aim in plan.salvo]
    for event, aim in zip(raids, plan.salvo, strict=True):
        launched = event.figures["launched"]
        assert (launched["ballistic"], launched["drone"], launched["cruise"]) == (
            aim.mix.ballistic,
            aim.mix.drone,
            aim.mix.cruise,
        )
        row = setting.theatre.index[aim.node]
        heard = world.iran.raids.leaked[row].sum() + world.iran.raids.intercepted[row].sum()
        assert heard > 0
    untouched = [n for n in setting.theatre.node_ids if n not in {a.node for a in plan.salvo}]
    rows = [setting.theatre.index[n] for n in untouched]
    assert not world.iran.raids.leaked[rows].any()
    assert not world.iran.raids.intercepted[rows].any()


@pytest.mark.slow  # 40 runs of 90 rounds
def test_under_directed_energy_it_leaves_the_site_where_its_drones_did_the_work():
    """The lever's effect on the choice, over the model's runs (not one seed): at Al Dhafra
    THAAD stops missiles, so the IRGC raids it with drones; the lasers and jammers it sees
    under directed energy stop drones, so Al Dhafra loses its place to Kuwait's bases."""
    shares = {}
    for name, scenario in (("point", SCENARIO), ("laser", directed_energy(SCENARIO))):
        sites = collections.Counter()
        for seed in range(20):
            model = build_model(scenario, seed)
            for _ in range(90):
                model.step()
            sites.update(
                e.target
                for e in model.events
                if e.actor == "irgc" and e.action == "salvo_hosts" and "target" in e.figures
            )
        total = sum(sites.values())
        shares[name] = {site: count / total for site, count in sites.items()}
    point, laser = shares["point"], shares["laser"]
    assert point.get("al_dhafra", 0.0) > 0.2, shares
    assert laser.get("al_dhafra", 0.0) < 0.05, shares
    assert laser.get("camp_arifjan", 0.0) > point.get("camp_arifjan", 0.0) + 0.1, shares


# --- the US Navy at sea ----------------------------------------------------------------------


def test_strike_us_navy_reaches_the_warships_at_sea_in_the_gulf():
    world, setting, _ = world_in_round_one(SCENARIO)
    before = world.magazines.of("gulf_surface_group").sum()
    record = carry_out(world, setting, "strike_us_navy")
    [raid] = [e for e in record.events if e.action == "strike_us_navy"]
    assert raid.target == "gulf_surface_group"
    assert raid.figures["launched"]["anti_ship"] == (
        SCENARIO.behaviour.operations.navy_strike_missiles
    )
    distance = setting.theatre.nearest_launch_km(
        SCENARIO.actors.irgc.anti_ship_weapon, "gulf_surface_group"
    )
    assert distance <= SCENARIO.weapons[SCENARIO.actors.irgc.anti_ship_weapon].range_km
    assert world.magazines.of("gulf_surface_group").sum() < before
    assert world.tally.irgc_carried_out == 1
    assert (
        world.grievances.us_unanswered
        == (SCENARIO.behaviour.grievances.unanswered.per_irgc_action["strike_us_navy"])
    )


def test_strike_us_navy_with_no_warship_in_reach_is_not_carried_out():
    world, setting, _ = world_in_round_one(SCENARIO)
    world.iran.capacity[:] = 0.0  # no launch site stands
    record = carry_out(world, setting, "strike_us_navy")
    [event] = record.events
    assert event.outcome == "no target in reach"
    assert world.tally.irgc_carried_out == 0
    assert world.grievances.us_unanswered == 0.0
    assert sum(world.tally.launched.values()) == 0


def test_a_struck_ship_is_named():
    irgc_params = SCENARIO.actors.irgc.model_copy(update={"vessel_strikes_per_round": 5})
    actors = SCENARIO.actors.model_copy(update={"irgc": irgc_params})
    world, setting, _ = world_in_round_one(SCENARIO.model_copy(update={"actors": actors}))
    slots = world.fleet.arrive(np.full(5, 1e8), np.zeros(5, dtype=np.int64))
    ids = world.fleet.ids[slots].tolist()
    view = irgc_view(world, setting)
    record = EventLog()
    record.start_round(world.round, world.date.isoformat())
    irgc.act(
        world,
        setting,
        "strike_vessel",
        slots,
        np.ones(5, bool),
        view,
        np.random.default_rng(5),
        record,
    )
    shots = [e for e in record.events if e.phase == PHASE_INTERDICTION]
    assert any(e.figures["hit"] for e in shots)  # a ship hit leaves before the event is read
    for event in shots:
        assert event.figures["vessel"] in ids
        assert event.target == f"vessel {event.figures['vessel']}"
        assert "a vessel" not in event.sentence


# --- live options --------------------------------------------------------------------------


def choice_shares(scenario, seeds=20, rounds=90):
    chosen = collections.Counter()
    for seed in range(seeds):
        model = build_model(scenario, seed)
        for _ in range(rounds):
            model.step()
        chosen.update(d["irgc"].chosen for d in model.decision_history.values())
    total = sum(chosen.values())
    return {option: count / total for option, count in chosen.items()}


@pytest.mark.slow  # 40 runs of 90 rounds
def test_strike_energy_is_live_where_tehran_reads_no_more_regime_risk_in_it_than_in_a_salvo():
    """Energy war is all but never chosen by default because Tehran forecasts it as much
    riskier to the regime than a salvo at the hosts (regime_risk 1.0 vs 0.6, weight 4). Where
    it reads the two alike and weighs friction as the article does, it is chosen."""
    region = with_changes(
        SCENARIO,
        **{
            "behaviour.irgc.regime_risk.strike_energy": 0.6,
            "actors.irgc.weights.economic_friction": 1.5,
        },
    )
    assert choice_shares(region).get("strike_energy", 0.0) > 0.03
    assert choice_shares(SCENARIO).get("strike_energy", 0.0) < 0.01


@pytest.mark.slow  # 20 runs of 90 rounds
def test_strike_us_navy_is_live_where_tehran_reads_it_as_it_reads_a_salvo_at_the_hosts():
    """By default Tehran forecasts an attack on US warships as all but certain to bring an
    expanded US package and four times a salvo's regime risk, and it puts no pressure on the
    hosts, so it is never chosen (the article: Tehran does not strike "carrier strike groups at
    sea"). Where it reads the attack as it reads a salvo at the hosts and weighs friction as
    the article does, it is chosen, and it reaches the warships at sea."""
    region = with_changes(
        SCENARIO,
        **{
            "behaviour.irgc.us_response.strike_us_navy": 0.6,
            "behaviour.irgc.us_package.strike_us_navy": "limited",
            "behaviour.irgc.regime_risk.strike_us_navy": 0.6,
            "actors.irgc.weights.economic_friction": 1.5,
        },
    )
    chosen = 0
    targets = collections.Counter()
    for seed in range(20):
        model = build_model(region, seed)
        for _ in range(90):
            model.step()
        chosen += sum(d["irgc"].chosen == "strike_us_navy" for d in model.decision_history.values())
        targets.update(
            e.target for e in model.events if e.action == "strike_us_navy" and "target" in e.figures
        )
    assert chosen > 0.005 * 20 * 90, chosen
    assert targets["gulf_surface_group"] > 0, targets
