"""The state actors: the IRGC, CENTCOM and the GCC hosts, each with its own cost function.

An actor gets its view (observation.py), forecasts each option on its action menu as raw cost
terms (positive = bad, negative = a benefit), and picks by the logit rule (decision.py). The
forecasts use the same quantities the adjudication rules use (expected raid outcomes, package
damage), seen through the actor's own view. The terms are the seed's incompatible cost
functions: Washington counts shipping and credibility, Tehran counts sovereignty, the Lebanon
ledger and regime risk, hosts count damage and the value of hosting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from wargame.config.ladder import CENTCOM_ACTIONS, HOST_ACTIONS, IRGC_ACTIONS
from wargame.engine.decision import Decision, decide
from wargame.engine.intel import CASUALTY_SCALE, DAMAGE_SCALE
from wargame.engine.observation import CentcomView, HostView, IrgcView

if TYPE_CHECKING:
    from wargame.engine.model import GulfModel

# --- the IRGC's model of the world --------------------------------------------------------
# Chance Washington answers each IRGC option with strikes, before its perceived resolve.
IRGC_EXPECTS_US_RESPONSE = {
    "comply": 0.0,
    "posture": 0.02,
    "enforce_mandates": 0.05,
    "strike_vessel": 0.35,
    "mine_lanes": 0.35,
    "salvo_hosts": 0.6,
    "strike_energy": 0.7,
    "strike_us_navy": 0.95,
}
# How far each option answers unanswered US strikes on Iranian soil.
ANSWERS_SOVEREIGNTY = {
    "strike_vessel": 0.2,
    "mine_lanes": 0.2,
    "salvo_hosts": 1.0,
    "strike_energy": 1.0,
    "strike_us_navy": 1.0,
}
# How far each option keeps pressure on for the linked outside theatre.
COERCES = {
    "posture": 0.3,
    "enforce_mandates": 0.6,
    "strike_vessel": 1.0,
    "mine_lanes": 1.0,
    "salvo_hosts": 1.0,
    "strike_energy": 1.0,
    "strike_us_navy": 1.0,
}
# How far each option restores the credibility of the routing mandates.
PUNISHES_DEFIANCE = {"enforce_mandates": 0.25, "strike_vessel": 1.0, "mine_lanes": 0.5}
# Regime risk by rung: Washington's "will no longer exist" ceiling makes it convex.
REGIME_RISK_BY_RUNG = {0: 0.0, 1: 0.0, 2: 0.02, 3: 0.4, 5: 0.6, 6: 1.0, 7: 2.5}
ECONOMIC_FRICTION = {
    "enforce_mandates": 0.1,
    "strike_vessel": 0.8,
    "mine_lanes": 0.7,
    "salvo_hosts": 0.3,
    "strike_energy": 1.5,
    "strike_us_navy": 0.5,
}

# --- CENTCOM's model of the world ---------------------------------------------------------
CENTCOM_EXPECTS_RETALIATION = {
    "hold_and_negotiate": 0.01,
    "escort": 0.03,
    "attribute_and_warn": 0.02,
    "limited_strikes": 0.6,
    "expanded_strikes": 0.8,
    "regime_campaign": 1.0,
}
PROTECTS_SHIPPING = {
    "hold_and_negotiate": 0.1,
    "escort": 0.5,
    "attribute_and_warn": 0.1,
    "limited_strikes": 0.6,
    "expanded_strikes": 0.8,
    "regime_campaign": 0.9,
}
ANSWERS_VIOLATIONS = {
    "escort": 0.2,
    "attribute_and_warn": 0.2,
    "limited_strikes": 1.0,
    "expanded_strikes": 1.0,
    "regime_campaign": 1.0,
}
TOP_RUNG_RISK = {0: 0.0, 1: 0.02, 4: 0.3, 6: 1.0, 8: 3.0}
STRIKE_OPTIONS = ("limited_strikes", "expanded_strikes", "regime_campaign")

# --- hosts --------------------------------------------------------------------------------
REDUCES_HARM = {
    "request_interceptors": 0.3,
    "restrict_basing": 0.5,
    "press_restraint": 0.2,
    "open_channel": 0.3,
}
HOSTING_LOST = {"restrict_basing": 1.0, "press_restraint": 0.2, "open_channel": 0.3}


class StateActor(mesa.Agent):
    """Common machinery: observe, forecast the menu as cost terms, choose by logit."""

    actor_id: str
    model: GulfModel

    def __init__(self, model: GulfModel, rationality: float, weights: dict[str, float]):
        super().__init__(model)
        self.rationality = rationality
        self.weights = weights
        self.last_decision: Decision | None = None

    def choose(self, raw_terms: dict[str, dict[str, float]]) -> Decision:
        self.last_decision = decide(
            self.actor_id, raw_terms, self.weights, self.rationality, self.model.rng
        )
        return self.last_decision


class Irgc(StateActor):
    actor_id = "irgc"

    def option_costs(self, view: IrgcView) -> dict[str, dict[str, float]]:
        model = self.model
        resolve = 0.5 + view.us_resolve
        limited_loss, expanded_loss = model.intel.iran_package_losses
        costs = {}
        for spec in IRGC_ACTIONS:
            option = spec.id
            response = IRGC_EXPECTS_US_RESPONSE[option] * resolve
            package_loss = expanded_loss if spec.rung >= 6 else limited_loss
            leverage = 0.0
            if option == "salvo_hosts":
                leverage = model.intel.salvo_leverage(view)
            elif option == "strike_energy":
                leverage = model.intel.energy_leverage(view)
            punishes = PUNISHES_DEFIANCE.get(option, 0.0)
            if option == "strike_vessel" and view.defiant_detected == 0:
                punishes = 0.0  # nobody in sight to make an example of
            costs[option] = {
                "site_damage": response * package_loss,
                "sovereignty": view.sovereignty * (1.0 - ANSWERS_SOVEREIGNTY.get(option, 0.0)),
                "linkage": (
                    view.lebanon * (1.0 - COERCES.get(option, 0.0)) if view.linked else 0.0
                ),
                "host_leverage": -leverage,
                "economic_friction": -ECONOMIC_FRICTION.get(option, 0.0)
                * (view.strike_capacity if option != "enforce_mandates" else 1.0),
                "regime_risk": REGIME_RISK_BY_RUNG[spec.rung] * resolve,
                "mandate_credibility": view.defiance * (1.0 - punishes),
            }
        return costs

    def decide_action(self, view: IrgcView) -> Decision:
        return self.choose(self.option_costs(view))


class Centcom(StateActor):
    actor_id = "centcom"

    def option_costs(self, view: CentcomView) -> dict[str, dict[str, float]]:
        intel = self.model.intel
        split = self.model.spec.levers.doctrine_split
        disruption = view.shipping_attacks + view.mines + view.transit_shortfall
        costs = {}
        for spec in CENTCOM_ACTIONS:
            option = spec.id
            striking = option in STRIKE_OPTIONS
            # A strike launched from restricted bases loses reach; restraint pressure adds cost.
            effect = view.usable_basing if striking else 1.0
            retaliation = CENTCOM_EXPECTS_RETALIATION[option]
            diplomacy = 0.0
            if view.channel_open:
                if option == "hold_and_negotiate":
                    diplomacy = -(1.0 - split)
                elif striking:
                    diplomacy = 1.0 - split
            costs[option] = {
                "shipping_disruption": disruption * (1.0 - PROTECTS_SHIPPING[option] * effect),
                "us_casualties": retaliation * intel.expected_us_casualties,
                "asset_damage": retaliation * intel.expected_us_damage,
                "unanswered_violations": view.unanswered
                * (1.0 - ANSWERS_VIOLATIONS.get(option, 0.0) * effect)
                * (0.5 + split),
                "top_rung_risk": TOP_RUNG_RISK[spec.rung] * (1.0 + view.restraint_pressure),
                "interceptor_use": retaliation * intel.expected_interceptor_spend,
                "diplomatic_progress": diplomacy,
            }
        return costs

    def decide_action(self, view: CentcomView) -> Decision:
        return self.choose(self.option_costs(view))


class Host(StateActor):
    def __init__(self, model: GulfModel, params):
        super().__init__(model, params.rationality, params.weights.model_dump())
        self.params = params
        self.actor_id = params.id
        self.tolerance = params.tolerance_start
        self.restricted = False

    def option_costs(self, view: HostView) -> dict[str, dict[str, float]]:
        intel = self.model.intel
        exposure = intel.host_exposure[self.actor_id]
        request_cost = intel.interceptor_request_cost[self.actor_id]
        costs = {}
        for spec in HOST_ACTIONS:
            option = spec.id
            kept = 1.0 - REDUCES_HARM.get(option, 0.0)
            costs[option] = {
                "economic_damage": (
                    view.threat * exposure["damage"]
                    + view.damage_recent / DAMAGE_SCALE
                    + 0.2 * view.force_majeure
                )
                * kept,
                "civilian_harm": (
                    view.threat * exposure["casualties"] + view.casualties_recent / CASUALTY_SCALE
                )
                * kept,
                "defence_spending": request_cost if option == "request_interceptors" else 0.0,
                "hosting_value": view.tolerance * HOSTING_LOST.get(option, 0.0),
            }
        return costs

    def decide_action(self, view: HostView) -> Decision:
        return self.choose(self.option_costs(view))
