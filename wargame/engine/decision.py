"""Choosing by quantal response: score options with an actor's own weighted cost terms, pick by logit.

An actor hands over, for each option, the raw value of each of its cost terms (positive = bad,
negative = a benefit). Utility is minus the weighted sum; the choice is drawn with
P(i) = exp(lambda U_i) / sum_j exp(lambda U_j). The `Decision` keeps the whole term-by-term
breakdown, because the "why" panel and the after-action review show it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Decision:
    """One actor's choice with everything behind it. The weighted terms are worked out when
    read (`weighted_terms`, `breakdown`), not kept: a round has seven decisions of up to 8 x 7
    terms, few of which are ever read, and each read gives the numbers the utilities summed."""

    actor: str
    options: tuple[str, ...]
    raw_terms: Mapping[str, Mapping[str, float]]  # per option: term -> raw cost (never changed)
    weights: Mapping[str, float]  # the actor's weight of each term (never changed)
    utilities: tuple[float, ...]
    probabilities: tuple[float, ...]
    chosen: str

    @property
    def weighted_terms(self) -> tuple[dict[str, float], ...]:
        """Per option, in `options` order: term -> weight * raw cost."""
        return tuple(self.breakdown(option) for option in self.options)

    def breakdown(self, option: str | None = None) -> dict[str, float]:
        """The weighted cost of each term for one option (the chosen one by default)."""
        option = option or self.chosen
        if option not in self.raw_terms:
            raise ValueError(f"{option!r} is not one of {self.actor}'s options")
        weights = self.weights
        return {term: weights[term] * value for term, value in self.raw_terms[option].items()}

    def probability(self, option: str) -> float:
        return self.probabilities[self.options.index(option)]


def logit_probabilities(utilities: np.ndarray, rationality: float) -> np.ndarray:
    """Quantal-response probabilities; rows of a 2-D array are independent choosers."""
    utilities = np.asarray(utilities, dtype=float)
    # -inf marks an impossible option: it keeps probability 0 even at lambda = 0. It is scaled
    # as 0 and put back afterwards, because lambda * -inf is NaN at lambda = 0.
    # (The ufuncs' own reductions, not the array methods: the same sums, without the wrappers.)
    possible = utilities != -np.inf
    scaled = np.where(possible, rationality * np.where(possible, utilities, 0.0), -np.inf)
    scaled = scaled - np.maximum.reduce(scaled, axis=-1, keepdims=True)  # stable softmax
    weights = np.exp(scaled)
    return weights / np.add.reduce(weights, axis=-1, keepdims=True)


def draw_choices(
    probabilities: np.ndarray, rng: np.random.Generator, rows: np.ndarray | None = None
) -> np.ndarray:
    """One draw per row of a (choosers x options) probability matrix, vectorised.

    With `rows`, `probabilities` holds one row per kind of chooser and chooser i draws from row
    `rows[i]`: the same draws as from the matrix with each kind's row repeated."""
    cumulative = np.cumsum(probabilities, axis=1)
    if rows is not None:
        cumulative = cumulative[rows]
    draws = rng.random(cumulative.shape[0])[:, None]
    chosen = np.add.reduce(draws > cumulative, axis=1)
    return np.minimum(chosen, probabilities.shape[1] - 1)


def decide(
    actor: str,
    raw_terms: Mapping[str, Mapping[str, float]],
    weights: Mapping[str, float],
    rationality: float,
    rng: np.random.Generator,
) -> Decision:
    """Score each option by -sum(weight * cost) and draw one by the logit rule.

    Menus are short (2-8 options), so plain Python beats numpy's per-call overhead here.

    The same rule as `logit_probabilities` + `draw_choices` (the ships' vectorised path), kept
    as a second copy on purpose: the arithmetic differs in the last bits (lambda * (u - top)
    here, lambda * u - lambda * top there; math.exp and a running sum against np.exp and
    numpy's reduction; a draw equal to a cumulative probability takes the next option here,
    that option there). Routing decisions through the arrays changes the recorded
    probabilities of every run (the golden test fails), so they stay apart until a
    behaviour-changing issue (issue 9) may merge them. No `-inf` (impossible option) occurs
    on an actor's menu, so this copy does not handle it.
    """
    options = tuple(raw_terms)
    # The same products, in the same order, that `Decision.breakdown` gives for each option.
    utilities = tuple(
        [
            -sum([weights[term] * value for term, value in terms.items()])
            for terms in raw_terms.values()
        ]
    )
    top = max(utilities)
    exps = [math.exp(rationality * (u - top)) for u in utilities]
    total = sum(exps)
    probabilities = tuple([e / total for e in exps])
    draw = rng.random()
    index, cumulative = len(options) - 1, 0.0
    for i, p in enumerate(probabilities):
        cumulative += p
        if draw < cumulative:
            index = i
            break
    return Decision(
        actor=actor,
        options=options,
        raw_terms=raw_terms,
        weights=weights,
        utilities=utilities,
        probabilities=probabilities,
        chosen=options[index],
    )
