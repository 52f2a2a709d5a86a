"""What the chosen actions do to the world: interdiction of ships, mines, IRGC salvos at host
states and energy sites, CENTCOM strike packages on Iranian soil, and the hosts' own measures.

Each function takes the model and books every consequence: state changes, the round's tally and
one event per outcome with the decision's cost breakdown and the outcome's `figures` (the
numbers of its sentence and the ids behind them, for programs: see `events.Event`). The
probabilistic core of each outcome is a pure rule in `rules/` (defence, strikes, shipping); this
module wires those rules to the model's state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from wargame.config.ladder import ACTIONS
from wargame.config.schema import Node, NodeKind, Salvo, WeaponKind
from wargame.engine.intel import (
    STRIKE_OPTIONS,
    effective_value,
    layer_slots,
    salvo_groups,
    site_layers,
    strike_package,
    weapon_damage,
)
from wargame.engine.rules import shipping, strikes
from wargame.engine.rules.defence import RaidGroup, RaidOutcome, resolve_raid
from wargame.engine.theatre import reachable_mix

if TYPE_CHECKING:
    from wargame.engine.model import GulfModel

# The phases of the seed's tri-lateral loop that outcome events are tagged with (the model's
# phase_sequence): maritime interdiction, US strikes on Iranian soil, IRGC retaliation on hosts.
PHASE_INTERDICTION, PHASE_US_STRIKE, PHASE_HOST_RETALIATION = 1, 2, 3
SITES_NAMED = 4  # a strike package's sentence names its first four sites, then "and N more"


def irgc_acts(
    model: GulfModel, action: str, exposed_slots: np.ndarray, detected: np.ndarray
) -> int:
    """Carry out the IRGC's action of the round (ships in reach: `exposed_slots`, seen:
    `detected`), then book what it adds to Washington's grievance and settles of the IRGC's own
    (behaviour.grievances). Returns how many times the action was carried out: the ships
    attacked for strike_vessel, 0 for an order that found nothing in reach, else 1."""
    done = _carry_out_irgc(model, action, exposed_slots, detected)
    grievances = model.spec.behaviour.grievances
    model.us_unanswered += grievances.unanswered.per_irgc_action[action] * done
    if done:
        model.sovereignty *= grievances.sovereignty.left_after_irgc_action[action]
    return done


def _carry_out_irgc(
    model: GulfModel, action: str, exposed_slots: np.ndarray, detected: np.ndarray
) -> int:
    irgc = model.spec.actors.irgc
    if action == "enforce_mandates":
        model.mandate_memory = 1.0
        model.log_decision(
            "irgc",
            action,
            "strait",
            "warnings issued",
            "The IRGC enforces its routing mandates in the Strait: warnings and harassment of ships on the TSS branch.",
        )
    elif action == "strike_vessel":
        model.mandate_memory = 1.0
        candidates = exposed_slots[detected]
        if len(candidates) == 0:
            model.log_decision(
                "irgc",
                action,
                "strait",
                "no target",
                "The IRGC hunts for a ship outside the corridor but finds none in reach.",
            )
            return 0
        weapon = model.spec.weapons[irgc.anti_ship_weapon]
        hit_p = shipping.escorted(
            weapon.reliability * model.strike_capacity(),
            model.round <= model.escort_until,
            model.spec.actors.centcom.escort_protection,
        )
        attacked, hits = shipping.interdict(
            len(candidates), 1.0, irgc.vessel_strikes_per_round, hit_p, model.rng
        )
        model.tally.vessels_attacked += len(attacked)
        # Anti-ship shots are not part of the air-defence cost-exchange (no interceptor fired).
        model.tally.shipping_strike_spend += len(attacked) * weapon.unit_cost_usd
        struck = candidates[attacked[hits]]
        strike_vessels(model, struck)
        model.shipping_attack_memory += len(attacked)
        for slot, hit in zip(candidates[attacked], hits, strict=True):
            agent = model.fleet.agents[slot]
            name = f"vessel {agent.unique_id}" if agent is not None else "a vessel"
            outcome = "hit" if hit else "missed"
            model.log_decision(
                "irgc",
                action,
                name,
                outcome,
                f"The IRGC fires a {weapon.name} at {name}, running the TSS branch outside the mandated corridor: {outcome}.",
                phase=PHASE_INTERDICTION,
                figures={
                    "vessel": int(agent.unique_id) if agent is not None else None,
                    "hit": bool(hit),
                    "weapon": irgc.anti_ship_weapon,
                },
            )
        return len(attacked)
    elif action == "mine_lanes":
        laid = model.spec.behaviour.operations.mines_per_mining * model.strike_capacity()
        model.mines += laid
        model.shipping_attack_memory += 1.0
        model.log_decision(
            "irgc",
            action,
            "sea lanes",
            f"mine density {model.mines:.2f}",
            "The IRGC lays mines in the shipping lanes.",
            # Both follow the IRGC's strike capacity: hidden like the outcome's density.
            figures={"laid": round(laid, 6), "density": round(model.mines, 6)},
        )
    elif action == "salvo_hosts":
        view = model.views["irgc"]
        discount = model.intel.discounts(view)
        # Only sites some of the salvo reaches from the launch sites standing (Intel.targets).
        targets = model.intel.salvo_targets(discount, irgc.salvo_targets, model.capacity)
        if not targets:
            model.log_decision(
                "irgc",
                action,
                "host states",
                "no launcher in reach",
                "The IRGC orders salvos at host-state bases but has no launcher left in reach.",
            )
            return 0
        for target in targets:
            fire_salvo(model, target.node, irgc.salvo_per_target, action)
        model.host_strike_memory += 1.0
    elif action == "strike_energy":
        _, energy_targets = model.intel.targets(model.capacity)
        if not energy_targets:
            model.log_decision(
                "irgc",
                action,
                "energy",
                "no launcher in reach",
                "The IRGC orders strikes on Gulf energy assets but has no launcher in reach.",
            )
            return 0
        fire_salvo(model, energy_targets[0].node, irgc.energy_salvo, action)
        model.host_strike_memory += 1.0
    elif action == "strike_us_navy":
        # Counted as carried out even when no warship is in reach (the engine's rule before
        # issue 8, kept: this issue changes no result).
        strike_navy(model)
    else:
        model.log_decision("irgc", action, "-", "done", f"The IRGC {ACTIONS[action].label}.")
    return 1


def fire_salvo(model: GulfModel, node_id: str, salvo: Salvo, action: str) -> None:
    """Fire the part of the IRGC's raid that reaches one defended site (from the launch sites
    standing) and book every consequence."""
    scenario = model.spec
    node = scenario.node(node_id)
    reach = model.theatre.salvo_reach(model.capacity)
    groups = salvo_groups(
        scenario,
        reachable_mix(salvo, node_id, reach),
        missile_scale=max(model.missile_capacity(), 0.0),
        drone_scale=model.drone_capacity(),
    )
    if not groups:
        return
    book_raid(model, node, groups, raid(model, node_id, groups), action)


def raid(model: GulfModel, node_id: str, groups: list[RaidGroup]):
    """Resolve a raid against a site's live magazines and write the magazines back."""
    if node_id not in model.magazine_slices:
        return resolve_raid(groups, [], model.rng)
    magazines = model.magazine[model.magazine_slices[node_id]]  # a view into the global array
    slots = layer_slots(model.spec, node_id)
    outcome = resolve_raid(groups, site_layers(model.spec, node_id, magazines), model.rng)
    magazines[slots] = outcome.magazines
    return outcome


