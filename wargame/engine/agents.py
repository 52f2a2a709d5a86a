"""The state actors: the IRGC, CENTCOM and the GCC hosts, each with its own cost function.

An actor gets its view (observation.py), forecasts each option on its action menu as raw cost
terms (positive = bad, negative = a benefit), and picks by the logit rule (decision.py). The
forecasts use the same quantities the adjudication rules use (expected raid outcomes, package
damage), seen through the actor's own view, and the forecast tables of the scenario
(`behaviour.irgc`, `behaviour.centcom`, `behaviour.hosts`). The terms are the seed's
incompatible cost functions: Washington counts shipping and credibility, Tehran counts
sovereignty, the Lebanon ledger and regime risk, hosts count damage and the value of hosting.
The IRGC takes a second decision each round, on its channel menu: keep, halt or reopen the
Swiss channel (`Irgc.decide_channel`).
"""

from __future__ import annotations

import mesa
import numpy as np

from wargame.config.ladder import CENTCOM_ACTIONS, HOST_ACTIONS, IRGC_ACTIONS, ActionSpec
from wargame.config.schema import UsPackage
from wargame.engine.decision import Decision, choose
from wargame.engine.intel import STRIKE_OPTIONS
from wargame.engine.observation import CentcomView, HostView, IrgcView
from wargame.engine.rules.diplomacy import CHANNEL_TERMS, Channel, channel_costs


def option_rows(menu: tuple[ActionSpec, ...], *tables) -> tuple[tuple, ...]:
    """(option, its value in each table) for each option of `menu`: an actor's forecast tables
    as plain numbers, read when it is built. The scenario never changes during a run, and a
    lookup in its pydantic tables for every option of every round cost more than the
    arithmetic it feeds."""
    return tuple((spec.id, *(table[spec.id] for table in tables)) for spec in menu)


class StateActor(mesa.Agent):
    """Common machinery: observe, forecast the menu as cost terms, choose by logit.

    Each actor class names its cost terms once (`terms`, the order of its weights in the
    scenario) and its options once (`options`, its menu); `option_costs(view)` gives one row of
    raw costs per option, a number per term: a round has seven decisions of up to 8 x 7
    terms, and a mapping per option cost more to build than the numbers in it."""

    actor_id: str
    model: mesa.Model  # a GulfModel: actors read its spec, intel and rng
    terms: tuple[str, ...]
    options: tuple[str, ...]

    def __init__(self, model: mesa.Model, rationality: float, weights: dict[str, float]):
        super().__init__(model)
        self.rationality = rationality
        self.weights = weights

    def decide_action(self, view) -> Decision:
        """The actor's decision this round, from its own `option_costs(view)` (each actor class
        has its own); the model keeps it (`GulfModel.decisions`)."""
        return choose(
            self.actor_id,
            self.options,
            self.terms,
            self.option_costs(view),
            self.weights,
            self.rationality,
            self.model.rng,
        )


# The IRGC's options that put pressure on the hosts, in the order Intel.leverage gives theirs.
LEVERAGE_OPTIONS = ("salvo_hosts", "strike_energy")


