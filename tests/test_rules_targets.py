"""Which Iranian sites a CENTCOM strike package hits (rules/strikes.package_targets), without
a Model: of the sites of the package's roles, those with the most capacity x value standing."""

from __future__ import annotations

import numpy as np

from wargame.engine.rules.strikes import package_targets

CAPACITY = np.array([1.0, 0.2, 1.0, 0.9, 0.0, 1.0])
VALUE = np.array([1.0, 5.0, 2.0, 2.0, 9.0, 1.0])  # capacity x value: 1, 1, 2, 1.8, 0, 1


def test_planners_hit_the_most_valuable_standing_sites_first():
    assert package_targets(CAPACITY, VALUE, range(6), 3).tolist() == [2, 3, 0]


def test_ties_go_to_the_first_site():
    assert package_targets(CAPACITY, VALUE, [5, 1, 0], 2).tolist() == [0, 1]


def test_only_the_eligible_sites_are_hit():
    assert package_targets(CAPACITY, VALUE, [0, 4, 5], 6).tolist() == [0, 5, 4]


def test_a_destroyed_site_of_high_value_comes_last():
    assert package_targets(CAPACITY, VALUE, range(6), 6).tolist()[-1] == 4


def test_targets_are_site_indices():
    targets = package_targets(CAPACITY, VALUE, range(6), 2)
    assert targets.dtype == np.int64
    assert package_targets(CAPACITY, VALUE, [], 2).tolist() == []
