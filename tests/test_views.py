"""Tests for the views `observation.observe` builds without their dataclass __init__: each is
the view its own __init__ builds from the same values (every field set, nothing else), frozen,
and copies and pickles alike."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import numpy as np
import pytest
from support import default_scenario

from wargame.engine.model import build_model
from wargame.engine.observation import CentcomView, HostView, IrgcView


@pytest.fixture(scope="module")
def model():
    model = build_model(default_scenario(), 6)
    for _ in range(60):
        model.step()
    return model


def _assert_same(view, other):
    """The same type and every field's value of the same type (arrays: same dtype and numbers)."""
    assert type(view) is type(other)
    for field in dataclasses.fields(view):
        mine, theirs = getattr(view, field.name), getattr(other, field.name)
        if isinstance(mine, np.ndarray):
            assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs), field.name
        else:
            assert type(mine) is type(theirs) and mine == theirs, field.name


def _every_view(model):
    return list(model.views.values())


def test_each_view_is_the_one_its_init_builds(model):
    views = _every_view(model)
    assert {type(view) for view in views} == {IrgcView, CentcomView, HostView}
    for view in views:
        names = [field.name for field in dataclasses.fields(view)]
        assert list(vars(view)) == names, type(view).__name__  # every field, in order, no other
        _assert_same(view, type(view)(**vars(view)))


def test_a_view_is_frozen_and_copies_and_pickles(model):
    for view in _every_view(model):
        with pytest.raises(dataclasses.FrozenInstanceError):
            view.round = 0  # type: ignore[misc]
        for twin in (copy.deepcopy(view), pickle.loads(pickle.dumps(view))):
            _assert_same(twin, view)
        assert dataclasses.replace(view, round=0).round == 0 != view.round
