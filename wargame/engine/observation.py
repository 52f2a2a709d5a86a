"""Fog of war: what each side may see, when it decides and when it plays in the browser.

The one authority on what a side sees. Actors decide from their views (`IrgcView`,
`CentcomView`, `HostView`), never from the model: each side sees its own state exactly and the
others' doings as reported, with error. For browser play the same rules say which secrets a
side may read (`can_see`), which metric columns (`visible_metrics`), what it reads of each event
(`event_for`) and of each host's numbers (`host_row_for`), and the view it decides from
(`side_observation`). The "observer" sees everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from wargame.config.schema import MouLinkage
from wargame.engine.rules.defence import THREAT_KINDS
from wargame.engine.rules.diplomacy import Channel
from wargame.engine.rules.grievance import defiance_seen
from wargame.engine.rules.tolerance import host_threat

if TYPE_CHECKING:
    from mesa import Model

    from wargame.config.schema import Scenario
    from wargame.engine.state import World

OBSERVER = "observer"
SIDES_FIXED = ("observer", "centcom", "irgc")
SECRETS = ("iran_sites", "magazines", "reasons", "tolerance", "ledger", "doctrine")


def reported(value: float, noise: float, rng: np.random.Generator) -> float:
    """A report of a positive quantity with multiplicative log-normal error (median = truth)."""
    if value == 0.0 or noise == 0.0:
        return float(value)
    return float(value * np.exp(noise * rng.standard_normal()))


@dataclass(frozen=True)
class IrgcView:
    round: int
    capacity: np.ndarray  # its own sites, exact
    surveillance: float  # capacity to watch the Strait (radar and surveillance sites)
    strike_capacity: float  # anti-ship and drone launch capacity
    defiant_detected: int  # ships seen running the TSS branch this round
    defiance: float  # remembered defiance of the routing mandate
    sovereignty: float  # unanswered US strikes on Iranian soil
    lebanon: float  # intensity of Israeli operations in southern Lebanon
    linked: bool
    us_resolve: float  # perceived weight of the reciprocity wing in Washington, noisy
    relief_offered: bool
    channel_open: bool
    host_open_channel: frozenset[str]  # hosts that opened their own channel to Tehran
    restricted_hosts: frozenset[str]
    # Its raids' results as reported to it, fading (state.RaidRecord): threats it saw get
    # through / intercepted, per node (theatre.node_ids) and threat kind (THREAT_KINDS).
    leaked_seen: np.ndarray
    intercepted_seen: np.ndarray


@dataclass(frozen=True)
class CentcomView:
    round: int
    shipping_attacks: float  # attacks on shipping reported recently (decayed)
    unanswered: float  # reported violations since the last US strike (decayed)
    transit_shortfall: float  # share of normal traffic missing
    mines: float  # reported mine density
    # Each Iranian site's capacity as CENTCOM's intelligence reports it (noisy, 0..1, in the
    # order of theatre.iran_sites): its planners aim packages by it, its iranian_threat term
    # reads their mean (`iran_capacity`, also what the map shows a CENTCOM player).
    site_capacity: np.ndarray
    iran_capacity: float
    # Its own air defence so far, exact: interceptor USD fired in host raids, Iranian weapons
    # launched into them, and every magazine's stock and room (state.Magazines' order).
    interceptor_spend: float
    threats_launched: int
    magazines_left: np.ndarray
    magazines_cap: np.ndarray
    host_strikes: float  # salvos on host states reported recently (decayed)
    channel_open: bool
    restraint_pressure: float  # hosts pressing for restraint this round
    usable_basing: float  # share of host bases open for offensive use


@dataclass(frozen=True)
class HostView:
    host: str
    round: int
    tolerance: float
    damage_recent: float  # its own damage, exact (decayed)
    casualties_recent: float
    force_majeure: int
    threat: float  # perceived chance of being struck soon
    restricted: bool
    # Its own fielded interceptors left, share of the start, by what they are worth
    # (state.Magazines.host_defence_shares).
    magazine_share: float


# --- the views the actors decide from (phase 3) ---------------------------------------------


def _view(cls, **values):
    """A view (a frozen dataclass) with these field values, built without its generated
    __init__: that sets each field through object.__setattr__, which made building the seven
    views of a round cost twice what it does this way. Still frozen; `values` must name every
    field (a test checks that each view equals the one its __init__ builds)."""
    view = object.__new__(cls)
    view.__dict__.update(values)
    return view


def observe(
    world: World, scenario: Scenario, detected: int, rng: np.random.Generator
) -> tuple[IrgcView, CentcomView, dict[str, HostView]]:
    """Every actor's view of the world this round (`detected`: defiant ships the IRGC saw).
    CENTCOM's reports of Iranian doings and the IRGC's reading of Washington draw their error
    from `rng`, in this order."""
    irgc_noise = scenario.actors.irgc.observation_noise
    centcom_noise = scenario.actors.centcom.observation_noise
    grievances = world.grievances
    iran = world.iran
    channel_open = world.diplomacy.channel == Channel.OPEN
    restricted = frozenset(h for h, s in world.hosts.items() if s.restricted)
    open_channel = frozenset(
        h for h, s in world.hosts.items() if s.open_channel_until >= world.round
    )
    irgc_view = _view(
        IrgcView,
        round=world.round,
        capacity=iran.capacity.copy(),
        surveillance=iran.surveillance(),
        strike_capacity=iran.strike_capacity(),
        defiant_detected=detected,
        defiance=defiance_seen(
            grievances.defiance, detected, scenario.behaviour.grievances.defiance
        ),
        sovereignty=grievances.sovereignty,
        lebanon=world.lebanon,
        linked=scenario.levers.mou_linkage == MouLinkage.LINKED,
        us_resolve=min(1.0, reported(scenario.levers.doctrine_split, irgc_noise, rng)),
        relief_offered=grievances.relief_offered,
        channel_open=channel_open,
        host_open_channel=open_channel,
        restricted_hosts=restricted,
        leaked_seen=iran.raids.leaked.copy(),
        intercepted_seen=iran.raids.intercepted.copy(),
    )
    site_reports = np.clip(
        iran.capacity * np.exp(centcom_noise * rng.standard_normal(len(iran.capacity))), 0.0, 1.0
    )
    hosts_of_bases = world.us_base_hosts
    usable = 1.0 - sum(host in restricted for host in hosts_of_bases) / max(1, len(hosts_of_bases))
    normal = max(1.0, scenario.shipping.arrivals_per_round)
    centcom_view = _view(
        CentcomView,
        round=world.round,
        shipping_attacks=reported(grievances.shipping_attacks, centcom_noise, rng),
        unanswered=reported(grievances.us_unanswered, centcom_noise, rng),
        transit_shortfall=max(0.0, 1.0 - grievances.transits / normal),
        mines=reported(iran.mines, centcom_noise, rng),
        site_capacity=site_reports,
        iran_capacity=float(site_reports.mean()) if len(site_reports) else 0.0,
        interceptor_spend=world.totals["interceptor_spend_usd"],
        threats_launched=int(sum(world.totals[f"launched_{kind}"] for kind in THREAT_KINDS)),
        magazines_left=world.magazines.left.copy(),
        magazines_cap=world.magazines.cap.copy(),
        host_strikes=grievances.host_strikes,
        channel_open=channel_open,
        restraint_pressure=grievances.restraint_pressure,
        usable_basing=usable,
    )
    threat = host_threat(grievances.us_strikes, grievances.host_strikes, scenario.behaviour.hosts)
    defences = world.magazines.host_defence_shares()
    host_views = {}
    for host_id, state in world.hosts.items():
        host_views[host_id] = _view(
            HostView,
            host=host_id,
            round=world.round,
            tolerance=state.tolerance,
            damage_recent=state.damage_recent,
            casualties_recent=state.casualties_recent,
            force_majeure=max(0, state.force_majeure_until - world.round + 1),
            threat=threat,
            restricted=state.restricted,
            magazine_share=defences[host_id],
        )
    return irgc_view, centcom_view, host_views


# --- who may see what -----------------------------------------------------------------------


def sides(scenario: Scenario) -> tuple[str, ...]:
    """Every side a player can take: the fixed three, then the scenario's hosts in file order."""
    return SIDES_FIXED + tuple(host.id for host in scenario.actors.hosts)


