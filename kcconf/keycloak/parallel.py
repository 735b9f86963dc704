"""Independent admin requests side by side, at most `workers` in flight at once.

Keycloak answers reads of different objects independently, and one request at a time leaves
both it and kcconf idle while each answer travels; a few in flight at once use that time
(measured in docs/performance.md). Results come back in the order of the items, so what a
parallel read builds is the same as a sequential one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar, cast

# Chosen by measurement on 2 cores with Keycloak on the same machine (docs/performance.md);
# more than MAX only queues requests in Keycloak's own worker pool.
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 32

T = TypeVar("T")
R = TypeVar("R")
Tick = Callable[[], None]


def each(
    workers: int, fn: Callable[[T], R], items: Sequence[T], tick: Tick | None = None
) -> list[R]:
    """`fn` of every item, in order. Items are handed out as workers free up (so 10,000 of
    them never wait as 10,000 queued tasks). The first failure stops what has not started,
    waits for what has, and is raised; so is an interrupt."""
    if workers <= 1 or len(items) <= 1:
        return [_ticked(fn, item, tick) for item in items]
    results: list[R | None] = [None] * len(items)
    running: dict[Future[R], int] = {}
    todo = iter(enumerate(items))
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        # On a failure or an interrupt nothing new starts, and leaving the block waits for what
        # runs: a request already sent cannot be called back.
        while True:
            for index, item in itertools.islice(todo, workers - len(running)):
                running[pool.submit(_ticked, fn, item, tick)] = index
            if not running:
                return cast(list[R], results)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                results[running.pop(future)] = future.result()  # raises the failure


def _ticked(fn: Callable[[T], R], item: T, tick: Tick | None) -> R:
    result = fn(item)
    if tick is not None:
        tick()
    return result


class Progress:
    """Where long work reports how far it got: one phase at a time, counted per object.
    This one shows nothing (--quiet, and library use); kcconf.output.progress draws it."""

    def start(self, label: str, total: int) -> None:
        """A phase of `total` objects begins: `reading users (role mappings)`."""

    def tick(self) -> None:
        """One more object done; called from any thread."""

    def finish(self) -> None:
        """The phase is over (done or stopped)."""

    def message(self, text: str) -> None:
        """A line of its own between phases: `realm x: reading clients`."""
