"""CENTCOM's order of the round carried out: escorts, and strike packages on Iranian sites; then
what it adds to Tehran's grievance and settles of Washington's (rules/grievance.py)."""

from __future__ import annotations

import numpy as np

from wargame.config.ladder import ACTIONS
from wargame.engine.adjudication import PHASE_US_STRIKE, Setting
from wargame.engine.events import EventLog
from wargame.engine.intel import STRIKE_OPTIONS, strike_package
from wargame.engine.observation import CentcomView
from wargame.engine.rules import strikes
from wargame.engine.rules.grievance import after_centcom_action
from wargame.engine.state import World

SITES_NAMED = 4  # a strike package's sentence names its first four sites, then "and N more"


def act(
    world: World,
    setting: Setting,
    action: str,
    view: CentcomView,
    rng: np.random.Generator,
    record: EventLog,
) -> None:
    """Carry out CENTCOM's `action` (strike planners aim by the sites' capacity as `view`
    reports it, with its error, and from the bases it says are usable), then let it
    change the grievances: Tehran's sovereignty grievance grows by it, Washington's unanswered
    attacks are settled in part, and holding to negotiate offers the relief Tehran reads."""
    scenario = setting.scenario
    if action == "escort":
        world.escort_until = world.round + scenario.behaviour.operations.escort_rounds
    if action in STRIKE_OPTIONS:
        _strike_package(world, setting, action, view, rng, record)
    else:
        record.decision("centcom", action, "-", "done", f"CENTCOM {ACTIONS[action].label}.")
    grievances = world.grievances
    grievances.sovereignty, grievances.us_unanswered, grievances.relief_offered = (
        after_centcom_action(grievances, action, scenario.behaviour.grievances)
    )


def _strike_package(
    world: World,
    setting: Setting,
    action: str,
    view: CentcomView,
    rng: np.random.Generator,
    record: EventLog,
) -> None:
    scenario, theatre = setting.scenario, setting.theatre
    centcom = scenario.actors.centcom
    iran = world.iran
    roles, count, per_target = strike_package(scenario, theatre, action)
    count = max(1, int(round(count * view.usable_basing)))
    eligible = [i for i, role in enumerate(theatre.site_roles) if role in roles]
    targets = strikes.package_targets(view.site_capacity, iran.value, eligible, count)
    weapon = scenario.weapons[centcom.strike_weapon]
    struck_before = iran.capacity[targets]
    iran.capacity, hits = strikes.strike_sites(
        iran.capacity,
        targets,
        per_target,
        weapon.reliability,
        iran.hardening,
        centcom.damage_per_hit,
        rng,
    )
    spend = len(targets) * per_target * weapon.unit_cost_usd
    world.tally.us_strike_spend += spend
    world.tally.sites_struck += len(targets)
    world.grievances.us_strikes += 1.0
    named = targets[:SITES_NAMED]
    names = ", ".join(scenario.node(theatre.iran_sites[i]).name for i in named)
    more = f" and {len(targets) - len(named)} more" if len(targets) > len(named) else ""
    record.decision(
        "centcom",
        action,
        f"{len(targets)} Iranian sites",
        f"{int(hits.sum())} hits; surveillance now {iran.surveillance():.2f}",
        f"CENTCOM strikes {len(targets)} targets on Iranian soil ({names}{more}) with "
        f"{len(targets) * per_target} {weapon.name}s: {int(hits.sum())} hits.",
        phase=PHASE_US_STRIKE,
        figures={
            "weapon": centcom.strike_weapon,
            "weapons": int(len(targets) * per_target),
            "hits": int(hits.sum()),
            # Every site struck, in the planners' order; capacity_loss is the site's true
            # capacity lost, on the 0-1 scale (Iran's secret, like the surveillance after).
            "sites": [
                {
                    "site": theatre.iran_sites[i],
                    "weapons": int(per_target),
                    "hits": int(h),
                    "capacity_loss": round(float(before - iran.capacity[i]), 6),
                }
                for i, h, before in zip(targets, hits, struck_before, strict=True)
            ],
            "surveillance": round(iran.surveillance(), 6),
        },
    )