def can_see(side: str, secret: str, owner: str | None = None) -> bool:
    """Whether `side` may read `secret` (of `owner`; None means every owner's at once).

    - "iran_sites": the true capacity of the Iranian sites. Only the IRGC knows its own;
      CENTCOM has reports with error, the hosts nothing better.
    - "magazines" (owner "us" or a host id): interceptors left at defended sites. CENTCOM runs
      the integrated air defence, so it sees every US and host site; a host sees the sites on
      its soil (its HostView's magazine share); the IRGC none.
    - "reasons" (owner an actor): a decision's options, probabilities and cost terms.
    - "tolerance" (owner a host id): a host's willingness to keep hosting, its own secret.
    - "ledger" (owner "us" or "iran"): each side's count of the other's violations; the US one
      is CENTCOM's, the Iranian one the IRGC's.
    - "doctrine": the weight of the reciprocity wing in Washington. CENTCOM knows it; the IRGC
      reads it with error (its view's `us_resolve`).
    """
    if secret not in SECRETS:
        raise ValueError(f"unknown secret {secret!r}; expected one of {', '.join(SECRETS)}")
    if side == OBSERVER:
        return True
    if secret == "iran_sites":
        return side == "irgc"
    if secret == "magazines":
        return side == "centcom" or (side != "irgc" and owner == side)
    if secret == "ledger":
        return (side, owner) in (("centcom", "us"), ("irgc", "iran"))
    if secret == "doctrine":
        return side == "centcom"
    return owner == side  # reasons and tolerance: only their owner


