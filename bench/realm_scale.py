"""kcconf on a realistic realm at a chosen scale, next to what Keycloak itself costs: one table.

    .venv/bin/python bench/realm_scale.py --scale 0.1 [--scale 0.3 --scale 1.0] [--markdown]
    KCCONF_URL=... KCCONF_USERNAME=... KCCONF_PASSWORD=... .venv/bin/python bench/realm_scale.py

The realm (bench/realm_shape.py) at scale 1.0: 5,000 realm roles (500 composites), 100 client
scopes, 1,000 clients with roles, scope mappings and an extra default scope, 1,000 groups in two
levels with role mappings, 10,000 users with a role and a group. It starts its own Keycloak
(--version, default the pinned one) unless KCCONF_URL names one.

Per scale, in this order, each kcconf command a subprocess (wall time, the child's peak RSS, and
the admin request counts kcconf logs): validate; apply into an absent realm; plan twice
unchanged (the first just after the apply, the second again; "cold" is the first plan after
the apply, whose closing check has read back all it wrote, i.e. the whole realm); apply
unchanged (must write nothing). Then, without kcconf's code (bench/floors.py), one request at
a time: the read floor on kcconf's realm, the write floor into a fresh realm, and partial
import into another. Each
realm is deleted before the next is made, so Keycloak's caches hold one bench realm at a time.
The table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import requests.exceptions as requests_errors
from floors import Admin, import_floor, read_floor, write_floor
from realm_shape import Shape, builtin_default_scopes, spec_text

from kcconf.keycloak import sandbox


@dataclass
class Row:
    scale: float
    figure: str
    seconds: float | None = None
    requests: str = ""
    peak_mb: float | None = None
    ratio: float | None = None


@dataclass(frozen=True)
class Target:
    url: str
    username: str
    password: str

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "KCCONF_URL": self.url,
            "KCCONF_USERNAME": self.username,
            "KCCONF_PASSWORD": self.password,
        }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def counted(counts: Counter[str] | dict[str, int]) -> str:
    return ", ".join(f"{m} {n}" for m, n in sorted(counts.items()) if n) or "none"


def parse_counts(line: str) -> dict[str, int]:
    """'admin API requests: GET 9, PUT 1' as {'GET': 9, 'PUT': 1}."""
    body = line.split(":", 1)[1].strip()
    if body == "none":
        return {}
    return {m: int(n) for m, n in (part.split() for part in body.split(", "))}


@dataclass(frozen=True)
class Run:
    seconds: float
    code: int
    peak_mb: float
    counts: dict[str, int] | None
    err_tail: str


def kcconf(target: Target, *args: str, out: int | IO[str] = subprocess.DEVNULL) -> Run:
    """One kcconf command as a child process: wall time, exit code, its own peak RSS, and the
    last 'admin API requests' line it logged (not --quiet: that silences the line too)."""
    with tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "kcconf", *args], stdout=out, stderr=err, env=target.env()
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        lines = err.read().splitlines()
    found = [ln for ln in lines if ln.startswith("admin API requests:")]
    return Run(
        seconds,
        child.returncode,
        usage.ru_maxrss / 1024,  # KB on Linux
        parse_counts(found[-1]) if found else None,
        "\n".join(lines[-5:]),
    )


def timed(api: Admin, work: Callable[[], None]) -> tuple[float, str]:
    api.counts.clear()
    start = time.perf_counter()
    work()
    return time.perf_counter() - start, counted(api.counts)


@contextmanager
def realm_of(api: Admin, realm: str) -> Iterator[None]:
    """Delete the realm afterwards (outside every timing), whatever happened."""
    try:
        yield
    finally:
        log(f"deleting realm {realm}")
        try:
            api.delete_realm(realm)
        except RuntimeError as exc:
            log(f"warning: could not delete realm {realm}: {exc}")


class Bench:
    def __init__(self, target: Target, check: bool) -> None:
        self.target, self.check = target, check
        self.api = Admin(target.url, target.username, target.password)
        self.builtin = tuple(builtin_default_scopes(self.api.server_version()))
        self.rows: list[Row] = []
        self.warnings: list[str] = []

    def shape(self, scale: float, role: str) -> Shape:
        return Shape(f"scale-{uuid.uuid4().hex[:6]}-{role}", scale, self.builtin)

    def command(self, scale: float, figure: str, *args: str) -> Run:
        log(f"[{scale}] {figure}: kcconf {' '.join(args[:-1])} ...")
        run = kcconf(self.target, *args)
        if run.code != 0:
            self.warnings.append(
                f"warning: scale {scale}: {figure}: kcconf {' '.join(args[:-1])} exited "
                f"{run.code}: {run.err_tail}"
            )
        requests = "" if run.counts is None else counted(run.counts)
        self.add(Row(scale, figure, run.seconds, requests, run.peak_mb))
        return run

    def add(self, row: Row) -> None:
        """A row for the table, said on stderr as soon as it is measured."""
        self.rows.append(row)
        log(f"[{row.scale}] {row.figure}: " + ", ".join(filter(None, cells(row)[2:])))

    def floor(self, scale: float, figure: str, work: Callable[[], None]) -> Row:
        """A floor's row; one that fails is reported and left without a time, so a long run
        still prints the rest of its table."""
        log(f"[{scale}] {figure} ...")
        try:
            seconds, requests = timed(self.api, work)
            row = Row(scale, figure, seconds, requests)
        except (RuntimeError, requests_errors.RequestException) as exc:
            self.warnings.append(f"warning: scale {scale}: {figure} failed: {exc}")
            row = Row(scale, figure, None, counted(self.api.counts) + " (failed)")
        self.add(row)
        return row

    def run(self, scale: float) -> None:
        shape = self.shape(scale, "kcconf")
        with tempfile.TemporaryDirectory() as tmp:
            spec = Path(tmp) / "realm.yaml"
            spec.write_text(spec_text(shape))
            log(f"[{scale}] realm {shape.realm}: {describe(shape)}")
            self.command(scale, "kcconf validate", "validate", str(spec))
            with realm_of(self.api, shape.realm):
                self.kcconf_figures(scale, shape.realm, str(spec))
        written = self.shape(scale, "write")
        with realm_of(self.api, written.realm):
            write = self.floor(
                scale, "write floor: one request per object", lambda: write_floor(self.api, written)
            )
            self.same_realm(scale, written)
        imported = self.shape(scale, "import")
        with realm_of(self.api, imported.realm):
            partial = self.floor(
                scale,
                "partialImport (+ plain requests: scopes, scope mappings, default scopes)",
                lambda: import_floor(self.api, imported),
            )
            self.same_realm(scale, imported)
        self.ratios(scale, write, partial)

    def same_realm(self, scale: float, shape: Shape) -> None:
        """A floor counts only if it made the realm kcconf makes: kcconf plan finds no change
        (not timed; skipped with --no-check)."""
        if not self.check:
            return
        log(f"[{scale}] checking realm {shape.realm} with kcconf plan")
        with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile("w+") as out:
            spec = Path(tmp) / "realm.yaml"
            spec.write_text(spec_text(shape))
            run = kcconf(self.target, "plan", str(spec), out=out)
            out.seek(0)
            plan = out.read().strip().splitlines()
        if run.code != 0:
            self.warnings.append(
                f"warning: scale {scale}: realm {shape.realm} differs from kcconf's "
                f"(plan exit {run.code}): {' / '.join(plan[-3:]) or run.err_tail}"
            )

    def kcconf_figures(self, scale: float, realm: str, spec: str) -> None:
        self.command(
            scale, "kcconf apply, absent realm (incl. its re-plan)", "apply", "--auto-approve", spec
        )
        self.command(scale, "kcconf plan, unchanged (cold)", "plan", spec)
        self.command(scale, "kcconf plan, unchanged (warm)", "plan", spec)
        again = self.command(scale, "kcconf apply, unchanged", "apply", "--auto-approve", spec)
        writes = {m: n for m, n in (again.counts or {}).items() if m != "GET"}
        if writes or again.counts is None:
            what = counted(writes) if again.counts is not None else "no request count logged"
            self.warnings.append(f"warning: scale {scale}: the unchanged apply wrote: {what}")
        self.floor(
            scale, "read floor: lists + per-object reads", lambda: read_floor(self.api, realm)
        )

    def ratios(self, scale: float, write: Row, partial: Row) -> None:
        figures = {r.figure: r for r in self.rows if r.scale == scale}
        read = figures["read floor: lists + per-object reads"]
        applied = figures["kcconf apply, absent realm (incl. its re-plan)"]
        for label, top, bottom in (
            ("ratio: plan (cold) / read floor", figures["kcconf plan, unchanged (cold)"], read),
            ("ratio: plan (warm) / read floor", figures["kcconf plan, unchanged (warm)"], read),
            ("ratio: apply (absent) / partialImport", applied, partial),
            ("ratio: apply (absent) / write floor", applied, write),
        ):
            if top.seconds and bottom.seconds:
                self.rows.append(Row(scale, label, ratio=top.seconds / bottom.seconds))


def describe(shape: Shape) -> str:
    return (
        f"{len(shape.roles)} realm roles ({len(shape.composites)} composite), "
        f"{len(shape.scopes)} client scopes, {len(shape.clients)} clients, "
        f"{len(shape.groups)} groups, {len(shape.users)} users"
    )


HEADER = ("scale", "figure", "seconds", "requests", "peak MB", "ratio")


def cells(row: Row) -> tuple[str, ...]:
    return (
        f"{row.scale:g}",
        row.figure,
        "" if row.seconds is None else f"{row.seconds:.1f}",
        row.requests,
        "" if row.peak_mb is None else f"{row.peak_mb:.0f}",
        "" if row.ratio is None else f"{row.ratio:.2f}",
    )


def table(rows: list[Row], markdown: bool) -> str:
    body = [HEADER, *(cells(r) for r in rows)]
    right = {0, 2, 4, 5}
    if markdown:
        rule = tuple("---:" if i in right else "---" for i in range(len(HEADER)))
        return "".join("| " + " | ".join(line) + " |\n" for line in (HEADER, rule, *body[1:]))
    widths = [max(len(line[i]) for line in body) for i in range(len(HEADER))]
    return "".join(
        "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        + "\n"
        for line in body
    )


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=float, action="append", help="repeatable; default 1.0")
    parser.add_argument("--version", default=sandbox.DEFAULT_VERSION, help="Keycloak to start")
    parser.add_argument("--markdown", action="store_true", help="a markdown table")
    parser.add_argument(
        "--no-check",
        dest="check",
        action="store_false",
        help="do not plan the floors' realms to check they equal kcconf's (saves a plan each)",
    )
    return parser.parse_args()


def measure(target: Target, args: argparse.Namespace) -> None:
    bench = Bench(target, args.check)
    for scale in args.scale or [1.0]:
        bench.run(scale)
    sys.stdout.write(table(bench.rows, args.markdown))
    for warning in bench.warnings:
        print(warning)


def main() -> None:
    args = parse()
    if os.environ.get("KCCONF_URL"):
        target = Target(
            os.environ["KCCONF_URL"],
            os.environ.get("KCCONF_USERNAME", "admin"),
            os.environ.get("KCCONF_PASSWORD", "admin"),
        )
        measure(target, args)
        return
    log(f"starting Keycloak {args.version}")
    server = sandbox.start(args.version)
    try:
        measure(Target(server.url, server.admin_user, server.admin_password), args)
    finally:
        sandbox.stop(server)


if __name__ == "__main__":
    main()
