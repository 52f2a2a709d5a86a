"""Holding Ctrl-C and SIGTERM off a few lines that must finish together.

A sweep stores a part in three steps (timeseries hidden, runs part, timeseries shown) and then
forgets the rows it stored. An interrupt between those steps left a hidden `.ready` file, and an
interrupt after the runs part but before the rows were forgotten stored them twice (the final
flush wrote them again). `interrupts_held()` delays SIGINT and SIGTERM until its block ends and
then hands the first one to the handler it would have reached, so the stop still happens,
milliseconds later.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Run the block with SIGINT and SIGTERM held; deliver the first that came afterwards.

    Only the main thread can set handlers (and Python runs them only there), so elsewhere the
    block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    # A handler installed outside Python reads as None and cannot be put back: leave it be.
    previous = {
        number: handler
        for number in HELD_SIGNALS
        if (handler := signal.getsignal(number)) is not None
    }
    for number in previous:
        signal.signal(number, lambda number, frame: arrived.append(number))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if arrived:
        deliver(arrived[0], previous[arrived[0]])


def deliver(number: int, handler) -> None:
    """Act on a held signal as its handler would have when it arrived."""
    if callable(handler):
        handler(number, None)
    elif handler == signal.SIG_DFL:
        signal.raise_signal(number)  # its default: end the process (SIGINT: KeyboardInterrupt)
    # SIG_IGN: nothing