def book_raid(
    model: GulfModel, node: Node, groups: list[RaidGroup], outcome: RaidOutcome, action: str
) -> None:
    """Book a resolved raid: interceptions, leakers, spend, damage, casualties, debris and fires."""
    adjudication = model.spec.adjudication
    tally = model.tally
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
    leaked = int(outcome.leaked.sum())
    intercepted = int(outcome.intercepted.sum())
    tally.leakers += leaked
    tally.interceptor_spend += outcome.interceptor_cost
    tally.attacker_spend += outcome.attacker_cost
    damage = strikes.leaker_damage(
        outcome.leaked, weapon_damage(model.spec, groups), node.hardening
    ) * effective_value(model.spec, node.id)
    deaths = strikes.leaker_casualties(
        leaked,
        node.population_exposure,
        model.spec.behaviour.operations.casualty_exposure_floor,
        adjudication,
        model.rng,
    )
    debris_harm, fire = strikes.debris_effects(
        intercepted, node.population_exposure, node.energy_proximity, adjudication, model.rng
    )
    if node.kind == NodeKind.ENERGY and leaked:
        fire = fire or strikes.energy_fire(leaked, adjudication, model.rng)
    casualties = deaths + debris_harm
    tally.casualties += casualties
    host = model.host_states.get(node.host or "")
    economic = damage * adjudication.economic_loss_per_damage
    if host is not None:
        host.damage_recent += damage
        host.casualties_recent += casualties
        host.interceptor_spend_round += outcome.interceptor_cost
        host.damage_total += damage
        tally.host_damage += damage
        if fire:
            host.force_majeure_until = max(
                host.force_majeure_until, model.round + adjudication.force_majeure_rounds - 1
            )
    model.totals["economic_loss_usd"] += economic
    fire_text = " Debris starts a fire; operators declare force majeure." if fire else ""
    model.log_decision(
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
            "launch_sites": launch_sites(model, node.id, groups),
            **{count: {k: int(v) for k, v in kinds.items()} for count, kinds in by_kind.items()},
            "damage": round(float(damage), 6),
            "casualties": int(casualties),
            "fire": bool(fire),
        },
    )


