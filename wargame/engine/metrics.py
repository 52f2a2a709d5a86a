"""Per-round metrics: small reporter functions the model's DataCollector calls once a round.

Every number the CLI table, the summary, the files and the UI show comes from here, never
recomputed elsewhere. `MODEL_REPORTERS` are the DataCollector's columns; `host_rows` gives the
per-host numbers, whose hosts depend on the scenario and so cannot be fixed columns.

`row` gives every column's value of a round at once, in one pass over the world; it is what
the model's collector calls (once a round, instead of once per column), and it must equal
calling each reporter (the collector checks its first row, tests check whole runs).

Every reporter is a module-level function (the generated ones are registered in this module
under their own names), so a model with its DataCollector pickles to a worker process. Every
reporter returns a number or a string, which `collector.MetricsCollector` keeps as it is. No
Mesa here: `run.py validate` reads the metric names without loading it.
"""

from __future__ import annotations

from wargame.config.ladder import ACTIONS, rung_name
from wargame.engine.rules.defence import THREAT_KINDS
from wargame.engine.state import TOTAL_KEYS


def _r6(value: float) -> float:
    """`round(value, 6)`, without the call for a whole number, which it returns unchanged (sign
    and type included): most running totals are counts, and a round() is a third of a
    microsecond, dozens of them a round."""
    return value if value.is_integer() else round(value, 6)


def round_number(model) -> int:
    return model.round


def date(model) -> str:
    return model.date.isoformat()


def rung(model) -> int:
    return model.world.tally.rung


def rung_label(model) -> str:
    return rung_name(model.world.tally.rung)


def severity(model) -> int:
    """The round's severity score (Rivera et al. tiers): the higher of the IRGC's and CENTCOM's
    actions, as the rung is the higher of their rungs."""
    return _severity(model.world.tally)


def _severity(tally) -> int:
    return max(ACTIONS[tally.irgc_action].severity, ACTIONS[tally.centcom_action].severity)


def doctrine_split(model) -> float:
    """The weight of the reciprocity wing in Washington (a lever; constant through a run)."""
    return _r6(model.spec.levers.doctrine_split)


def highest_rung(model) -> int:
    return model.world.highest_rung


def mou_state(model) -> str:
    return model.world.diplomacy.mou.name


def channel(model) -> str:
    return model.world.diplomacy.channel.name


def irgc_action(model) -> str:
    return model.world.tally.irgc_action


def centcom_action(model) -> str:
    return model.world.tally.centcom_action


def lebanon_intensity(model) -> float:
    return _r6(model.world.lebanon)


def us_ledger(model) -> float:
    return _r6(model.world.diplomacy.ledgers.us)


def iran_ledger(model) -> float:
    return _r6(model.world.diplomacy.ledgers.iran)


def transits(model) -> int:
    return model.world.tally.transits


def vessels_in_area(model) -> int:
    return model.fleet.count()


def outside_corridor(model) -> int:
    return model.world.tally.outside


def vessels_struck(model) -> int:
    return model.world.tally.vessels_struck + model.world.tally.mine_hits


def war_risk_premium(model) -> float:
    return _r6(model.world.premium)


def launched(model) -> int:
    """Threats the IRGC fired at defended sites this round, every kind."""
    return sum(model.world.tally.launched.values())


def leakers(model) -> int:
    return model.world.tally.leakers


def failed_in_flight(model) -> int:
    """Threats fired this round that failed on their own (reliability), every kind."""
    return sum(model.world.tally.failed.values())


def iran_surveillance(model) -> float:
    return _r6(model.world.iran.surveillance())


def host_tolerance_mean(model) -> float:
    return _host_tolerance(model.world.hosts.values())


def _host_tolerance(states) -> float:
    return _r6(sum(s.tolerance for s in states) / len(states))


def hosts_restricting(model) -> int:
    return sum(s.restricted for s in model.world.hosts.values())


def cost_exchange_so_far(model) -> float:
    """Interceptor spend over attacker spend, cumulative (0 before anything is fired)."""
    return _cost_exchange(model.world.totals)


def _cost_exchange(totals) -> float:
    attacker = totals["attacker_spend_usd"]
    return _r6(totals["interceptor_spend_usd"] / attacker) if attacker else 0.0


def cost_exchange_of_kind(totals, kind: str) -> float | None:
    """Interceptor USD fired at threats of `kind` per attacker USD of `kind` launched at
    defended sites, over the run; None before any was launched (the run's summary and a
    sweep's outcome `cost_exchange_<kind>`, not a metrics column)."""
    attacker = totals[f"attacker_spend_{kind}_usd"]
    return totals[f"interceptor_spend_{kind}_usd"] / attacker if attacker else None


def interceptor_usd_per_engaged(totals, kind: str) -> float | None:
    """Interceptor USD fired at threats of `kind` per engagement of one (a threat two layers
    engage counts twice), over the run; None before any was engaged."""
    engaged = totals[f"engaged_{kind}"]
    return totals[f"interceptor_spend_{kind}_usd"] / engaged if engaged else None


def interception_rate(model) -> float:
    """Share of the threats engaged so far that were intercepted, cumulative: intercepted over
    intercepted plus leaked, every kind (threats that failed in flight were never engaged).

    0.0 before the first engagement, as cost_exchange is 0 before anything is fired: a None
    would become NaN in the DataCollector's pandas frame, and so in the files and the sweep's
    Parquet (float64, which takes this column from the return type). Read it with a count of
    threats engaged (total_intercepted_* and total_leaked_*) to tell 0.0 "none yet" from
    "none stopped".
    """
    return _interception_rate(model.world.totals)


