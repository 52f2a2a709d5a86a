"""Grievances the sides keep against each other (scenario `behaviour.grievances`) and the
memories of recent events the actors and ship owners read (`behaviour.memories`): how they grow
from what each side does and sees, and how they fade, as pure functions of the old values and
the round's news."""

from __future__ import annotations

from dataclasses import dataclass

from wargame.config.schema import DefianceGrievance, Memories, PremiumModel
from wargame.config.schema import Grievances as GrievanceRules


@dataclass
class Grievances:
    """What each side holds against the other, and the memories of recent events it reads.

    The grievances (defiance of the IRGC's mandates, violations of Iran's sovereignty,
    Washington's unanswered violations) grow with the other side's actions and shrink when
    answered. The memories count recent events and fade each round by the scenario's
    `behaviour.memories` (the field of the same name): ships and CENTCOM read them as risk,
    hosts as threat. The world keeps one (state.World.grievances): the actors' orders change it
    in phase 4 (adjudication's irgc.act and centcom.act, by `after_irgc_action` and
    `after_centcom_action`), and it fades in phase 6 (adjudication.diplomacy, by `faded`)."""

    defiance: float = 0.0  # ships seen running the TSS branch
    sovereignty: float = 0.0  # US strikes and escorts, as Tehran counts them
    us_unanswered: float = 0.0  # IRGC attacks Washington has not answered
    shipping_attacks: float = 0.0  # recent attacks on ships (what owners and CENTCOM read)
    premium_attacks: float = 0.0  # recent attacks on ships as the war-risk market reads them
    host_strikes: float = 0.0  # recent IRGC salvos at hosts and energy
    us_strikes: float = 0.0  # recent US strike packages
    mandates: float = 1.0  # the routing mandates stand from the start of the MOU
    restraint_pressure: float = 0.0  # hosts pressing Washington for restraint
    transits: float = 0.0  # ships getting through per round, smoothed
    relief_offered: bool = False  # CENTCOM held and negotiated this round


def defiance_seen(defiance: float, detected: int, params: DefianceGrievance) -> float:
    """The IRGC's defiance after a round: the old memory faded, plus the defiant ships it saw
    (`vessels_per_unit` of them make one unit)."""
    return params.memory * defiance + detected / params.vessels_per_unit


def after_irgc_action(
    grievances: Grievances, action: str, carried_out: int, rules: GrievanceRules
) -> tuple[float, float]:
    """What the IRGC's action, carried out `carried_out` times (ships attacked, else 0 or 1),
    adds to Washington's grievance and settles of Tehran's: (us_unanswered, sovereignty).
    Applied by adjudication.irgc.act once the order has been carried out."""
    unanswered = grievances.us_unanswered + rules.unanswered.per_irgc_action[action] * carried_out
    sovereignty = grievances.sovereignty
    if carried_out:
        sovereignty *= rules.sovereignty.left_after_irgc_action[action]
    return unanswered, sovereignty


def after_centcom_action(
    grievances: Grievances, action: str, rules: GrievanceRules
) -> tuple[float, float, bool]:
    """What CENTCOM's action adds to Tehran's sovereignty grievance and settles of
    Washington's, and whether it offers the relief Tehran reads (holding to negotiate):
    (sovereignty, us_unanswered, relief_offered). Applied by adjudication.centcom.act once the
    order has been carried out."""
    return (
        grievances.sovereignty + rules.sovereignty.per_centcom_action[action],
        grievances.us_unanswered * rules.unanswered.left_after_centcom_action[action],
        action == "hold_and_negotiate",
    )


def faded(
    grievances: Grievances,
    defiant_detected: int,
    irgc_action: str,
    irgc_carried_out: int,
    ships_attacked: int,
    rules: GrievanceRules,
    memories: Memories,
    premium: PremiumModel,
) -> Grievances:
    """The grievances and memories at the end of a round (phase 6): the IRGC's defiance takes
    in the defiant ships it saw and is cut by its own action carried out, the market's memory
    takes in the ships attacked (missiles and mines), and every memory fades by its share."""
    defiance = defiance_seen(grievances.defiance, defiant_detected, rules.defiance)
    if irgc_carried_out:
        defiance *= rules.defiance.left_after_irgc_action[irgc_action]
    # Built whole, not by dataclasses.replace: once a round, and replace cost more than the rule.
    return Grievances(
        defiance=defiance,
        sovereignty=grievances.sovereignty * rules.sovereignty.memory,
        us_unanswered=grievances.us_unanswered * rules.unanswered.memory,
        shipping_attacks=grievances.shipping_attacks * memories.shipping_attacks,
        premium_attacks=premium.memory * grievances.premium_attacks + ships_attacked,
        host_strikes=grievances.host_strikes * memories.host_strikes,
        us_strikes=grievances.us_strikes * memories.us_strikes,
        mandates=grievances.mandates * memories.mandates,
        restraint_pressure=grievances.restraint_pressure * memories.restraint_pressure,
        transits=grievances.transits,
        relief_offered=grievances.relief_offered,
    )


def transits_remembered(remembered: float, transits: int, keep: float) -> float:
    """CENTCOM's running average of ships getting through, after a round of `transits`."""
    return keep * remembered + (1 - keep) * transits
