"""IRGC raids on defended sites: the part of a salvo that reaches a site, its interception by
the site's live magazines (rules/defence.py), and every consequence booked: the round's counts,
the host's harm, force majeure, the economic loss and one event with the raid's figures. The
harm itself is booked by `book_harm`, which a fire no actor claims (a refinery_fire inject,
adjudication/outside.py) shares."""

from __future__ import annotations

import numpy as np

from wargame.config.schema import Adjudication, C2Posture, Node, NodeKind, Salvo, WeaponKind
from wargame.engine.adjudication import PHASE_HOST_RETALIATION, Setting
from wargame.engine.events import EventLog
from wargame.engine.intel import (
    effective_value,
    layer_slots,
    salvo_groups,
    site_layers,
    weapon_damage,
)
from wargame.engine.rules import strikes
from wargame.engine.rules.defence import RaidGroup, RaidOutcome, resolve_raid
from wargame.engine.state import HostState, Magazines, World
from wargame.engine.theatre import reachable_mix


def fire_salvo(
    world: World,
    setting: Setting,
    node_id: str,
    salvo: Salvo,
    action: str,
    rng: np.random.Generator,
    record: EventLog,
) -> None:
    """Fire the part of the IRGC's raid that reaches one defended site (from the launch sites
    standing) and book every consequence."""
    scenario = setting.scenario
    node = scenario.node(node_id)
    reach = setting.theatre.salvo_reach(world.iran.capacity)
    groups = salvo_groups(
        scenario,
        reachable_mix(salvo, node_id, reach),
        missile_scale=max(world.iran.missile_capacity(), 0.0),
        drone_scale=world.iran.drone_capacity(),
    )
    if not groups:
        return
    outcome = raid(world.magazines, setting, node_id, groups, rng)
    book_raid(world, setting, node, groups, outcome, action, rng, record)


def raid(
    magazines: Magazines,
    setting: Setting,
    node_id: str,
    groups: list[RaidGroup],
    rng: np.random.Generator,
) -> RaidOutcome:
    """Resolve a raid against a site's live magazines and write the magazines back."""
    if node_id not in magazines.slices:
        return resolve_raid(groups, [], rng)
    live = magazines.of(node_id)  # a view into the stock
    slots = layer_slots(setting.scenario, node_id)
    outcome = resolve_raid(groups, site_layers(setting.scenario, node_id, live), rng)
    live[slots] = outcome.magazines
    return outcome


def book_raid(
    world: World,
    setting: Setting,
    node: Node,
    groups: list[RaidGroup],
    outcome: RaidOutcome,
    action: str,
    rng: np.random.Generator,
    record: EventLog,
) -> None:
    """Book a resolved raid: interceptions, leakers, spend, damage, casualties, debris and fires."""
    scenario = setting.scenario
    adjudication = scenario.adjudication
    tally = world.tally
    by_kind = {
        "launched": outcome.launched_by_kind(groups),
        "intercepted": outcome.intercepted_by_kind(groups),
        "leaked": outcome.leaked_by_kind(groups),
        "failed": outcome.failed_by_kind(groups),
    }
    for count, kinds in by_kind.items():  # the tally keeps a dict per count of the same name
        booked = getattr(tally, count)
        for kind, number in kinds.items():
            booked[kind] += number
    # The IRGC hears how its raid went, with error; its next plans read it (Intel.plan).
    world.iran.raids.observe(node.id, by_kind["leaked"], by_kind["intercepted"], rng)
    leaked = int(outcome.leaked.sum())
    intercepted = int(outcome.intercepted.sum())
    tally.leakers += leaked
    tally.interceptor_spend += outcome.interceptor_cost
    tally.attacker_spend += outcome.attacker_cost
    for booked, kinds in (
        (tally.interceptor_spend_by_kind, outcome.interceptor_cost_by_kind(groups)),
        (tally.attacker_spend_by_kind, outcome.attacker_cost_by_kind(groups)),
        (tally.engaged, outcome.engaged_by_kind(groups)),
    ):
        for kind, number in kinds.items():
            booked[kind] += number
    damage = strikes.leaker_damage(
        outcome.leaked, weapon_damage(scenario, groups), node.hardening
    ) * effective_value(scenario, node.id)
    deaths = strikes.leaker_casualties(
        leaked,
        node.population_exposure,
        scenario.behaviour.operations.casualty_exposure_floor,
        adjudication,
        rng,
    )
    debris_harm, fire = strikes.debris_effects(
        intercepted, node.population_exposure, node.energy_proximity, adjudication, rng
    )
    if node.kind == NodeKind.ENERGY and leaked:
        fire = fire or strikes.energy_fire(leaked, adjudication, rng)
    casualties = deaths + debris_harm
    host = book_harm(world, adjudication, node, damage, casualties, fire)
    if host is not None:
        host.interceptor_spend_round += outcome.interceptor_cost
    fire_text = " Debris starts a fire; operators declare force majeure." if fire else ""
    record.decision(
        "irgc",
        action,
        node.id,
        f"{intercepted} intercepted, {leaked} leaked, {casualties} casualties",
        f"The IRGC fires {int(outcome.launched.sum())} missiles and drones at {node.name}: "
        f"{intercepted} intercepted, {leaked} get through, damage {damage:.1f}, "
        f"{casualties} casualties.{fire_text}",
        phase=PHASE_HOST_RETALIATION,
        figures={
            "target": node.id,
            "host": node.host,
            "launch_sites": launch_sites(world.iran.capacity, setting, node.id, groups),
            **{count: {k: int(v) for k, v in kinds.items()} for count, kinds in by_kind.items()},
            "damage": round(float(damage), 6),
            "casualties": int(casualties),
            "fire": bool(fire),
        },
    )


