"""Strikes and their consequences: US packages on Iranian sites, damage from leakers, and the
debris, fires and force majeure that interceptions over populated and energy sites cause.
"""

from __future__ import annotations

import numpy as np

from wargame.config.schema import Adjudication


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
    hit_p = weapon_reliability * (1.0 - hardening[targets])
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
    """Deaths from leakers: Poisson with mean per leaker scaled by how exposed the site is, plus
    the exposure even a remote site has (`exposure_floor`, scenario behaviour.operations)."""
    mean = leaked * params.casualties_per_leaker * (exposure_floor + population_exposure)
    return int(rng.poisson(mean)) if mean > 0 else 0


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
