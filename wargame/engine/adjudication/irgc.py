"""The IRGC's order of the round carried out: mandates enforced, ships interdicted, mines laid,
salvos at hosts and energy, strikes at the US Navy; then booked: how many times it was carried
out, and what that adds to Washington's grievance and settles of Tehran's (rules/grievance.py)."""

from __future__ import annotations

import numpy as np

from wargame.config.ladder import ACTIONS
from wargame.engine.adjudication import PHASE_INTERDICTION, Setting, raids, vessels
from wargame.engine.events import EventLog
from wargame.engine.observation import IrgcView
from wargame.engine.rules import shipping
from wargame.engine.rules.grievance import after_irgc_action
from wargame.engine.state import World


def act(
    world: World,
    setting: Setting,
    action: str,
    exposed_slots: np.ndarray,
    detected: np.ndarray,
    view: IrgcView,
    rng: np.random.Generator,
    record: EventLog,
) -> None:
    """Carry out the IRGC's `action` (ships in reach: `exposed_slots`, seen: `detected`; `view`:
    what the IRGC saw when it chose), book in the round's tally how many times it was carried
    out, and let that change the grievances: Washington's unanswered attacks grow by it, and
    Tehran's sovereignty grievance is settled in part once the order was carried out at all."""
    candidates = exposed_slots[detected]  # the ships an anti-ship strike may aim at
    world.iran.raids.fade()  # older results count for less in what it saw before (its view)
    done = _carry_out(world, setting, action, candidates, view, rng, record)
    world.tally.irgc_carried_out = done
    grievances = world.grievances
    grievances.us_unanswered, grievances.sovereignty = after_irgc_action(
        grievances, action, done, setting.scenario.behaviour.grievances
    )


def _carry_out(
    world: World,
    setting: Setting,
    action: str,
    candidates: np.ndarray,
    view: IrgcView,
    rng: np.random.Generator,
    record: EventLog,
) -> int:
    """The order's own doings (`candidates`: the slots of the ships seen in reach); returns
    how many times it was carried out: the ships attacked for strike_vessel, 0 for an order
    that found nothing in reach, else 1."""
    scenario = setting.scenario
    grievances = world.grievances
    iran = world.iran
    if action == "enforce_mandates":
        grievances.mandates = 1.0
        record.decision(
            "irgc",
            action,
            "strait",
            "warnings issued",
            "The IRGC enforces its routing mandates in the Strait: warnings and harassment of ships on the TSS branch.",
        )
    elif action == "strike_vessel":
        grievances.mandates = 1.0
        return _strike_vessels(world, setting, candidates, rng, record)
    elif action == "mine_lanes":
        laid = scenario.behaviour.operations.mines_per_mining * iran.strike_capacity()
        iran.mines += laid
        grievances.shipping_attacks += 1.0
        record.decision(
            "irgc",
            action,
            "sea lanes",
            f"mine density {iran.mines:.2f}",
            "The IRGC lays mines in the shipping lanes.",
            # Both follow the IRGC's strike capacity: hidden like the outcome's density.
            figures={"laid": round(laid, 6), "density": round(iran.mines, 6)},
        )
    elif action == "salvo_hosts":
        # Its plan of the round (Intel.plan): the sites and mixes it chose from what it saw.
        aims = setting.intel.plan(view).salvo
        if not aims:
            record.decision(
                "irgc",
                action,
                "host states",
                "no launcher in reach",
                "The IRGC orders salvos at host-state bases but has no launcher left in reach.",
            )
            return 0
        for aim in aims:
            raids.fire_salvo(world, setting, aim.node, aim.mix, action, rng, record)
        grievances.host_strikes += 1.0
    elif action == "strike_energy":
        aim = setting.intel.plan(view).energy
        if aim is None:
            record.decision(
                "irgc",
                action,
                "energy",
                "no launcher in reach",
                "The IRGC orders strikes on Gulf energy assets but has no launcher in reach.",
            )
            return 0
        raids.fire_salvo(world, setting, aim.node, aim.mix, action, rng, record)
        grievances.host_strikes += 1.0
    elif action == "strike_us_navy":
        # Not carried out when no warship is in reach (issue 9: it used to count).
        return raids.strike_navy(world, setting, rng, record)
    else:
        record.decision("irgc", action, "-", "done", f"The IRGC {ACTIONS[action].label}.")
    return 1


def _strike_vessels(
    world: World,
    setting: Setting,
    candidates: np.ndarray,
    rng: np.random.Generator,
    record: EventLog,
) -> int:
    """Anti-ship shots at the defiant ships seen in reach; returns how many were attacked."""
    action = "strike_vessel"
    if len(candidates) == 0:
        record.decision(
            "irgc",
            action,
            "strait",
            "no target",
            "The IRGC hunts for a ship outside the corridor but finds none in reach.",
        )
        return 0
    scenario = setting.scenario
    irgc = scenario.actors.irgc
    tally = world.tally
    fleet = world.fleet
    weapon = scenario.weapons[irgc.anti_ship_weapon]
    hit_p = shipping.escorted(
        weapon.reliability * world.iran.strike_capacity(),
        world.escorting,
        scenario.actors.centcom.escort_protection,
    )
    attacked, hits = shipping.interdict(
        len(candidates), 1.0, irgc.vessel_strikes_per_round, hit_p, rng
    )
    tally.vessels_attacked += len(attacked)
    # Anti-ship shots are not part of the air-defence cost-exchange (no interceptor fired).
    tally.shipping_strike_spend += len(attacked) * weapon.unit_cost_usd
    struck = candidates[attacked[hits]]
    # Named before the ships hit leave the theatre (and their slots with them).
    ids = fleet.ids[candidates[attacked]].tolist()
    vessels.strike(fleet, tally, struck, setting, rng)
    world.grievances.shipping_attacks += len(attacked)
    for vessel_id, hit in zip(ids, hits, strict=True):
        name = f"vessel {vessel_id}"
        outcome = "hit" if hit else "missed"
        record.decision(
            "irgc",
            action,
            name,
            outcome,
            f"The IRGC fires a {weapon.name} at {name}, running the TSS branch outside the mandated corridor: {outcome}.",
            phase=PHASE_INTERDICTION,
            figures={
                "vessel": vessel_id,
                "hit": bool(hit),
                "weapon": irgc.anti_ship_weapon,
            },
        )
    return len(attacked)
