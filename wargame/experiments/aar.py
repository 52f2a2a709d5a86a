"""The after-action review of a classroom room (issue 10): what each team decided and why,
what the AI would have chosen in the same position, what came of it, and how this game sits
among AI-played games of the same scenario; as data and as a self-contained HTML report.

Everything is read from the room's record replayed (room.replayed): the model's own decisions,
metrics and run summary, never recomputed. Text that teams typed is escaped wherever the report
shows it. The AI-played games run the same scenario for as many rounds as the room played, each
seed spawned from the room's own (`SeedSequence`), so a review is the same every time.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from typing import Any

import numpy as np

from wargame.config.ladder import RUNG_NAMES
from wargame.experiments.room import replayed, role_actors
from wargame.experiments.room_store import RoomRecord
from wargame.experiments.single_run import run_once, summarise

AI_GAMES = 100  # AI-played games the room is set against
RANGE = (0.1, 0.9)  # the 80% range


@dataclass(frozen=True)
class TeamDecision:
    round: int
    role: str
    actor: str
    played: str
    ai_choice: str
    ai_chance_of_played: float  # how likely the AI was to play what the team played
    rationale: str


@dataclass(frozen=True)
class Comparison:
    """One outcome of this game against the AI-played games' median and 80% range."""

    key: str
    label: str
    value: float
    median: float
    low: float
    high: float
    sentence: str


@dataclass(frozen=True)
class Review:
    room: str
    scenario: str
    seed: int
    rounds: int
    decisions: tuple[TeamDecision, ...]
    outcomes: dict[str, Any]
    comparisons: tuple[Comparison, ...]
    series: dict[str, list]  # per round: this game's SERIES columns (and round, MOU state)
    # per round, per SERIES column: the AI-played games' median, 10th and 90th percentiles
    bands: dict[str, tuple[list[float], list[float], list[float]]]
    ai_games: int
    discussion: tuple[str, ...] = ()  # the scenario's questions for the debrief (teacher notes)


def truce_rounds(summary: dict[str, Any]) -> int:
    """Rounds the MOU held: to the round before it collapsed, or every round played."""
    collapsed = summary["mou_collapsed_round"]
    return summary["rounds"] if collapsed is None else collapsed - 1


OUTCOMES = {
    "truce_rounds": ("your truce lasted {value:g} rounds", "rounds", truce_rounds),
    "highest_rung": ("the ladder peaked at rung {value:g}", "rung", lambda s: s["highest_rung"]),
    "host_damage": ("host damage was {value:.1f}", "damage", lambda s: s["host_damage"]),
    "casualties": ("{value:g} were killed", "deaths", lambda s: s["casualties"]),
}


# The columns charted round by round, this game against the AI-played games: (title, axis
# label, scale). Totals are running totals.
SERIES = {
    "rung": ("Escalation rung", "rung", 1.0),
    "total_host_damage": ("Host damage, running total", "damage", 1.0),
    "total_interceptor_spend_usd": ("Interceptors spent, running total", "$ million", 1e-6),
    "transits": ("Transits of the Strait", "ships a day", 1.0),
}


def review(record: RoomRecord, ai_games: int = AI_GAMES) -> Review:
    scenario, model = replayed(record)
    rounds = len(record.rounds)
    decisions = []
    for played in record.rounds:
        options = model.decision_history[played.number]
        for role in record.roles:
            if role not in played.submitted:
                continue  # the AI played this team: nothing the team decided
            for actor in role_actors(scenario, role):
                if actor not in played.orders:
                    continue
                decision = options[actor]
                action = played.orders[actor]
                decisions.append(
                    TeamDecision(
                        round=played.number,
                        role=role,
                        actor=actor,
                        played=action,
                        ai_choice=decision.chosen,
                        ai_chance_of_played=decision.probability(action),
                        rationale=played.rationales.get(role, ""),
                    )
                )
    summary = summarise(model)
    frame = model.datacollector.get_model_vars_dataframe()
    seeds = [
        int(child.generate_state(1, np.uint64)[0] >> 1)
        for child in np.random.SeedSequence(record.seed).spawn(ai_games)
    ]
    runs = [run_once(scenario, seed, rounds) for seed in seeds] if rounds else []
    others = [run.summary for run in runs]
    comparisons = tuple(compare(key, summary, others) for key in OUTCOMES if others)
    bands = {}
    for name in SERIES:
        if runs and name in frame:
            values = np.array([run.metrics[name].to_numpy(float) for run in runs])
            low, median, high = np.quantile(values, (RANGE[0], 0.5, RANGE[1]), axis=0)
            bands[name] = (median.tolist(), low.tolist(), high.tolist())
    return Review(
        room=record.name,
        scenario=scenario.name,
        seed=record.seed,
        rounds=rounds,
        decisions=tuple(decisions),
        outcomes={
            "mou_final": summary["mou_final"],
            "mou_collapsed_round": summary["mou_collapsed_round"],
            "highest_rung": summary["highest_rung"],
            "highest_rung_name": summary["highest_rung_name"],
            "host_damage": summary["host_damage"],
            "casualties": summary["casualties"],
            "interceptor_spend_usd": summary["interceptor_spend_usd"],
            "cost_exchange": summary["cost_exchange"],
            "transits": summary["transits"],
        },
        comparisons=comparisons,
        series={name: frame[name].tolist() for name in ("round", "mou", *SERIES) if name in frame},
        bands=bands,
        ai_games=len(others),
        discussion=()
        if scenario.classroom is None
        else tuple(scenario.classroom.teacher.discussion_questions),
    )


