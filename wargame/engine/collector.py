"""The model's DataCollector: Mesa's, keeping the reporters' numbers and strings uncopied.

Apart from `metrics` (the reporters), so that reading the metric names loads no Mesa.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

from mesa.datacollection import DataCollector


class MetricsCollector(DataCollector):
    """Mesa's DataCollector for model reporters that return numbers and strings.

    Mesa's `collect` deep-copies every value, so that a reporter returning a list or a dict
    does not see its rows change later; numbers and strings cannot change, and the copies (and
    Mesa's check of the reporters' kinds) were about a tenth of a round. This one appends each
    value as it is. The first row is checked once: a reporter returning anything else is an
    error, not a silently shared object. Everything else (`model_vars`,
    `get_model_vars_dataframe`, pickling) is Mesa's.

    `row`, if given, is a function of the model returning every reporter's value at once, in
    the reporters' order (metrics.row): one call a round instead of one per column, which were
    a sixth of a round. Its first row must equal the reporters' own values, value and type
    (checked once, so a column added to the reporters but not to the row is an error at once).
    """

    def __init__(self, model_reporters: dict, row: Callable[..., list] | None = None):
        for name, reporter in model_reporters.items():
            if not callable(reporter):
                raise TypeError(f"model reporter {name!r} must be a function of the model")
        super().__init__(model_reporters=model_reporters)
        self.row = row
        self._checked = False

    def collect(self, model) -> None:
        self._collection_steps.append(model.time)  # the steps Mesa's batch_run reads
        if self._checked and self.row is not None:
            for values, value in zip(self.model_vars.values(), self.row(model), strict=True):
                values.append(value)
            return
        for name, reporter in self.model_reporters.items():
            self.model_vars[name].append(reporter(model))
        if not self._checked:
            self._checked = True
            self._check_first_row(model)

    def _check_first_row(self, model) -> None:
        for name, values in self.model_vars.items():
            if not isinstance(values[-1], numbers.Number | str):
                raise TypeError(
                    f"model reporter {name!r} returned a {type(values[-1]).__name__}; "
                    "MetricsCollector keeps values uncopied, so only numbers and strings"
                )
        if self.row is None:
            return
        row = self.row(model)
        if len(row) != len(self.model_vars):
            raise ValueError(
                f"the row function gives {len(row)} values for {len(self.model_vars)} reporters"
            )
        for (name, values), value in zip(self.model_vars.items(), row, strict=True):
            if not _same(value, values[-1]):
                raise ValueError(
                    f"the row function gives {value!r} for column {name!r}, its reporter "
                    f"{values[-1]!r}"
                )


def _same(a, b) -> bool:
    """The same value of the same type (NaN equals NaN here)."""
    return type(a) is type(b) and (a == b or (a != a and b != b))
