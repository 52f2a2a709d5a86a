"""Injects fired during play (`GulfModel.add_inject`, the classroom instructor's): one added
before its round plays exactly as the same inject written in the scenario, and one for a round
already begun, or setting what another inject of its round sets, is refused."""

from __future__ import annotations

import pytest
from support import default_scenario, frames_to

from wargame.config.schema import Inject, Scenario
from wargame.engine.model import build_model

ADDED = [
    {"round": 4, "kind": "lebanon_intensity", "value": 0.9, "note": "a Lebanon flare-up"},
    {"round": 4, "kind": "shipping_attacks", "attacks": 2.0, "note": "a tanker struck"},
    {"round": 6, "kind": "action", "actor": "centcom", "action": "hold_and_negotiate"},
]


@pytest.mark.parametrize("seed", [0, 5])
def test_an_added_inject_plays_as_the_same_inject_in_the_scenario(seed):
    base = default_scenario()
    written = Scenario.model_validate(
        base.model_dump(mode="json")
        | {"injects": [*base.model_dump(mode="json")["injects"], *ADDED]}
    )
    expected = frames_to(build_model(written, seed), 10)
    played = build_model(base, seed)
    frames_to(played, 2)
    played.begin_round()  # round 3 begun: the injects fire at the start of rounds 4 and 6
    for data in ADDED:
        played.add_inject(Inject.model_validate(data))
    played.step()  # resolves round 3
    got = frames_to(played, 10)
    assert got.equals(expected)
    untouched = frames_to(build_model(base, seed), 10)
    assert not untouched.equals(expected)  # the injects changed the game


def test_an_inject_for_a_round_begun_or_played_or_in_conflict_is_refused():
    model = build_model(default_scenario(), 0)
    frames_to(model, 3)
    lebanon = {"kind": "lebanon_intensity", "value": 0.5}
    for round_ in (1, 3):
        with pytest.raises(
            ValueError, match="has already begun; an inject now fires at the start of round 4"
        ):
            model.add_inject(Inject.model_validate({"round": round_, **lebanon}))
    model.begin_round()  # round 4
    with pytest.raises(ValueError, match="start of round 5"):
        model.add_inject(Inject.model_validate({"round": 4, **lebanon}))
    model.add_inject(Inject.model_validate({"round": 5, **lebanon}))
    with pytest.raises(ValueError, match="only one can take effect"):
        model.add_inject(Inject.model_validate({"round": 5, **lebanon, "value": 0.7}))
    # Reported attacks add up: two in one round are no conflict.
    attacks = {"round": 5, "kind": "shipping_attacks", "attacks": 1.0}
    model.add_inject(Inject.model_validate(attacks))
    model.add_inject(Inject.model_validate(attacks))
    assert len(model.injects_by_round[5]) == 3
