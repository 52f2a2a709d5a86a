"""Command a side: pick Observer, CENTCOM, the IRGC or one GCC host; each round choose your
side's action from its menu, with an advisor showing the AI's own forecast for every option.
The IRGC also decides the Swiss channel each round (keep, halt or reopen): its second menu,
with its own advisor table, sits beside the action.

Plain Solara rather than Mesa's SolaraViz: SolaraViz steps a model, it has no notion of a human
order inside a round, of a side's restricted view, or of branching a game.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import solara

from wargame.engine.decision import Decision
from wargame.engine.rules.diplomacy import CHANNEL_DECISION
from wargame.ui.event_data import option_label
from wargame.ui.session import GameInputError
from wargame.ui.state import use_state


def side_label(side: str, names: dict[str, str]) -> str:
    return {"observer": "Observer (sees everything)", "centcom": "CENTCOM", "irgc": "IRGC"}.get(
        side, names.get(side, side)
    )


def chance_text(probability: float) -> str:
    """A chance in 0.1 % steps, as the event log's why panel shows it: a chance too small to
    show is "< 0.1 %", never a misleading "0.0 %"."""
    if 0 < probability < 0.0005:
        return "< 0.1 %"
    return f"{100 * probability:.1f} %"


def advisor_rows(decision: Decision) -> tuple[list[str], list[dict]]:
    """The advisor's table: one row per option with each weighted cost term, the total and the
    AI's probability, in the decision's own numbers (lower cost is better)."""
    terms = sorted({term for option in decision.weighted_terms for term in option})
    rows = []
    for option, weighted, utility, probability in zip(
        decision.options,
        decision.weighted_terms,
        decision.utilities,
        decision.probabilities,
        strict=True,
    ):
        rows.append(
            {
                "option": option,
                "label": option_label(option),
                "terms": {term: weighted.get(term, 0.0) for term in terms},
                "cost": -utility,
                "probability": probability,
                "ai_pick": option == decision.chosen,
            }
        )
    return terms, rows


def two_decimals(value: float) -> str:
    """A cost term to 2 decimals; a tiny negative one reads 0.00, not -0.00."""
    return f"{round(value, 2) + 0.0:.2f}"


@solara.component
def LabelledSelect(
    label: str,
    options: list[str],
    value: str,
    on_option: Callable[[str], None],
    css_class: str,
    name: Callable[[str], str] = option_label,
):
    """A menu of options shown by their names (by default as the advisor's rows name them);
    it reports the chosen option's key."""
    by_label = {name(option): option for option in options}

    def choose(chosen_label: str):
        if chosen_label in by_label:  # anything else is not on the menu: keep the order
            on_option(by_label[chosen_label])

    solara.Select(
        label,
        values=list(by_label),
        value=name(value),
        on_value=choose,
        classes=[css_class],
    )


@solara.component
def AdvisorTable(decision: Decision, classes: list[str] | None = None):
    terms, rows = advisor_rows(decision)
    header = "".join(f"<th>{html.escape(term.replace('_', ' '))}</th>" for term in terms)
    body = []
    for row in rows:
        cells = "".join(
            f'<td data-term="{html.escape(term)}" data-value="{row["terms"][term]!r}">{two_decimals(row["terms"][term])}</td>'
            for term in terms
        )
        mark = " ★ AI's pick" if row["ai_pick"] else ""
        body.append(
            f'<tr class="advisor-row" data-option="{html.escape(row["option"])}">'
            f'<th style="text-align:left">{html.escape(row["label"])}{mark}</th>{cells}'
            f'<td data-value="{row["cost"]!r}"><b>{row["cost"]:.2f}</b></td>'
            f'<td data-value="{row["probability"]!r}">{chance_text(row["probability"])}</td></tr>'
        )
    solara.HTML(
        tag="table",
        unsafe_innerHTML=f"<thead><tr><th>option</th>{header}<th>total cost</th><th>AI chance</th>"
        f"</tr></thead><tbody>{''.join(body)}</tbody>",
        classes=classes or ["advisor-table"],
        style={"font-size": "0.8em", "border-collapse": "collapse"},
    )


@solara.component
def SidePicker():
    """Choose the side you command (Observer watches: the AI plays everyone)."""
    state = use_state()
    session = state.session
    names = session.actor_names()
    # One label per side, made unique so a host named like another side is still reachable.
    by_label: dict[str, str] = {}
    for side in session.sides():
        label = side_label(side, names)
        while label in by_label:
            label = f"{label} ({side})"
        by_label[label] = side
    current = next(label for label, side in by_label.items() if side == session.side)

    def choose_side(label: str):
        side = by_label.get(label)
        if side is None:  # not one of the listed labels: keep the side as it is
            return
        session.set_side(side)
        state.changed()

    with solara.Column(classes=["command-panel"], gap="4px"):
        solara.Select(
            "Command a side",
            values=list(by_label),
            value=current,
            on_value=choose_side,
            classes=["select-side"],
        )
        if session.commanding() is None:
            solara.Text("Watching: the AI plays every side.", style={"color": "#667"})
        else:
            solara.Text(
                "You see only your side's view (fog of war). Give your order above the map.",
                style={"color": "#667"},
            )


@solara.component
def OrdersCard():
    """This round's orders for the commanded side, with the advisor's table (wide: it sits
    above the map, not in the sidebar)."""
    state = use_state()
    session = state.session
    order = solara.use_reactive(None)
    channel = solara.use_reactive(None)
    error = solara.use_reactive(None)
    actor = session.commanding()
    if actor is None:
        return
    names = session.actor_names()
    with solara.Card(classes=["orders-card"], style={"margin-bottom": "8px"}):
        if state.shown_round() != session.round:
            solara.Text("Replaying a past round: go back to the live round to give orders.")
            return
        decisions = session.next_decisions()
        decision = decisions[actor]
        menu = list(decision.options)
        chosen = order.value if order.value in menu else decision.chosen
        overridden = session.model.injected_orders.get(actor)
        # The IRGC's channel move is its own decision, with its own menu for this round.
        channel_decision = decisions.get(CHANNEL_DECISION) if actor == "irgc" else None
        channel_menu, channel_chosen = [], None
        if channel_decision is not None:
            channel_menu = list(channel_decision.options)
            in_menu = channel.value in channel_menu
            channel_chosen = channel.value if in_menu else channel_decision.chosen
        channel_forced = session.model.injected_orders.get(CHANNEL_DECISION)

        def submit():
            try:
                session.step(chosen, channel=channel_chosen)
            except (GameInputError, ValueError) as problem:
                error.value = str(problem)
                return
            error.value = None
            order.value = None
            channel.value = None
            state.view_round.value = None
            state.changed()

        solara.Text(
            f"Round {session.round + 1}: your orders as {side_label(actor, names)}",
            style={"font-weight": "600", "display": "block"},  # a line of its own, not inline
        )
        solara.Text(
            "Advisor: each option's expected cost terms as the AI forecasts them (weighted; "
            "lower total is better), and how likely the AI would be to pick it.",
            style={"color": "#556", "font-size": "0.9em"},
        )
        AdvisorTable(decision)
        if overridden:
            solara.Warning(
                f"A scripted inject forces {overridden} this round; it overrides any order."
            )
        if channel_decision is not None:
            solara.Text(
                "The Swiss channel: keep it as it is, or halt or reopen it (your second "
                "decision this round, weighed on its own terms).",
                style={"color": "#556", "font-size": "0.9em", "margin-top": "6px"},
            )
            AdvisorTable(channel_decision, classes=["channel-table"])
            if channel_forced:
                solara.Warning(
                    f"A scripted inject forces {channel_forced} this round; it overrides "
                    "your channel order."
                )
        with solara.Row(style={"align-items": "center"}, gap="10px"):
            LabelledSelect("Your order", menu, chosen, order.set, "select-order")
            if channel_decision is not None:
                LabelledSelect(
                    "Channel", channel_menu, channel_chosen, channel.set, "select-channel"
                )
            solara.Button(
                "Give order and play the round",
                on_click=submit,
                color="primary",
                classes=["btn-order"],
                disabled=state.playing.value,
            )
        if error.value:
            solara.Text(error.value, classes=["field-error"], style={"color": "#c00"})
