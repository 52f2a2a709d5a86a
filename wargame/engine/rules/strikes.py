"""Strikes and their consequences: US packages on Iranian sites, damage from leakers, and the
debris, fires and force majeure that interceptions over populated and energy sites cause.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wargame.config.schema import Adjudication


def hit_probability(weapon_reliability, hardening):
    """A weapon's chance to hit a site (numbers or arrays of sites): it must work and beat the
    site's hardening."""
    return weapon_reliability * (1.0 - hardening)


def expected_capacity_kept(
    weapons_per_target: int, weapon_reliability: float, hardening: float, damage_per_hit: float
) -> float:
    """The share of a site's capacity a strike leaves on average, the mean of `strike_sites`:
    E[(1 - damage_per_hit)^hits] with binomial hits is (1 - hit_p * damage_per_hit)^weapons."""
    hit_p = hit_probability(weapon_reliability, hardening)
    return (1.0 - hit_p * damage_per_hit) ** weapons_per_target


def strike_sites(
    capacity: np.ndarray,
    targets: np.ndarray,
    weapons_per_target: int,
    weapon_reliability: float,
    hardening: np.ndarray,
    damage_per_hit: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """A strike package on Iranian sites: each weapon hits with reliability x (1 - hardening).

    Returns the new capacity of every site and the hits on each target.
    """
    hit_p = hit_probability(weapon_reliability, hardening[targets])
    hits = rng.binomial(weapons_per_target, hit_p)
    new_capacity = capacity.copy()
    remaining = (1.0 - damage_per_hit) ** hits
    new_capacity[targets] = capacity[targets] * remaining
    return new_capacity, hits


def leaker_damage(leaked: np.ndarray, damage_per_weapon: np.ndarray, hardening: float) -> float:
    """Damage units the leakers of a raid do to one site (before its value is applied)."""
    return float((leaked * damage_per_weapon).sum() * (1.0 - hardening))


def leaker_casualties(
    leaked: int,
    population_exposure: float,
    exposure_floor: float,
    params: Adjudication,
    rng: np.random.Generator,
) -> int:
    """Deaths from leakers: Poisson with the mean of `expected_casualties`."""
    mean = expected_casualties(leaked, population_exposure, exposure_floor, params)
    return int(rng.poisson(mean)) if mean > 0 else 0


def expected_casualties(
    leaked: float, population_exposure: float, exposure_floor: float, params: Adjudication
) -> float:
    """Mean deaths from leakers: a number per leaker scaled by how exposed the site is, plus the
    exposure even a remote site has (`exposure_floor`, scenario behaviour.operations)."""
    return leaked * params.casualties_per_leaker * (exposure_floor + population_exposure)


def debris_effects(
    interceptions: int,
    population_exposure: float,
    energy_proximity: float,
    params: Adjudication,
    rng: np.random.Generator,
) -> tuple[int, bool]:
    """Intercept debris: civilian casualties over people, and whether a fire starts near energy."""
    harm_mean = interceptions * params.debris_harm_per_interception * population_exposure
    harm = int(rng.poisson(harm_mean)) if harm_mean > 0 else 0
    fire_p = 1.0 - (1.0 - params.fire_per_interception * energy_proximity) ** interceptions
    fire = bool(rng.random() < fire_p)
    return harm, fire


def energy_fire(leaked: int, params: Adjudication, rng: np.random.Generator) -> bool:
    """A leaker on an energy site starts a fire with this chance each."""
    return bool(rng.random() < 1.0 - (1.0 - params.fire_per_energy_hit) ** leaked)


def package_targets(
    capacity: np.ndarray, value: np.ndarray, eligible: Sequence[int], count: int
) -> np.ndarray:
    """The sites a strike package hits: of the `eligible` site indices, the `count` with the
    most capacity x value standing (planners hit what still stands, most valuable first; ties
    by index)."""
    ranked = sorted(eligible, key=lambda i: (-capacity[i] * value[i], i))
    return np.array(ranked[:count], dtype=np.int64)