class Irgc(StateActor):
    actor_id = "irgc"
    terms = (
        "site_damage",
        "sovereignty",
        "linkage",
        "host_leverage",
        "economic_friction",
        "regime_risk",
        "mandate_credibility",
    )
    options = tuple(spec.id for spec in IRGC_ACTIONS)

    def __init__(self, model: mesa.Model, rationality: float, weights: dict[str, float]):
        super().__init__(model, rationality, weights)
        forecast = model.spec.behaviour.irgc
        channel_weights = model.spec.behaviour.channel.weights
        self._channel_weights = {term: getattr(channel_weights, term) for term in CHANNEL_TERMS}
        limited_loss, expanded_loss = model.intel.iran_package_losses
        package_loss = {UsPackage.LIMITED: limited_loss, UsPackage.EXPANDED: expanded_loss}
        # What each option risks losing to the US package it invites, and the share of each
        # grievance it leaves standing (1 - how far it answers it), worked out once: the same
        # numbers the round's products then scale.
        self._rows = tuple(
            (
                option,
                us_response,
                package_loss[package],
                1.0 - answers,
                1.0 - coerces,
                -friction,
                option != "enforce_mandates",  # its friction scales with the strike capacity
                regime,
                1.0 - punishes,
                # Striking a vessel with nobody in sight makes an example of nobody.
                1.0 - (0.0 if option == "strike_vessel" else punishes),
            )
            for option, us_response, package, answers, coerces, friction, regime, punishes in (
                option_rows(
                    IRGC_ACTIONS,
                    forecast.us_response,
                    forecast.us_package,
                    forecast.answers_sovereignty,
                    forecast.coerces,
                    forecast.economic_friction,
                    forecast.regime_risk,
                    forecast.punishes_defiance,
                )
            )
        )

    def decide_channel(self, view: IrgcView) -> Decision:
        """The IRGC's channel move this round (keep, halt or reopen, as the channel's state
        allows): its raw costs from rules/diplomacy.channel_costs, weighed by
        behaviour.channel.weights at the IRGC's rationality. The model keeps it under
        "irgc_channel" among the round's decisions."""
        channel = Channel.OPEN if view.channel_open else Channel.HALTED
        options, costs = channel_costs(channel, view.sovereignty, view.relief_offered)
        return choose(
            self.actor_id,
            options,
            CHANNEL_TERMS,
            costs,
            self._channel_weights,
            self.rationality,
            self.model.rng,
        )

    def option_costs(self, view: IrgcView) -> tuple[tuple[float, ...], ...]:
        """Per option of `options`, its raw cost of each of `terms`."""
        model = self.model
        intel = model.intel
        resolve = model.spec.behaviour.irgc.resolve_base + view.us_resolve
        leverage = dict(zip(LEVERAGE_OPTIONS, intel.leverage(view), strict=True))
        sovereignty = view.sovereignty
        lebanon, linked = view.lebanon, view.linked
        strike_capacity = view.strike_capacity
        defiance = view.defiance
        nobody_in_sight = view.defiant_detected == 0
        costs = []
        for (
            option,
            us_response,
            package_loss,
            sovereignty_left,
            linkage_left,
            friction,
            friction_scales,
            regime,
            credibility_left,
            credibility_left_unseen,
        ) in self._rows:
            response = us_response * resolve
            costs.append(
                (
                    response * package_loss,
                    sovereignty * sovereignty_left,
                    lebanon * linkage_left if linked else 0.0,
                    -leverage.get(option, 0.0),
                    friction * (strike_capacity if friction_scales else 1.0),
                    regime * resolve,
                    defiance * (credibility_left_unseen if nobody_in_sight else credibility_left),
                )
            )
        return tuple(costs)


class Centcom(StateActor):
    actor_id = "centcom"
    terms = (
        "shipping_disruption",
        "us_casualties",
        "asset_damage",
        "unanswered_violations",
        "top_rung_risk",
        "interceptor_use",
        "diplomatic_progress",
        "iranian_threat",
    )
    options = tuple(spec.id for spec in CENTCOM_ACTIONS)

    def __init__(self, model: mesa.Model, rationality: float, weights: dict[str, float]):
        super().__init__(model, rationality, weights)
        forecast = model.spec.behaviour.centcom
        intel = model.intel
        irgc = model.spec.actors.irgc
        # The retaliation an option invites is forecast from the order of battle (intel): its
        # casualties and damage are the same every round; its interceptor bill is priced each
        # round from what air defence has cost so far (`interceptor_cost`).
        self._rows = tuple(
            (
                option,
                option in STRIKE_OPTIONS,
                protects,
                answers,
                top_rung_risk,
                retaliation * intel.expected_us_casualties,
                retaliation * intel.expected_us_damage,
                retaliation,
                1.0 - degrades,
            )
            for option, retaliation, protects, answers, top_rung_risk, degrades in option_rows(
                CENTCOM_ACTIONS,
                forecast.retaliation,
                forecast.protects_shipping,
                forecast.answers_violations,
                forecast.top_rung_risk,
                forecast.degrades_capacity,
            )
        )
        salvo = irgc.salvo_per_target
        # Iranian weapons in one retaliation (a salvo at each of its targets), and the
        # order of battle's forecast of the interceptor bill per weapon (scales.spend_usd units).
        self._threats_per_raid = irgc.salvo_targets * (salvo.ballistic + salvo.drone + salvo.cruise)
        self._prior_per_threat = intel.expected_interceptor_spend / max(1, self._threats_per_raid)
        # What one round of each magazine costs (state.Magazines' order), so that scarcity is
        # read in dollars: a laser's thousand cheap shots do not hide an empty THAAD battery.
        self._round_costs = np.array(
            [
                model.spec.interceptors[defence.system].unit_cost_usd
                for node in model.spec.nodes
                for defence in node.defences
            ]
        )

    def interceptor_cost(self, view: CentcomView) -> float:
        """The interceptor bill CENTCOM expects one Iranian retaliation to run up (scales.spend_usd
        units), from what it sees: the spend per Iranian weapon so far, with the order of
        battle's forecast counted as `spend_prior_threats` weapons' worth of it, times the
        weapons of one retaliation, dearer as the magazines empty (`scarcity_weight`)."""
        forecast = self.model.spec.behaviour.centcom
        prior = forecast.spend_prior_threats
        spent = view.interceptor_spend / self.model.spec.behaviour.scales.spend_usd
        seen = prior + view.threats_launched
        per_threat = (
            (self._prior_per_threat * prior + spent) / seen if seen else self._prior_per_threat
        )
        scarcity = 1.0 + forecast.scarcity_weight * (1.0 - self.magazine_share(view))
        return per_threat * self._threats_per_raid * scarcity

    def magazine_share(self, view: CentcomView) -> float:
        """The share of the theatre's interceptors, in dollars, still in the magazines."""
        full = float(self._round_costs @ view.magazines_cap)
        return float(self._round_costs @ view.magazines_left) / full if full else 1.0

    def option_costs(self, view: CentcomView) -> tuple[tuple[float, ...], ...]:
        """Per option of `options`, its raw cost of each of `terms`."""
        split = self.model.spec.levers.doctrine_split
        unanswered_base = self.model.spec.behaviour.centcom.unanswered_base
        disruption = view.shipping_attacks + view.mines + view.transit_shortfall
        unanswered = view.unanswered
        restraint = 1.0 + view.restraint_pressure
        usable_basing = view.usable_basing
        channel_open = view.channel_open
        interceptor_bill = self.interceptor_cost(view)
        threat = view.iran_capacity
        costs = []
        for (
            option,
            striking,
            protects,
            answers,
            top_rung_risk,
            casualties,
            damage,
            retaliation,
            capacity_left,
        ) in self._rows:
            # A strike launched from restricted bases loses reach; restraint pressure adds cost.
            effect = usable_basing if striking else 1.0
            diplomacy = 0.0
            if channel_open:
                if option == "hold_and_negotiate":
                    diplomacy = -(1.0 - split)
                elif striking:
                    diplomacy = 1.0 - split
            costs.append(
                (
                    disruption * (1.0 - protects * effect),
                    casualties,
                    damage,
                    unanswered * (1.0 - answers * effect) * (unanswered_base + split),
                    top_rung_risk * restraint,
                    retaliation * interceptor_bill,
                    diplomacy,
                    threat * (1.0 - (1.0 - capacity_left) * effect),
                )
            )
        return tuple(costs)