def _interception_rate(totals) -> float:
    intercepted = sum(map(totals.__getitem__, _INTERCEPTED_KEYS))
    engaged = intercepted + sum(map(totals.__getitem__, _LEAKED_KEYS))
    return _r6(intercepted / engaged) if engaged else 0.0


_INTERCEPTED_KEYS = tuple(f"intercepted_{kind}" for kind in THREAT_KINDS)
_LEAKED_KEYS = tuple(f"leaked_{kind}" for kind in THREAT_KINDS)


def interceptors_left(model) -> int:
    """Interceptors left in every magazine of every defended site (US and host)."""
    return int(model.world.magazines.left.sum())


def magazine_share(model) -> float:
    """The fielded defences left as a share of their capacity, weighted by unit cost
    (requested stock included): a count would be held near 1 by the never-spent uses of an
    unfielded laser or jammer (1,500 a site) and hide the Patriots running out."""
    return _r6(model.world.magazines.defence_share())


def host_rows(model) -> dict[str, dict]:
    """This round's numbers for each host, for the UI's per-host lines and the map.

    Called once a round by the UI (not a DataCollector column: the hosts differ by scenario).
    Each row is JSON-able and names its host and round, so rows of many rounds can be kept as
    one flat list. Tolerance is a host's secret (see observation.can_see "tolerance").
    `interceptors_left` counts every round in the host's sites' magazines; `magazine_share` is
    the host's defences left by what they are worth (state.Magazines.host_defence_shares, what
    the host itself reads: HostView.magazine_share), so the never-spent uses of a laser or jammer
    the defence mix does not field do not hold it near 100% while the Patriots run out.
    """
    rows = {}
    magazines = model.world.magazines
    counts = magazines.host_magazines()
    shares = magazines.host_defence_shares()
    for host_id, state in model.world.hosts.items():
        left, _ = counts[host_id]
        rows[host_id] = {
            "host": host_id,
            "round": model.round,
            "tolerance": round(state.tolerance, 6),
            "damage_total": round(state.damage_total, 6),
            "restricted": bool(state.restricted),
            "force_majeure": state.force_majeure_until >= model.round > 0,
            "interceptors_left": left,
            "magazine_share": _r6(shares[host_id]),
        }
    return rows


def _generated(name, reporter):
    # Registered at module level under its own name, so pickle finds it by reference.
    reporter.__name__ = reporter.__qualname__ = name
    globals()[name] = reporter
    return reporter


def _intercepted(kind):
    def reporter(model) -> int:
        return model.world.tally.intercepted[kind]

    return _generated(f"intercepted_{kind}", reporter)


def _total(key):
    def reporter(model) -> float:
        return _r6(model.world.totals[key])

    return _generated(f"total_{key}", reporter)


MODEL_REPORTERS = {
    "round": round_number,
    "date": date,
    "rung": rung,
    "rung_name": rung_label,
    "highest_rung": highest_rung,
    "mou": mou_state,
    "channel": channel,
    "irgc_action": irgc_action,
    "centcom_action": centcom_action,
    "lebanon": lebanon_intensity,
    "us_ledger": us_ledger,
    "iran_ledger": iran_ledger,
    "transits": transits,
    "vessels_in_area": vessels_in_area,
    "outside_corridor": outside_corridor,
    "vessels_struck": vessels_struck,
    "war_risk_premium": war_risk_premium,
    "launched": launched,
    **{f"intercepted_{kind}": _intercepted(kind) for kind in THREAT_KINDS},
    "leakers": leakers,
    "failed_in_flight": failed_in_flight,
    "iran_surveillance": iran_surveillance,
    "host_tolerance": host_tolerance_mean,
    "hosts_restricting": hosts_restricting,
    "cost_exchange": cost_exchange_so_far,
    **{f"total_{key}": _total(key) for key in TOTAL_KEYS},
    # Added for browser play, after the older columns so their order is unchanged.
    "interceptors_left": interceptors_left,
    "magazine_share": magazine_share,
    "severity": severity,
    "doctrine_split": doctrine_split,
    "interception_rate": interception_rate,
}


def row(model) -> list:
    """Every MODEL_REPORTERS column's value this round, in the columns' order: the same values
    as calling each reporter, read in one pass (what the model's MetricsCollector appends)."""
    world = model.world
    tally = world.tally
    totals = world.totals
    ledgers = world.diplomacy.ledgers
    hosts = world.hosts.values()
    magazines = world.magazines
    left = int(magazines.left.sum())
    intercepted = tally.intercepted
    return [
        world.round,
        world.date.isoformat(),
        tally.rung,
        rung_name(tally.rung),
        world.highest_rung,
        world.diplomacy.mou.name,
        world.diplomacy.channel.name,
        tally.irgc_action,
        tally.centcom_action,
        _r6(world.lebanon),
        _r6(ledgers.us),
        _r6(ledgers.iran),
        tally.transits,
        model.fleet.count(),
        tally.outside,
        tally.vessels_struck + tally.mine_hits,
        _r6(world.premium),
        sum(tally.launched.values()),
        *[intercepted[kind] for kind in THREAT_KINDS],
        tally.leakers,
        sum(tally.failed.values()),
        _r6(world.iran.surveillance()),
        _host_tolerance(hosts),
        sum(s.restricted for s in hosts),
        _cost_exchange(totals),
        # Each total through _r6, written inline: dozens of calls a round.
        *[v if v.is_integer() else round(v, 6) for v in map(totals.__getitem__, TOTAL_KEYS)],
        left,
        _r6(magazines.defence_share()),
        _severity(tally),
        _r6(model.spec.levers.doctrine_split),
        _interception_rate(totals),
    ]
