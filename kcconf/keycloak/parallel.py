"""Independent admin requests side by side, at most `workers` in flight at once.

Keycloak answers reads of different objects independently, and one request at a time leaves
both it and kcconf idle while each answer travels; a few in flight at once use that time
(measured in docs/performance.md). Results come back in the order of the items, so what a
parallel read builds is the same as a sequential one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TypeVar

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
    """`fn` of every item, in order. The first failure stops what has not started, waits for
    what has, and is raised; so is an interrupt."""
    if workers <= 1 or len(items) <= 1:
        return [_ticked(fn, item, tick) for item in items]
    pool = ThreadPoolExecutor(max_workers=min(workers, len(items)))
    futures: list[Future[R]] = []
    try:
        futures = [pool.submit(_ticked, fn, item, tick) for item in items]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            failure = future.exception() if future in done else None
            if failure is not None:
                raise failure
        return [future.result() for future in futures]
    finally:
        # On a failure or an interrupt: nothing new starts; what runs is let finish, since a
        # request already sent cannot be called back.
        pool.shutdown(wait=True, cancel_futures=True)


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