# Which secret (and whose) each DataCollector column would reveal; None: public. Every column
# of metrics.MODEL_REPORTERS is listed (a test checks it); a column not listed is hidden from
# all but the observer, so a new metric stays hidden until someone decides.
_PUBLIC = (
    # The clock, the ladder and what each side did: acts are seen by everyone (strikes, salvos,
    # mines and escorts are public events), as are the MOU and the Swiss channel.
    "round",
    "date",
    "rung",
    "rung_name",
    "highest_rung",
    "severity",
    "mou",
    "channel",
    "irgc_action",
    "centcom_action",
    # Israeli operations in Lebanon are in the news.
    "lebanon",
    # Shipping is tracked by AIS and priced by insurers: public.
    "transits",
    "vessels_in_area",
    "outside_corridor",
    "vessels_struck",
    "war_risk_premium",
    # Raids on defended sites are seen from both ends: the attacker counts what it launched,
    # defenders announce interceptions, leakers and debris land in public. Basing
    # restrictions are announced.
    "launched",
    "leakers",
    "failed_in_flight",
    "hosts_restricting",
)
_COLUMN_SECRETS: dict[str, tuple[str, str | None] | None] = {
    **dict.fromkeys(_PUBLIC),
    # Every threat of each kind launched, intercepted, leaked or failed: public, as above.
    **{f"intercepted_{kind}": None for kind in THREAT_KINDS},
    **{
        f"total_{count}_{kind}": None
        for count in ("launched", "intercepted", "leaked", "failed")
        for kind in THREAT_KINDS
    },
    # The share of threats engaged that were intercepted, cumulative: a ratio of the public
    # intercepted and leaked counts above, so public too (it says nothing of magazines: how
    # many interceptors each threat took stays in the spend and stock columns below).
    "interception_rate": None,
    # Running totals of public quantities: attacker weapons (launched counts times known
    # prices), US strike packages, shots at ships, damage and casualties seen on the ground,
    # ships lost or through, fires and force majeure declared by operators.
    **dict.fromkeys(
        (
            "total_attacker_spend_usd",
            "total_us_strike_spend_usd",
            "total_shipping_strike_spend_usd",
            "total_host_damage",
            "total_economic_loss_usd",
            "total_casualties",
            "total_vessels_struck",
            "total_transits",
            "total_shipping_loss_usd",
            "total_leakers",
            "total_force_majeure_days",
        )
    ),
    # Interceptors fired count every shot from every magazine (several per threat, misses
    # included), so the spend, the cost-exchange ratio built on it and the stock left are the
    # magazines of all sites: CENTCOM's air-defence picture, not a host's or the IRGC's.
    "total_interceptor_spend_usd": ("magazines", None),
    "cost_exchange": ("magazines", None),
    "interceptors_left": ("magazines", None),
    "magazine_share": ("magazines", None),
    # The true capacity of Iranian radar and surveillance sites: the IRGC's alone. CENTCOM
    # decides from a noisy estimate and must not be handed the truth by a chart.
    "iran_surveillance": ("iran_sites", None),
    # The mean over every host's tolerance reveals them all: only the observer.
    "host_tolerance": ("tolerance", None),
    # Each ledger belongs to the side that keeps it.
    "us_ledger": ("ledger", "us"),
    "iran_ledger": ("ledger", "iran"),
    "doctrine_split": ("doctrine", None),
}


