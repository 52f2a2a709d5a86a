"""The after-action review (issue 10): each team's decisions with its stated rationale beside
what the AI would have chosen, the outcomes, and this game against AI-played games; the HTML
report is self-contained and shows typed text as text."""

from __future__ import annotations

import html

import numpy as np
import pytest
from support import default_scenario

from wargame.experiments.aar import review, review_html, truce_rounds
from wargame.experiments.room import Classroom
from wargame.experiments.room_store import INSTRUCTOR, RoomStore
from wargame.experiments.single_run import run_once

SCRIPT = "<script>alert('x')</script> & we hold"


@pytest.fixture
def played(tmp_path):
    store = RoomStore(tmp_path / "classroom.sqlite3")
    classroom = Classroom(store)
    room_id, codes = classroom.create("Period 3", default_scenario(), None, 11)
    room = classroom.room(room_id)
    seat = {role: classroom.join(code)[1] for role, code in codes.items()}
    for number in range(1, 4):
        decisions = room.decisions()
        other = next(o for o in decisions["centcom"].options if o != decisions["centcom"].chosen)
        room.submit(seat["centcom"], {"centcom": other}, f"round {number}: {SCRIPT}")
        room.submit(seat["irgc"], {"irgc": decisions["irgc"].chosen}, "match them")
        room.force(seat[INSTRUCTOR])
    yield room, store.room(room_id)
    store.close()


def test_the_review_holds_each_teams_decisions_the_ais_choice_and_the_outcomes(played):
    room, record = played
    result = review(record, ai_games=12)
    assert result.rounds == 3
    centcom = [d for d in result.decisions if d.actor == "centcom"]
    irgc = [d for d in result.decisions if d.actor == "irgc"]
    assert [d.round for d in centcom] == [1, 2, 3] and len(irgc) == 3
    assert not [d for d in result.decisions if d.role == "hosts"]  # the AI played the hosts
    for d in centcom:
        decision = room.model.decision_history[d.round]["centcom"]
        assert d.ai_choice == decision.chosen != d.played
        assert d.ai_chance_of_played == decision.probability(d.played) < 1
        assert d.rationale == f"round {d.round}: {SCRIPT}"
    assert all(d.rationale == "match them" and d.played == d.ai_choice for d in irgc)
    assert result.outcomes["highest_rung"] == max(result.series["rung"])


def test_the_game_is_set_against_ai_played_games_of_the_same_scenario(played):
    _, record = played
    result = review(record, ai_games=12)
    again = review(record, ai_games=12)
    assert result.comparisons == again.comparisons  # seeded from the room's own seed
    truce = next(c for c in result.comparisons if c.key == "truce_rounds")
    seeds = [
        int(c.generate_state(1, np.uint64)[0] >> 1) for c in np.random.SeedSequence(11).spawn(12)
    ]
    summaries = [run_once(default_scenario(), s, 3).summary for s in seeds]
    values = [truce_rounds(summary) for summary in summaries]
    assert truce.median == pytest.approx(float(np.median(values)))
    held = sum(summary["mou_collapsed_round"] is None for summary in summaries)
    assert held and f"held through all 3 rounds in {held} of 12 AI-played games" in truce.sentence
    assert truce.sentence.startswith(f"your truce lasted {truce.value:g} rounds; AI-played median")


def test_the_report_shows_typed_text_as_text_and_needs_no_network(played):
    _, record = played
    page = review_html(review(record, ai_games=5))
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; we hold" in page
    assert "match them" in page and "http" not in page.split("<body>")[1]
    assert page.count("data:image/png;base64,") == 1
    # The scenario's debrief questions (its teacher notes), escaped like any text.
    questions = default_scenario().classroom.teacher.discussion_questions
    assert questions and all(html.escape(q, quote=True) in page for q in questions)


def test_outcomes_read_as_money_and_short_numbers():
    from wargame.experiments.aar import chance, shown

    assert shown("interceptor_spend_usd", 363_000_000.0) == "$363.0M"
    assert shown("host_damage", 0.8999999999999999) == "0.9"
    assert shown("mou_collapsed_round", None) == "-" and shown("transits", 320) == "320"
    assert chance(0.0001) == "< 0.1%" and chance(0.0) == "0.0%" and chance(0.735) == "73.5%"


def test_the_round_by_round_bands_are_the_ai_played_games_quantiles(played):
    _, record = played
    result = review(record, ai_games=12)
    seeds = [
        int(c.generate_state(1, np.uint64)[0] >> 1) for c in np.random.SeedSequence(11).spawn(12)
    ]
    frames = [run_once(default_scenario(), s, 3).metrics for s in seeds]
    spend = np.array([f["total_interceptor_spend_usd"].to_numpy(float) for f in frames])
    median, low, high = result.bands["total_interceptor_spend_usd"]
    assert median == pytest.approx(np.median(spend, axis=0).tolist())
    assert low == pytest.approx(np.quantile(spend, 0.1, axis=0).tolist())
    assert high == pytest.approx(np.quantile(spend, 0.9, axis=0).tolist())
    assert set(result.bands) == {
        "rung",
        "total_host_damage",
        "total_interceptor_spend_usd",
        "transits",
    }
    assert all(len(band) == 3 for bands in result.bands.values() for band in bands)
    assert result.series["transits"] == record_metrics(played)["transits"].tolist()


def record_metrics(played):
    room, _ = played
    return room.model.datacollector.get_model_vars_dataframe()
