"""The actors' orders carried out on a World alone (adjudication/irgc.py, centcom.py,
diplomacy.py): no GulfModel, only the world's state, the run's Setting, a random stream and an
EventLog. Each order shows in the state it changed, the round's tally, the grievances it moved
and the events it booked, consistent with each other."""

from __future__ import annotations

import numpy as np
from support import default_scenario, world_in_round_one

from wargame.engine.adjudication import PHASE_INTERDICTION, Setting, centcom, diplomacy, irgc
from wargame.engine.events import EventLog
from wargame.engine.observation import observe
from wargame.engine.rules.defence import THREAT_KINDS
from wargame.engine.rules.diplomacy import Ledgers, MouState
from wargame.engine.state import World

SCENARIO = default_scenario()
NO_SHIPS = np.array([], dtype=np.int64)


def irgc_orders(world: World, setting: Setting, action: str, slots=NO_SHIPS, seed: int = 3):
    """The IRGC carries out `action` with the ships `slots` in reach and all of them seen."""
    irgc_view, _, _ = observe(world, setting.scenario, len(slots), np.random.default_rng(0))
    detected = np.ones(len(slots), dtype=bool)
    record = EventLog()
    record.start_round(world.round, world.date.isoformat())
    irgc.act(
        world, setting, action, slots, detected, irgc_view, np.random.default_rng(seed), record
    )
    return record


def test_a_salvo_at_hosts_draws_down_their_magazines_and_books_every_missile_once():
    world, setting, _ = world_in_round_one(SCENARIO)
    world.grievances.sovereignty = 2.0
    magazines_before = world.magazines.left.copy()
    # What the IRGC planned from its view of the round (irgc_orders builds the same view).
    plan = setting.intel.plan(observe(world, SCENARIO, 0, np.random.default_rng(0))[0])
    record = irgc_orders(world, setting, "salvo_hosts")
    tally = world.tally
    raids = [e for e in record.events if e.action == "salvo_hosts"]
    targets = [e.target for e in raids]
    # Two targets (actors.irgc.salvo_targets), each the whole of the mix the IRGC chose for it
    # (its plan of the round) while every launch site stands.
    assert len(targets) == SCENARIO.actors.irgc.salvo_targets == 2
    assert targets == [aim.node for aim in plan.salvo]
    assert tally.launched == {
        "ballistic": sum(aim.mix.ballistic for aim in plan.salvo),
        "cruise": sum(aim.mix.cruise for aim in plan.salvo),
        "drone": sum(aim.mix.drone for aim in plan.salvo),
        "anti_ship": 0,
    }
    for kind in THREAT_KINDS:
        assert tally.launched[kind] == (
            tally.intercepted[kind] + tally.leaked[kind] + tally.failed[kind]
        )
        for count in ("launched", "intercepted", "leaked", "failed"):
            booked = getattr(tally, count)[kind]
            assert booked == sum(e.figures[count][kind] for e in raids)
    assert tally.leakers == sum(tally.leaked.values())
    assert tally.interceptor_spend > 0 and tally.attacker_spend > 0
    # Only the targets' magazines are drawn on, each by at least one interceptor per threat
    # it stopped; no magazine gains any.
    magazines = world.magazines
    for node_id, where in magazines.slices.items():
        drawn = int(magazines_before[where].sum() - magazines.left[where].sum())
        if node_id in targets:
            [event] = [e for e in raids if e.target == node_id]
            assert drawn >= sum(event.figures["intercepted"].values()) > 0
        else:
            assert drawn == 0, node_id
    assert (magazines.left <= magazines_before).all()
    # Carried out once: Washington's grievance grows by the order's weight (2.0), Tehran's is
    # settled to its share left (0.2 of 2.0), the hosts remember one salvo.
    assert tally.irgc_carried_out == 1
    assert world.grievances.us_unanswered == 2.0
    assert world.grievances.sovereignty == 0.4
    assert world.grievances.host_strikes == 1.0


