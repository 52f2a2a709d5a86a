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
from operator import mul
from types import MappingProxyType

import numpy as np


@dataclass(frozen=True)
class Decision:
    """One actor's choice with everything behind it. The raw costs are kept as one row of
    numbers per option, the term names once (`terms`); the per-option mappings (`raw_terms`)
    and the weighted terms (`weighted_terms`, `breakdown`) are built when read, not kept: a
    round has seven decisions of up to 8 x 7 terms, few of which are ever read, and each read
    gives the numbers the utilities summed."""

    actor: str
    options: tuple[str, ...]
    terms: tuple[str, ...]  # the actor's cost terms, in the order of every row of `costs`
    costs: tuple[tuple[float, ...], ...]  # per option, its raw cost of each term
    weights: Mapping[str, float]  # the actor's weight of each term (never changed)
    utilities: tuple[float, ...]
    probabilities: tuple[float, ...]
    chosen: str

    def __init__(
        self,
        actor: str,
        options: tuple[str, ...],
        terms: tuple[str, ...],
        costs: tuple[tuple[float, ...], ...],
        weights: Mapping[str, float],
        utilities: tuple[float, ...],
        probabilities: tuple[float, ...],
        chosen: str,
    ):
        # Each field written into the instance dict: the __init__ a frozen dataclass generates
        # sets each through object.__setattr__, which was a sixth of a decision's instructions.
        # Still frozen: a later assignment raises FrozenInstanceError.
        fields = self.__dict__
        fields["actor"] = actor
        fields["options"] = options
        fields["terms"] = terms
        fields["costs"] = costs
        fields["weights"] = weights
        fields["utilities"] = utilities
        fields["probabilities"] = probabilities
        fields["chosen"] = chosen

    @property
    def raw_terms(self) -> Mapping[str, Mapping[str, float]]:
        """Per option (read-only): term -> raw cost."""
        terms = self.terms
        return MappingProxyType(
            {
                option: MappingProxyType(dict(zip(terms, row, strict=True)))
                for option, row in zip(self.options, self.costs, strict=True)
            }
        )

    @property
    def weighted_terms(self) -> tuple[dict[str, float], ...]:
        """Per option, in `options` order: term -> weight * raw cost."""
        return tuple(self.breakdown(option) for option in self.options)

    def breakdown(self, option: str | None = None) -> dict[str, float]:
        """The weighted cost of each term for one option (the chosen one by default)."""
        option = option or self.chosen
        if option not in self.options:
            raise ValueError(f"{option!r} is not one of {self.actor}'s options")
        weights = self.weights
        row = self.costs[self.options.index(option)]
        return {term: weights[term] * value for term, value in zip(self.terms, row, strict=True)}

    def probability(self, option: str) -> float:
        return self.probabilities[self.options.index(option)]


def decide(
    actor: str,
    raw_terms: Mapping[str, Mapping[str, float]],
    weights: Mapping[str, float],
    rationality: float,
    rng: np.random.Generator,
) -> Decision:
    """`choose` with the raw costs given per option as term -> cost mappings. Every option
    names the same terms; each option's weighted terms are summed in the first option's
    order."""
    options = tuple(raw_terms)
    terms = tuple(raw_terms[options[0]]) if options else ()
    costs = []
    for option, row in raw_terms.items():
        if row.keys() != set(terms):
            raise ValueError(
                f"{actor}'s options weigh different terms: {option!r} has {sorted(row)}, "
                f"{options[0]!r} has {sorted(terms)}"
            )
        costs.append(tuple([row[term] for term in terms]))
    return choose(actor, options, terms, tuple(costs), weights, rationality, rng)


def choose(
    actor: str,
    options: tuple[str, ...],
    terms: tuple[str, ...],
    costs: tuple[tuple[float, ...], ...],
    weights: Mapping[str, float],
    rationality: float,
    rng: np.random.Generator,
) -> Decision:
    """Score each option (its row of `costs`, one raw cost per term of `terms`) by
    -sum(weight * cost) and draw one by the logit rule.

    Menus are short (2-8 options), so plain Python beats numpy's per-call overhead here.

    The same rule as `rules.shipping.choice_cumulative` + `choose_by_kind` (the ships'
    vectorised path, checked against the textbook arrays in tests/support.py), kept as a
    second copy on purpose: the arithmetic differs in the last bits (lambda * (u - top)
    here, lambda * u - lambda * top there; math.exp and a running sum against np.exp and
    numpy's reduction; a draw equal to a cumulative probability takes the next option here,
    that option there). Routing decisions through the arrays changes the recorded
    probabilities of every run (the golden test fails). Issue 9 (which changed behaviour on
    purpose) still left them apart: the merge is not trivially safe (the ships' path works on
    arrays of many ships at once and handles `-inf`, an impossible choice; routing a 2-8
    option menu through it costs numpy's per-call overhead seven times a round), and what it
    would save is one short function. No `-inf` (impossible option) occurs on an actor's
    menu, so this copy does not handle it.
    """
    # The same products, in the same order, that `Decision.breakdown` gives for each option,
    # summed by the built-in sum: the recorded utilities depend on how. Since Python 3.12 it
    # compensates (Neumaier) over exact Python floats, but a numpy scalar among the products
    # turns the rest of the sum into plain additions: the IRGC's package losses are numpy
    # scalars (intel), so its utilities are plain sums, the others compensated. The costs
    # must keep their types as well as their values.
    weight_row = [weights[term] for term in terms]
    utilities = tuple([-sum(map(mul, weight_row, row)) for row in costs])
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
    # Positional: keywords would cost a dict per decision.
    return Decision(actor, options, terms, costs, weights, utilities, probabilities, options[index])
