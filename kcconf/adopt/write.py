"""Writing an adopted spec: to stdout, a file, or `<realm>.yaml` in a directory; the report
(what was not expressible, the variables the spec reads) goes to the log, never a value."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kcconf.adopt.convert import Converted
from kcconf.adopt.render import render
from kcconf.errors import KcconfError


def target(out: Path | None, realm: str) -> Path | None:
    """The file to write: `out`, or `<realm>.yaml` inside `out` when it is a directory."""
    if out is not None and out.is_dir():
        return out / f"{realm}.yaml"
    return out


def write(
    converted: Converted,
    how: str,
    version: str,
    out: Path | None,
    emit: Callable[[str], None],
    log: Callable[[str], None],
    strict: bool = False,
) -> None:
    report = converted.report
    for note in sorted(report.notes):
        log(f"mapped: {note}")
    for skipped in sorted(report.skipped):
        log(f"not expressible: {skipped}")
    objects = ", ".join(f"{n} {key}" for key, n in converted.counts.items())
    log(f"read {objects}; {len(report.skipped)} path(s) not expressible")
    if report.env:
        log("the spec reads these environment variables: " + ", ".join(sorted(report.env)))
    if strict and report.skipped:
        raise KcconfError(f"{len(report.skipped)} path(s) not expressible (--strict)")
    text = render(converted.spec, how, version)
    path = target(out, str(converted.spec["realm"]["name"]))
    if path is None:
        emit(text)
    else:
        path.write_text(text)
        log(f"wrote {path}")