def launch_sites(model: GulfModel, node_id: str, groups: list[RaidGroup]) -> dict[str, list[str]]:
    """For each threat kind of a raid, the Iranian sites it can have come from: those of the
    kind's launch roles standing and in range of the target (the reach rule the raid was fired
    by). The model fires from the IRGC's capacity as a whole, so it names no single site."""
    theatre = model.theatre
    standing = model.capacity >= theatre.launch_floor
    target = theatre.index[node_id]
    sites = {}
    for group in groups:
        weapon = model.spec.weapons[group.weapon]
        able = theatre.launch_mask(WeaponKind(group.kind)) & standing
        in_range = theatre.distance_km[theatre.iran_site_index, target] <= weapon.range_km
        found = sites.setdefault(group.kind, [])
        found.extend(s for s, ok in zip(theatre.iran_sites, able & in_range, strict=True) if ok)
    return {kind: sorted(set(found)) for kind, found in sites.items()}


def strike_navy(model: GulfModel) -> None:
    """Anti-ship missiles and drones at US warships: afloat command if in reach, else the fleet
    at its fixed littoral headquarters (only while C2 stays there)."""
    irgc = model.spec.actors.irgc
    targets = [
        n.id
        for n in model.spec.nodes
        if n.kind == NodeKind.AFLOAT
        or (n.c2 and model.spec.levers.c2_posture.value == "fixed_littoral")
    ]
    targets = [
        t for t in targets if model.theatre.in_reach(irgc.anti_ship_weapon, t, model.capacity)
    ]
    if not targets:
        model.log_decision(
            "irgc",
            "strike_us_navy",
            "US Navy",
            "no target in reach",
            "The IRGC looks for US warships to strike but none is within anti-ship reach.",
        )
        return
    node = model.spec.node(targets[0])
    weapon = model.spec.weapons[irgc.anti_ship_weapon]
    groups = [
        RaidGroup(
            irgc.anti_ship_weapon,
            weapon.kind.value,
            model.spec.behaviour.operations.navy_strike_missiles,
            weapon.reliability,
            weapon.unit_cost_usd,
        )
    ]
    # The energy salvo rides along, the part of it that reaches the ships.
    reach = model.theatre.salvo_reach(model.capacity)
    groups += salvo_groups(model.spec, reachable_mix(irgc.energy_salvo, node.id, reach))
    book_raid(model, node, groups, raid(model, node.id, groups), "strike_us_navy")