class Host(StateActor):
    terms = ("economic_damage", "civilian_harm", "defence_spending", "hosting_value")
    options = tuple(spec.id for spec in HOST_ACTIONS)

    def __init__(self, model: mesa.Model, params):
        super().__init__(model, params.rationality, params.weights.model_dump())
        self.params = params
        self.actor_id = params.id
        forecast = model.spec.behaviour.hosts
        request_cost = model.intel.interceptor_request_cost[self.actor_id]
        # Per option: the share of the expected harm it averts, whether that share needs spent
        # interceptors to refill (a reload), what it spends on interceptors and the share of
        # hosting value it gives up: the same every round.
        self._rows = tuple(
            (
                reduces_harm,
                option == "request_interceptors",
                request_cost if option == "request_interceptors" else 0.0,
                hosting_lost,
            )
            for option, reduces_harm, hosting_lost in option_rows(
                HOST_ACTIONS, forecast.reduces_harm, forecast.hosting_lost
            )
        )
        exposure = model.intel.host_exposure[self.actor_id]
        self._exposure = exposure["damage"], exposure["casualties"]

    def option_costs(self, view: HostView) -> tuple[tuple[float, ...], ...]:
        """Per option of `options`, its raw cost of each of `terms`."""
        forecast = self.model.spec.behaviour.hosts
        scales = self.model.spec.behaviour.scales
        damage_exposure, casualty_exposure = self._exposure
        # The interceptors it has spent (by worth): the threat does more harm as they run out,
        # and a reload averts harm only in proportion to them.
        spent = 1.0 - view.magazine_share
        threat = view.threat * (1.0 + forecast.depleted_harm * spent)
        # The harm it expects if it does nothing; each measure keeps a share of it.
        damage = (
            threat * damage_exposure
            + view.damage_recent / scales.damage
            + forecast.force_majeure_weight * view.force_majeure
        )
        harm = threat * casualty_exposure + view.casualties_recent / scales.casualties
        tolerance = view.tolerance
        rows = []
        for reduces_harm, refills, request_cost, hosting_lost in self._rows:
            kept = 1.0 - reduces_harm * spent if refills else 1.0 - reduces_harm
            rows.append((damage * kept, harm * kept, request_cost, tolerance * hosting_lost))
        return tuple(rows)
