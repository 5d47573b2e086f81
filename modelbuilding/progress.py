"""Progress lines for the long steps of a build (normalizing, training, judging): a count, the
share done and the time taken, at most every few seconds, so a build run in a log or a pipe
(no terminal, no progress bar) still says where it is."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
EVERY_S = 15.0


class Progress:
    """``update`` after each item; a line when ``every`` seconds passed since the last one,
    and always one when the last item is done."""

    def __init__(
        self,
        what: str,
        total: int,
        log: Callable[[str], None] = print,
        *,
        unit: str = "",
        every: float = EVERY_S,
    ) -> None:
        self.what, self.total, self.log, self.unit, self.every = what, total, log, unit, every
        self.done = 0
        self.started = self.last = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.done >= self.total or now - self.last >= self.every:
            self.last = now
            share = f" ({self.done / self.total:.0%})" if self.total else ""
            unit = f" {self.unit}" if self.unit else ""
            self.log(f"{self.what}: {self.done}/{self.total}{unit}{share}, {self.elapsed:.0f}s")

    def wrap(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            yield item
            self.update()


@contextmanager
def stage(name: str, log: Callable[[str], None] = print):
    """'NAME ...' when a stage starts and 'NAME: done in Xs' when it ends."""
    started = time.monotonic()
    log(f"{name} ...")
    yield
    log(f"{name}: done in {time.monotonic() - started:.0f}s")