def strike_vessels(model: GulfModel, slots: np.ndarray, by_mine: bool = False) -> None:
    """Ships hit by a missile or a mine: their loss, crew casualties, and they leave the theatre."""
    if len(slots) == 0:
        return
    params = model.spec.shipping
    loss = float(model.fleet.value[slots].sum() * params.strike_loss_fraction)
    if by_mine:
        model.tally.mine_hits += len(slots)
    else:
        model.tally.vessels_struck += len(slots)
    model.tally.shipping_loss += loss
    share = model.spec.behaviour.operations.crew_casualty_share
    model.tally.casualties += int(model.rng.binomial(params.crew * len(slots), share))
    model.fleet.depart(slots)


def centcom_acts(model: GulfModel, action: str, capacity_before: np.ndarray) -> None:
    """Carry out CENTCOM's action (strike planners aim by capacity at the start of the round),
    then book what it adds to the IRGC's sovereignty grievance and settles of Washington's
    (behaviour.grievances)."""
    centcom = model.spec.actors.centcom
    if action == "escort":
        model.escort_until = model.round + model.spec.behaviour.operations.escort_rounds
    if action in STRIKE_OPTIONS:
        usable = model.views["centcom"].usable_basing
        roles, count, per_target = strike_package(model.spec, model.theatre, action)
        count = max(1, int(round(count * usable)))
        eligible = [i for i, role in enumerate(model.theatre.site_roles) if role in roles]
        # Planners hit what still stands, most valuable first.
        eligible.sort(key=lambda i: (-capacity_before[i] * model.site_value[i], i))
        targets = np.array(eligible[:count], dtype=np.int64)
        weapon = model.spec.weapons[centcom.strike_weapon]
        struck_before = model.capacity[targets]
        model.capacity, hits = strikes.strike_sites(
            model.capacity,
            targets,
            per_target,
            weapon.reliability,
            model.site_hardening,
            centcom.damage_per_hit,
            model.rng,
        )
        spend = len(targets) * per_target * weapon.unit_cost_usd
        model.tally.us_strike_spend += spend
        model.tally.sites_struck += len(targets)
        model.us_strike_memory += 1.0
        named = targets[:SITES_NAMED]
        names = ", ".join(model.spec.node(model.theatre.iran_sites[i]).name for i in named)
        more = f" and {len(targets) - len(named)} more" if len(targets) > len(named) else ""
        model.log_decision(
            "centcom",
            action,
            f"{len(targets)} Iranian sites",
            f"{int(hits.sum())} hits; surveillance now {model.surveillance():.2f}",
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
                        "site": model.theatre.iran_sites[i],
                        "weapons": int(per_target),
                        "hits": int(h),
                        "capacity_loss": round(float(before - model.capacity[i]), 6),
                    }
                    for i, h, before in zip(targets, hits, struck_before, strict=True)
                ],
                "surveillance": round(model.surveillance(), 6),
            },
        )
    else:
        model.log_decision("centcom", action, "-", "done", f"CENTCOM {ACTIONS[action].label}.")
    grievances = model.spec.behaviour.grievances
    model.sovereignty += grievances.sovereignty.per_centcom_action[action]
    model.us_unanswered *= grievances.unanswered.left_after_centcom_action[action]
    model.relief_offered = action == "hold_and_negotiate"


def host_acts(model: GulfModel, host_id: str, action: str) -> None:
    """Carry out one host's measure: interceptors, basing restrictions, restraint, own channel."""
    state = model.host_states[host_id]
    params = model.hosts[host_id].params
    behaviour = model.spec.behaviour.hosts
    if action == "request_interceptors":
        slot = model.request_slots[host_id]
        if slot is not None:
            node_id, index = slot
            flat = model.magazine_slices[node_id].start + index
            model.magazine[flat] += params.interceptor_request_size
            model.magazine_cap[flat] += params.interceptor_request_size
    elif action == "restrict_basing":
        state.restricted_until = model.round + behaviour.restriction_rounds
    elif action == "press_restraint":
        model.restraint_pressure += behaviour.restraint_per_press
    elif action == "open_channel":
        state.open_channel_until = model.round + behaviour.own_channel_rounds
    if action != "stay_quiet":
        model.log_decision(host_id, action, "-", "done", f"{params.name} {ACTIONS[action].label}.")
