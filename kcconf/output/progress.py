"""Progress of long reads and writes on stderr, as people expect it: a bar per phase on a
terminal, a plain line every few seconds in a log (CI), nothing with --quiet. Never one line
per object: a 10,000-user apply says how far it is, not each user's name."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from kcconf.keycloak.parallel import Progress
from kcconf.model.objects import redact
from kcconf.output.escape import printable

BAR = 24  # characters of the bar
REDRAW = 0.1  # seconds between redraws of a bar
EVERY = 5.0  # seconds between lines in a log
QUICK = 1.0  # a phase done sooner than this leaves no summary line


class Shown(Progress):
    """A bar redrawn in place (`tty`) or periodic lines."""

    def __init__(self, stream: TextIO | None = None, tty: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self._lock = threading.Lock()
        self._label = ""
        self._total = self._done = 0
        self._began = self._shown = 0.0

    def message(self, text: str) -> None:
        self._write(redact(text) + "\n")

    def start(self, label: str, total: int) -> None:
        with self._lock:
            self._label, self._total, self._done = printable(label), total, 0
            self._began = self._shown = time.monotonic()

    def tick(self) -> None:
        with self._lock:
            self._done += 1
            now = time.monotonic()
            if now - self._shown >= (REDRAW if self.tty else EVERY):
                self._shown = now
                self._draw(now)

    def finish(self) -> None:
        with self._lock:
            took = time.monotonic() - self._began
            if self.tty and took >= REDRAW:
                self._write("\r\033[K")  # the bar goes; the summary below stays
            if took >= QUICK:
                self._write(f"{self._label}: {self._done:,} in {took:.1f} s\n")
            self._total = self._done = 0

    def _draw(self, now: float) -> None:
        elapsed = max(now - self._began, 1e-9)
        rate = self._done / elapsed
        left = (self._total - self._done) / rate if rate else 0.0
        counts = f"{self._done:,}/{self._total:,}, {rate:,.0f}/s, ~{left:.0f} s left"
        if self.tty:
            filled = BAR * self._done // max(self._total, 1)
            bar = "#" * filled + "." * (BAR - filled)
            self._write(f"\r\033[K{self._label} [{bar}] {counts}")
        else:
            self._write(f"{self._label}: {counts}\n")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
