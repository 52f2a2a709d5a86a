"""The model's DataCollector: Mesa's, keeping the reporters' numbers and strings uncopied.

Apart from `metrics` (the reporters), so that reading the metric names loads no Mesa.
"""

from __future__ import annotations

import numbers

from mesa.datacollection import DataCollector


class MetricsCollector(DataCollector):
    """Mesa's DataCollector for model reporters that return numbers and strings.

    Mesa's `collect` deep-copies every value, so that a reporter returning a list or a dict
    does not see its rows change later; numbers and strings cannot change, and the copies (and
    Mesa's check of the reporters' kinds) were about a tenth of a round. This one calls each
    reporter with the model and appends its value as it is. The first row is checked once:
    a reporter returning anything else is an error, not a silently shared object. Everything
    else (`model_vars`, `get_model_vars_dataframe`, pickling) is Mesa's.
    """

    def __init__(self, model_reporters: dict):
        for name, reporter in model_reporters.items():
            if not callable(reporter):
                raise TypeError(f"model reporter {name!r} must be a function of the model")
        super().__init__(model_reporters=model_reporters)
        self._checked = False

    def collect(self, model) -> None:
        self._collection_steps.append(model.time)  # the steps Mesa's batch_run reads
        columns = self.model_vars
        for name, reporter in self.model_reporters.items():
            columns[name].append(reporter(model))
        if not self._checked:
            self._checked = True
            for name, values in columns.items():
                if not isinstance(values[-1], numbers.Number | str):
                    raise TypeError(
                        f"model reporter {name!r} returned a {type(values[-1]).__name__}; "
                        "MetricsCollector keeps values uncopied, so only numbers and strings"
                    )
