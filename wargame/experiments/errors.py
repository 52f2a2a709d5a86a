"""Errors the experiments layer reports to its faces (kept import-light for the CLI)."""


class StoreError(Exception):
    """The results folder cannot be used for this experiment."""


class SweepStoppedError(Exception):
    """The sweep stopped on a failed run (execution.on_error: stop)."""