def compare(key: str, summary: dict[str, Any], others: list[dict[str, Any]]) -> Comparison:
    template, label, read = OUTCOMES[key]
    value = float(read(summary))
    values = np.array([float(read(o)) for o in others])
    low, high = np.quantile(values, RANGE)
    median = float(np.median(values))
    sentence = (
        template.format(value=value) + f"; AI-played median {median:g}, 80% range {low:g}-{high:g}"
    )
    if key == "truce_rounds":  # a truce still holding at the end lasted at least that long
        held = sum(o["mou_collapsed_round"] is None for o in others)
        if held:
            sentence += (
                f" (the truce held through all {summary['rounds']} rounds in {held} of "
                f"{len(others)} AI-played games)"
            )
    return Comparison(key, label, value, median, float(low), float(high), sentence)


def shown(key: str, value: Any) -> str:
    """An outcome as the report writes it: dollars in millions, other numbers to 3 digits."""
    if isinstance(value, float) and key.endswith("_usd"):
        return f"${value / 1e6:,.1f}M"
    if isinstance(value, float):
        return f"{value:,.3g}"
    return "-" if value is None else str(value)


# --- the HTML report ---------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _charts_png(review: Review) -> str | None:
    """This game round by round (red) against the AI-played games' median (grey line) and 80%
    range (grey band), one panel per SERIES column; a base64 PNG."""
    if not review.series.get("rung"):
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from wargame.experiments.report import _figure_bytes

    rounds = review.series["round"]
    figure, grid = plt.subplots(2, 2, figsize=(10, 5.6), sharex=True)
    for axes, (name, (title, unit, scale)) in zip(grid.flat, SERIES.items(), strict=True):
        if name in review.bands:
            median, low, high = (np.array(v) * scale for v in review.bands[name])
            axes.fill_between(
                rounds,
                low,
                high,
                step="post",
                color="#888",
                alpha=0.25,
                label="AI-played 80% range",
            )
            axes.step(rounds, median, where="post", color="#666", ls="--", label="AI-played median")
        axes.step(
            rounds,
            np.array(review.series[name]) * scale,
            where="post",
            color="#b03030",
            label="this game",
        )
        axes.set_title(title, fontsize=10)
        axes.set_ylabel(unit)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        if name == "rung":
            axes.set_ylim(-0.5, len(RUNG_NAMES) - 0.5)
    for axes in grid[1]:
        axes.set_xlabel("round")
    handles, labels = grid.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="upper center", ncol=3, frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 0.94))
    data = base64.b64encode(_figure_bytes(figure)).decode()
    plt.close(figure)
    return data


def chance(probability: float) -> str:
    return "< 0.1%" if 0 < probability < 0.0005 else f"{100 * probability:.1f}%"


def review_html(review: Review) -> str:
    """The review as one self-contained page: no script, no network, every typed text escaped."""
    rows = "".join(
        "<tr>"
        f"<td>{d.round}</td><td>{_e(d.role)}</td><td>{_e(d.actor)}</td><td>{_e(d.played)}</td>"
        f"<td>{_e(d.ai_choice)}</td><td>{chance(d.ai_chance_of_played)}</td>"
        f"<td class='rationale'>{_e(d.rationale) or '<i>none given</i>'}</td>"
        "</tr>"
        for d in review.decisions
    )
    outcomes = "".join(
        f"<tr><th>{_e(k.replace('_', ' '))}</th><td>{_e(shown(k, v))}</td></tr>"
        for k, v in review.outcomes.items()
    )
    comparisons = "".join(f"<li>{_e(c.sentence)}</li>" for c in review.comparisons)
    chart = _charts_png(review)
    image = (
        "<h2>Round by round</h2><img alt='this game against AI-played games, round by round' "
        f"style='max-width:100%' src='data:image/png;base64,{chart}'>"
        if chart
        else ""
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>After-action review: {_e(review.room)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:13px;margin:0.5em 0}"
        "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}"
        "th{background:#eee}.rationale{white-space:pre-wrap;max-width:420px}</style>"
        "</head><body>"
        f"<h1>After-action review: {_e(review.room)}</h1>"
        f"<p>Scenario {_e(review.scenario)}, seed {review.seed}, {review.rounds} "
        f"round{'' if review.rounds == 1 else 's'} played.</p>"
        "<h2>Against AI-played games</h2>"
        f"<p>{review.ai_games} games of the same scenario with the AI playing every side, for as "
        "many rounds.</p>"
        f"<ul>{comparisons}</ul>"
        "<h2>Outcomes</h2>"
        f"<table>{outcomes}</table>{image}"
        + (
            "<h2>For discussion</h2><ol>"
            + "".join(f"<li>{_e(q)}</li>" for q in review.discussion)
            + "</ol>"
            if review.discussion
            else ""
        )
        + "<h2>Each team's decisions</h2>"
        "<table><tr><th>round</th><th>team</th><th>decision</th><th>played</th>"
        "<th>AI would have</th><th>AI's chance of the play</th><th>stated rationale</th></tr>"
        f"{rows}</table>"
        "</body></html>"
    )
