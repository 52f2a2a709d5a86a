"""The state actors: the IRGC, CENTCOM and the GCC hosts, each with its own cost function.

An actor gets its view (observation.py), forecasts each option on its action menu as raw cost
terms (positive = bad, negative = a benefit), and picks by the logit rule (decision.py). The
forecasts use the same quantities the adjudication rules use (expected raid outcomes, package
damage), seen through the actor's own view, and the forecast tables of the scenario
(`behaviour.irgc`, `behaviour.centcom`, `behaviour.hosts`). The terms are the seed's
incompatible cost functions: Washington counts shipping and credibility, Tehran counts
sovereignty, the Lebanon ledger and regime risk, hosts count damage and the value of hosting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from wargame.config.ladder import CENTCOM_ACTIONS, HOST_ACTIONS, IRGC_ACTIONS, ActionSpec
from wargame.config.schema import UsPackage
from wargame.engine.decision import Decision, decide
from wargame.engine.intel import STRIKE_OPTIONS
from wargame.engine.observation import CentcomView, HostView, IrgcView

if TYPE_CHECKING:
    from wargame.engine.model import GulfModel


def option_rows(menu: tuple[ActionSpec, ...], *tables) -> tuple[tuple, ...]:
    """(option, its value in each table) for each option of `menu`: an actor's forecast tables
    as plain numbers, read when it is built. The scenario never changes during a run, and a
    lookup in its pydantic tables for every option of every round cost more than the
    arithmetic it feeds."""
    return tuple((spec.id, *(table[spec.id] for table in tables)) for spec in menu)


class StateActor(mesa.Agent):
    """Common machinery: observe, forecast the menu as cost terms, choose by logit."""

    actor_id: str
    model: GulfModel

    def __init__(self, model: GulfModel, rationality: float, weights: dict[str, float]):
        super().__init__(model)
        self.rationality = rationality
        self.weights = weights

    def decide_action(self, view) -> Decision:
        """The actor's decision this round, from its own `option_costs(view)` (each actor class
        has its own); the model keeps it (`GulfModel.decisions`)."""
        return decide(
            self.actor_id, self.option_costs(view), self.weights, self.rationality, self.model.rng
        )


class Irgc(StateActor):
    actor_id = "irgc"

    def __init__(self, model: GulfModel, rationality: float, weights: dict[str, float]):
        super().__init__(model, rationality, weights)
        forecast = model.spec.behaviour.irgc
        self._rows = option_rows(
            IRGC_ACTIONS,
            forecast.us_response,
            forecast.us_package,
            forecast.answers_sovereignty,
            forecast.coerces,
            forecast.economic_friction,
            forecast.regime_risk,
            forecast.punishes_defiance,
        )

    def option_costs(self, view: IrgcView) -> dict[str, dict[str, float]]:
        model = self.model
        resolve = model.spec.behaviour.irgc.resolve_base + view.us_resolve
        limited_loss, expanded_loss = model.intel.iran_package_losses
        package_loss = {UsPackage.LIMITED: limited_loss, UsPackage.EXPANDED: expanded_loss}
        costs = {}
        for (
            option,
            us_response,
            package,
            answers,
            coerces,
            friction,
            regime,
            punishes,
        ) in self._rows:
            response = us_response * resolve
            leverage = 0.0
            if option == "salvo_hosts":
                leverage = model.intel.salvo_leverage(view)
            elif option == "strike_energy":
                leverage = model.intel.energy_leverage(view)
            if option == "strike_vessel" and view.defiant_detected == 0:
                punishes = 0.0  # nobody in sight to make an example of
            costs[option] = {
                "site_damage": response * package_loss[package],
                "sovereignty": view.sovereignty * (1.0 - answers),
                "linkage": view.lebanon * (1.0 - coerces) if view.linked else 0.0,
                "host_leverage": -leverage,
                "economic_friction": -friction
                * (view.strike_capacity if option != "enforce_mandates" else 1.0),
                "regime_risk": regime * resolve,
                "mandate_credibility": view.defiance * (1.0 - punishes),
            }
        return costs


class Centcom(StateActor):
    actor_id = "centcom"

    def __init__(self, model: GulfModel, rationality: float, weights: dict[str, float]):
        super().__init__(model, rationality, weights)
        forecast = model.spec.behaviour.centcom
        self._rows = option_rows(
            CENTCOM_ACTIONS,
            forecast.retaliation,
            forecast.protects_shipping,
            forecast.answers_violations,
            forecast.top_rung_risk,
        )

    def option_costs(self, view: CentcomView) -> dict[str, dict[str, float]]:
        intel = self.model.intel
        split = self.model.spec.levers.doctrine_split
        unanswered_base = self.model.spec.behaviour.centcom.unanswered_base
        disruption = view.shipping_attacks + view.mines + view.transit_shortfall
        costs = {}
        for option, retaliation, protects, answers, top_rung_risk in self._rows:
            striking = option in STRIKE_OPTIONS
            # A strike launched from restricted bases loses reach; restraint pressure adds cost.
            effect = view.usable_basing if striking else 1.0
            diplomacy = 0.0
            if view.channel_open:
                if option == "hold_and_negotiate":
                    diplomacy = -(1.0 - split)
                elif striking:
                    diplomacy = 1.0 - split
            costs[option] = {
                "shipping_disruption": disruption * (1.0 - protects * effect),
                "us_casualties": retaliation * intel.expected_us_casualties,
                "asset_damage": retaliation * intel.expected_us_damage,
                "unanswered_violations": view.unanswered
                * (1.0 - answers * effect)
                * (unanswered_base + split),
                "top_rung_risk": top_rung_risk * (1.0 + view.restraint_pressure),
                "interceptor_use": retaliation * intel.expected_interceptor_spend,
                "diplomatic_progress": diplomacy,
            }
        return costs


class Host(StateActor):
    def __init__(self, model: GulfModel, params):
        super().__init__(model, params.rationality, params.weights.model_dump())
        self.params = params
        self.actor_id = params.id
        forecast = model.spec.behaviour.hosts
        self._rows = option_rows(HOST_ACTIONS, forecast.reduces_harm, forecast.hosting_lost)

    def option_costs(self, view: HostView) -> dict[str, dict[str, float]]:
        intel = self.model.intel
        forecast = self.model.spec.behaviour.hosts
        scales = self.model.spec.behaviour.scales
        exposure = intel.host_exposure[self.actor_id]
        request_cost = intel.interceptor_request_cost[self.actor_id]
        # The harm it expects if it does nothing; each measure keeps a share of it.
        damage = (
            view.threat * exposure["damage"]
            + view.damage_recent / scales.damage
            + forecast.force_majeure_weight * view.force_majeure
        )
        harm = view.threat * exposure["casualties"] + view.casualties_recent / scales.casualties
        costs = {}
        for option, reduces_harm, hosting_lost in self._rows:
            kept = 1.0 - reduces_harm
            costs[option] = {
                "economic_damage": damage * kept,
                "civilian_harm": harm * kept,
                "defence_spending": request_cost if option == "request_interceptors" else 0.0,
                "hosting_value": view.tolerance * hosting_lost,
            }
        return costs