def book_harm(
    world: World, adjudication: Adjudication, node: Node, damage: float, casualties: int, fire: bool
) -> HostState | None:
    """Book harm at a site, whoever did it: the round's casualties, the economic loss and, at a
    host's site, the host's damage and casualties (its memory: new harm erodes its tolerance in
    phase 5) and, for a fire, force majeure from this round on. Returns the host's state (None
    at a site of no host). Draws nothing; attribution is the caller's (an IRGC raid's event and
    grievances, or an inject's)."""
    world.tally.casualties += casualties
    host = world.hosts.get(node.host or "")
    if host is not None:
        host.damage_recent += damage
        host.casualties_recent += casualties
        host.damage_total += damage
        world.tally.host_damage += damage
        if fire:
            host.force_majeure_until = max(
                host.force_majeure_until, world.round + adjudication.force_majeure_rounds - 1
            )
    world.totals["economic_loss_usd"] += damage * adjudication.economic_loss_per_damage
    return host


def launch_sites(
    capacity: np.ndarray, setting: Setting, node_id: str, groups: list[RaidGroup]
) -> dict[str, list[str]]:
    """For each threat kind of a raid, the Iranian sites it can have come from: those of the
    kind's launch roles standing and in range of the target (the reach rule the raid was fired
    by). The model fires from the IRGC's capacity as a whole, so it names no single site."""
    theatre = setting.theatre
    standing = capacity >= theatre.launch_floor
    target = theatre.index[node_id]
    sites = {}
    for group in groups:
        weapon = setting.scenario.weapons[group.weapon]
        able = theatre.launch_mask(WeaponKind(group.kind)) & standing
        in_range = theatre.distance_km[theatre.iran_site_index, target] <= weapon.range_km
        found = sites.setdefault(group.kind, [])
        found.extend(s for s, ok in zip(theatre.iran_sites, able & in_range, strict=True) if ok)
    return {kind: sorted(set(found)) for kind, found in sites.items()}


def navy_targets(setting: Setting, capacity: np.ndarray) -> list[str]:
    """US warships the IRGC's anti-ship weapon reaches from the launch sites standing at
    `capacity`, most valuable first (ties by id): groups at sea (afloat nodes) and the fleet at
    its littoral headquarters while C2 stays there."""
    scenario = setting.scenario
    theatre = setting.theatre
    weapon = scenario.actors.irgc.anti_ship_weapon
    fixed = scenario.levers.c2_posture == C2Posture.FIXED_LITTORAL
    ships = [n for n in scenario.nodes if n.kind == NodeKind.AFLOAT or (n.c2 and fixed)]
    ships.sort(key=lambda n: (-effective_value(scenario, n.id), n.id))
    return [n.id for n in ships if theatre.in_reach(weapon, n.id, capacity)]


def strike_navy(world: World, setting: Setting, rng: np.random.Generator, record: EventLog) -> int:
    """Anti-ship missiles and drones at the most valuable US warships in reach (`navy_targets`);
    returns how many raids were fired (0: none in reach, the order not carried out)."""
    scenario = setting.scenario
    theatre = setting.theatre
    capacity = world.iran.capacity
    irgc = scenario.actors.irgc
    targets = navy_targets(setting, capacity)
    if not targets:
        record.decision(
            "irgc",
            "strike_us_navy",
            "US Navy",
            "no target in reach",
            "The IRGC looks for US warships to strike but none is within anti-ship reach.",
        )
        return 0
    node = scenario.node(targets[0])
    weapon = scenario.weapons[irgc.anti_ship_weapon]
    groups = [
        RaidGroup(
            irgc.anti_ship_weapon,
            weapon.kind.value,
            scenario.behaviour.operations.navy_strike_missiles,
            weapon.reliability,
            weapon.unit_cost_usd,
        )
    ]
    # The energy salvo rides along, the part of it that reaches the ships.
    reach = theatre.salvo_reach(capacity)
    groups += salvo_groups(scenario, reachable_mix(irgc.energy_salvo, node.id, reach))
    outcome = raid(world.magazines, setting, node.id, groups, rng)
    book_raid(world, setting, node, groups, outcome, "strike_us_navy", rng, record)
    return 1