def test_striking_ships_remembers_and_books_each_ship_attacked():
    irgc_params = SCENARIO.actors.irgc.model_copy(update={"vessel_strikes_per_round": 3})
    actors = SCENARIO.actors.model_copy(update={"irgc": irgc_params})
    world, setting, _ = world_in_round_one(SCENARIO.model_copy(update={"actors": actors}))
    fleet = world.fleet
    slots = fleet.arrive(np.full(5, 1e8), np.zeros(5, dtype=np.int64))
    world.grievances.shipping_attacks = 0.5
    record = irgc_orders(world, setting, "strike_vessel", slots, seed=5)  # hits and a miss
    tally = world.tally
    # Five ships seen in reach, three shots a round: three ships attacked, each remembered by
    # owners and CENTCOM, each one more unanswered attack (1.0 each) in Washington's eyes.
    assert tally.vessels_attacked == 3
    assert tally.irgc_carried_out == 3
    assert world.grievances.shipping_attacks == 3.5
    assert world.grievances.us_unanswered == 3.0
    shots = [e for e in record.events if e.phase == PHASE_INTERDICTION]
    assert len(shots) == 3
    hits = sum(e.figures["hit"] for e in shots)
    assert 0 < hits < 3
    assert tally.vessels_struck == hits
    assert fleet.count() == 5 - hits  # the ships hit leave the area
    weapon = SCENARIO.weapons[irgc_params.anti_ship_weapon]
    assert tally.shipping_strike_spend == 3 * weapon.unit_cost_usd


def test_striking_ships_with_none_in_reach_is_not_carried_out():
    world, setting, _ = world_in_round_one(SCENARIO)
    record = irgc_orders(world, setting, "strike_vessel")
    assert world.tally.irgc_carried_out == 0
    assert world.grievances.shipping_attacks == 0.0
    assert world.grievances.us_unanswered == 0.0
    [event] = record.events
    assert event.outcome == "no target"


def test_centcom_holding_to_negotiate_settles_nothing_and_offers_relief():
    world, setting, record = world_in_round_one(SCENARIO)
    world.grievances.sovereignty, world.grievances.us_unanswered = 2.0, 4.0
    _, centcom_view, _ = observe(world, SCENARIO, 0, np.random.default_rng(0))
    rng = np.random.default_rng(1)
    centcom.act(world, setting, "hold_and_negotiate", centcom_view, rng, record)
    assert world.grievances.relief_offered is True
    assert (world.grievances.sovereignty, world.grievances.us_unanswered) == (2.0, 4.0)
    # A limited strike: Tehran's grievance grows by 1.0, Washington's is settled to 0.2 of it.
    centcom.act(world, setting, "limited_strikes", centcom_view, rng, record)
    assert world.grievances.relief_offered is False
    assert world.grievances.sovereignty == 3.0
    assert world.grievances.us_unanswered == 0.8


def test_a_collapsing_mou_is_booked_once_and_stays_collapsed():
    world, setting, record = world_in_round_one(SCENARIO)
    calm = {"irgc": "comply", "centcom": "hold_and_negotiate", "irgc_channel": "keep_channel"}
    # Washington's ledger at 6.5 decays to 5.85 (x 0.9); a salvo at the hosts adds 3.0: past
    # the collapse threshold (6.0) in one round, from an MOU in force.
    world.diplomacy.ledgers = Ledgers(us=6.5)
    chosen = {
        "irgc": "salvo_hosts",
        "centcom": "hold_and_negotiate",
        "irgc_channel": "keep_channel",
    }
    diplomacy.update(world, setting, chosen, record)
    assert world.diplomacy.mou == MouState.COLLAPSED
    assert world.diplomacy.collapsed_round == 1
    [event] = [e for e in record.events if e.action == "mou"]
    assert event.outcome == "COLLAPSED" and event.round == 1
    for _ in range(2):  # calm rounds: still collapsed, booked no more
        world.next_round()
        record.start_round(world.round, world.date.isoformat())
        diplomacy.update(world, setting, calm, record)
        assert world.diplomacy.mou == MouState.COLLAPSED
        assert world.diplomacy.collapsed_round == 1
    assert [e.round for e in record.events if e.action == "mou"] == [1]
