"""Event-log rows for the browser: the model's events as sentences, each decision with its "why".

Pure functions, no Solara. `event_rows` takes the model's events (`Event` or `Event.to_dict()`),
`model.decision_history` (round -> actor -> `Decision`) and the viewing side, and returns
JSON-able rows for `components/event_log.vue`. A decision event (one the engine logged with the
decision's probability) carries a `why`: every option the actor weighed, its probability and its
term-by-term weighted costs, copied from the `Decision` unrounded (the page rounds for display;
the numbers here are the engine's own). Fog of war goes through `wargame.engine.observation`:
`event_for` decides what a side reads of an event, and `can_see(side, "reasons", owner=actor)`
whether it may see the actor's reasons at all.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from wargame.config.ladder import ACTIONS
from wargame.engine.observation import can_see, event_for
from wargame.engine.rules.diplomacy import CHANNEL_DECISION

YOUR_ORDER = "your order"
SCRIPTED = "scripted inject"
ACTOR_LABELS = {"irgc": "IRGC", "centcom": "CENTCOM", "scenario": "Scenario"}


def option_label(option: str) -> str:
    """How pages name an option: its menu label (config/ladder.ACTIONS), else its key."""
    return ACTIONS[option].label if option in ACTIONS else option


def actor_label(actor: str, names: Mapping[str, str] | None = None) -> str:
    """How the page names an actor: IRGC, CENTCOM, a host's name, else the id in words."""
    if names and actor in names:
        return names[actor]
    return ACTOR_LABELS.get(actor, actor.replace("_", " ").title())


def _number(value: Any) -> float | None:
    """A plain float (numpy scalars converted, value unchanged); None if not finite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def round_of(event: Any) -> int:
    """The round of an `Event` or of its dict."""
    return event["round"] if isinstance(event, Mapping) else event.round


def _event_dict(event: Any) -> dict:
    return event.to_dict() if hasattr(event, "to_dict") else dict(event)


def why(decision, done: str, order: str | None) -> dict:
    """The "why" panel of one decision: options x weighted cost terms, with probabilities.

    `done` is the action the event reports (the one applied); `decision.chosen` is the AI's own
    pick, which differs from `done` when a human order or a scripted inject replaced it.
    """
    terms: dict[str, None] = {}
    for weighted in decision.weighted_terms:
        terms.update(dict.fromkeys(weighted))
    options = []
    for i, option in enumerate(decision.options):
        weighted = decision.weighted_terms[i]
        options.append(
            {
                "option": option,
                "label": ACTIONS[option].label if option in ACTIONS else option,
                "probability": _number(decision.probabilities[i]),
                "utility": _number(decision.utilities[i]),
                "terms": {term: _number(value) for term, value in weighted.items()},
                "done": option == done,
                "ai_choice": option == decision.chosen,
            }
        )
    return {
        "actor": decision.actor,
        "terms": list(terms),
        "options": options,
        "done": done,
        "ai_choice": decision.chosen,
        "order": order,
    }


def decision_key(decisions: Mapping[str, Any], actor: str, action: str) -> str | None:
    """The key of the decision an event's action came from: the actor's own, or for the
    IRGC's channel moves its channel decision (CHANNEL_DECISION); None if neither offered it."""
    for key in (actor, CHANNEL_DECISION) if actor == "irgc" else (actor,):
        decision = decisions.get(key)
        if decision is not None and action in decision.options:
            return key
    return None


def event_rows(
    events: Iterable[Any],
    decision_history: Mapping[int, Mapping[str, Any]] | None,
    side: str,
    round: int | None = None,
    human_orders: Mapping[int, Mapping[str, str]] | None = None,
    actor_names: Mapping[str, str] | None = None,
    why_ids: Collection[int] | None = None,
) -> list[dict]:
    """The events `side` may read, as display rows, in the order they happened.

    `round` keeps one round's events (None: every round). A row's `id` is the event's index in
    `events`, stable while the game only moves forward. `why_ids` limits the (larger) "why"
    panels to those rows (None: every decision row gets one); the others say `has_why`.
    """
    decision_history = decision_history or {}
    human_orders = human_orders or {}
    rows = []
    for index, event in enumerate(events):
        # The round is checked before converting: a long game holds thousands of events.
        if round is not None and round_of(event) != round:
            continue
        original = _event_dict(event)
        shown = event_for(side, original)
        if shown is None:
            continue
        actor = original["actor"]
        action = original["action"]
        order = None
        ai_pick = None
        decision = None
        # An event logged from a decision carries that decision's probability.
        key = None
        if original.get("probability") is not None:
            decisions = decision_history.get(original["round"], {})
            key = decision_key(decisions, actor, action)
            decision = decisions.get(key) if key is not None else None
        if decision is not None:
            by_human = human_orders.get(original["round"], {}).get(key) == action
            if original.get("by_human") or by_human:
                order = YOUR_ORDER
            elif action != decision.chosen:
                order = SCRIPTED
            if order is not None:
                ai_pick = decision.chosen
        reasons = decision is not None and can_see(side, "reasons", owner=actor)
        with_why = reasons and (why_ids is None or index in why_ids)
        rows.append(
            {
                "id": index,
                "round": shown.get("round", original["round"]),
                "date": shown.get("date", original["date"]),
                "actor": actor,
                "actor_label": actor_label(actor, actor_names),
                "action": shown.get("action", action),
                "target": shown.get("target", ""),
                "outcome": shown.get("outcome", ""),
                "sentence": shown.get("sentence", ""),
                # Whether a human ordered it, and the AI's pick, are part of the actor's reasons.
                "order": order if reasons else None,
                "ai_pick": ai_pick if reasons else None,
                "ai_pick_label": option_label(ai_pick) if reasons and ai_pick else None,
                "has_why": reasons,
                "why": why(decision, action, order) if with_why else None,
            }
        )
    return rows


def actors_of(rows: Iterable[Mapping[str, Any]]) -> list[dict]:
    """The actors appearing in rows, in first-appearance order, for the filter chips."""
    seen: dict[str, str] = {}
    for row in rows:
        seen.setdefault(row["actor"], row["actor_label"])
    return [{"id": actor, "label": label} for actor, label in seen.items()]


def filter_rows(rows: Iterable[Mapping[str, Any]], actors: Collection[str] | None) -> list:
    """Rows whose actor is one of `actors` (None or empty: all rows)."""
    if not actors:
        return list(rows)
    return [row for row in rows if row["actor"] in actors]