def column_secret(column: str) -> tuple[str, str | None] | None:
    """The secret a metric column reveals; raises KeyError for a column nobody classified."""
    return _COLUMN_SECRETS[column]


def visible_metrics(side: str, columns: Iterable[str]) -> list[str]:
    """The DataCollector columns, of `columns` and in their order, that `side` may see."""
    if side == OBSERVER:
        return list(columns)
    visible = []
    for column in columns:
        if column not in _COLUMN_SECRETS:
            continue  # nobody decided: hidden
        secret = _COLUMN_SECRETS[column]
        if secret is None or can_see(side, *secret):
            visible.append(column)
    return visible


def magazine_owner(scenario: Scenario, node_id: str) -> str:
    """Whose magazine a defended site's is, for `can_see(side, "magazines", owner)`: the host
    it stands in, else "us" (the afloat command)."""
    host = scenario.node(node_id).host
    return host if host in {h.id for h in scenario.actors.hosts} else "us"


def host_row_for(side: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """One row of `metrics.host_rows` as `side` may see it: damage, restriction and force
    majeure are public; tolerance is the host's own; its magazines are its and CENTCOM's."""
    host = row["host"]
    shown = dict(row)
    if not can_see(side, "tolerance", owner=host):
        shown.pop("tolerance", None)
    if not can_see(side, "magazines", owner=host):
        shown.pop("interceptors_left", None)
        shown.pop("magazine_share", None)
    return shown


# --- events ---------------------------------------------------------------------------------

# Outcomes of IRGC orders that came to nothing (nobody in reach): nothing happened that
# others could see, and the reason (no launcher, no ship seen) tells of its capacities.
_CAME_TO_NOTHING = frozenset({"no target", "no launcher in reach", "no target in reach"})
_SURVEILLANCE_AFTER = re.compile(r"; surveillance now [-0-9.]+")
_TOLERANCE_NOTE = re.compile(r" \(tolerance [-0-9.]+\)")
_LEDGER_NOTE = re.compile(r" \(US ledger (?P<us>[-0-9.]+), Iranian ledger (?P<iran>[-0-9.]+)\)")
_TRAILING_REASON = re.compile(r" \([^()]*\)(?=\.$)")
# Figures (events.Event.figures) that follow the true capacity of the Iranian sites: which
# launch sites stand in range of a raid, mines laid and their density (both scale with the
# IRGC's strike capacity), a struck site's capacity lost and the surveillance left after a
# package. The same numbers the sentences and outcomes lose below.
_IRAN_SITE_FIGURES = frozenset({"launch_sites", "laid", "density", "capacity_loss", "surveillance"})


def event_for(side: str, event: Mapping[str, Any]) -> dict[str, Any] | None:
    """An `Event.to_dict()` (or `to_record()`) as `side` may read it, or None for an event it
    would not see.

    A decision's breakdown and probability (and whether a human ordered it) stay only on that
    actor's own events. Sentences quoting a hidden number lose it: true Iranian capacities
    (CENTCOM's strike results, mine density), a host's tolerance when it restricts basing,
    the ledgers when the MOU changes, and the IRGC's reason for halting or reopening the
    channel (its own grievance count). A record's `figures` lose the same secrets.
    """
    shown = dict(event)
    if side == OBSERVER:
        return shown
    actor = event.get("actor")
    if actor != side:
        for key in ("breakdown", "probability", "by_human"):
            shown.pop(key, None)
    action = event.get("action")
    outcome = str(event.get("outcome", ""))
    sentence = str(event.get("sentence", ""))
    if actor == "irgc" and outcome in _CAME_TO_NOTHING and not can_see(side, "reasons", "irgc"):
        return None
    if not can_see(side, "iran_sites"):
        if "figures" in event:
            shown["figures"] = _without(event["figures"], _IRAN_SITE_FIGURES)
        if actor == "irgc" and action == "mine_lanes" and outcome.startswith("mine density"):
            shown["outcome"] = "mines laid"
        if actor == "centcom":
            shown["outcome"] = _SURVEILLANCE_AFTER.sub("", outcome)
    if action == "restrict_basing" and not can_see(side, "tolerance", owner=actor):
        shown["sentence"] = _TOLERANCE_NOTE.sub("", sentence)
    if actor == "diplomacy" and action == "mou":
        shown["sentence"] = _LEDGER_NOTE.sub(lambda match: _ledger_note(side, match), sentence)
    if action in ("halt_channel", "reopen_channel") and not can_see(side, "reasons", actor):
        shown["sentence"] = _TRAILING_REASON.sub("", sentence)
    return shown


def _without(figures: Mapping[str, Any], hidden: frozenset[str]) -> dict[str, Any]:
    """A copy of an event's figures without the `hidden` keys, also inside lists of records
    (a package's sites)."""
    return {
        key: [_without(v, hidden) if isinstance(v, Mapping) else v for v in value]
        if isinstance(value, list)
        else value
        for key, value in figures.items()
        if key not in hidden
    }


def _ledger_note(side: str, match: re.Match) -> str:
    parts = [
        f"{name} ledger {match[owner]}"
        for owner, name in (("us", "US"), ("iran", "Iranian"))
        if can_see(side, "ledger", owner)
    ]
    return f" ({', '.join(parts)})" if parts else ""


# --- the view a side decides from -----------------------------------------------------------


def _plain(value: Any) -> Any:
    """A view's value as compact JSON: floats to 6 decimals, sets sorted, numpy to Python."""
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return round(float(value), 6)
    raise TypeError(f"no JSON form for {type(value).__name__}")


def _view_dict(view, model: Model) -> dict[str, Any]:
    record = {}
    for item in fields(view):
        value = getattr(view, item.name)
        if item.name in ("capacity", "site_capacity"):  # Iranian sites, by id
            value = {
                site: round(float(c), 6)
                for site, c in zip(model.theatre.iran_sites, value, strict=True)
            }
        elif item.name in ("leaked_seen", "intercepted_seen"):  # the IRGC's raid results
            value = {
                node: {kind: round(float(v), 6) for kind, v in zip(THREAT_KINDS, row, strict=True)}
                for node, row in zip(model.theatre.node_ids, value, strict=True)
                if row.any()
            }
        elif isinstance(value, np.ndarray):  # CENTCOM's magazines, in state.Magazines' order
            value = [_plain(v) for v in value.tolist()]
        else:
            value = _plain(value)
        record[item.name] = value
    return record


def side_observation(model: Model, side: str) -> dict[str, Any]:
    """The JSON-able view `side` decides from: the begun round's, else the last round's ({}
    before round 1). CENTCOM gets its reports with their error, never the true Iranian
    capacities; a host its own view; the observer every actor's view and the true site
    capacities now."""
    known = sides(model.spec)
    if side not in known:
        raise ValueError(f"unknown side {side!r}; expected one of {', '.join(known)}")
    views = model.views
    if not views:
        return {}
    if side != OBSERVER:
        return _view_dict(views[side], model)
    return {
        "round": model.round,
        "views": {actor: _view_dict(view, model) for actor, view in views.items()},
        "iran_sites": {
            site: round(float(c), 6)
            for site, c in zip(model.theatre.iran_sites, model.world.iran.capacity, strict=True)
        },
    }
