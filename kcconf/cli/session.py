"""Running commands against Keycloak: one login for every realm a command handles, progress
on stderr, results on stdout, and the confirmation a person gives before apply."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from kcconf.checks.assertions import summary as check_summary
from kcconf.checks.run import run_checks
from kcconf.errors import KcconfError, raise_if_problems
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.parallel import Progress
from kcconf.keycloak.rest import Api, Credentials
from kcconf.keycloak.transport import Tls
from kcconf.model.objects import LOGIN_SHORTEST, redact, remember
from kcconf.output.json_plan import document
from kcconf.output.markdown import render_markdown
from kcconf.output.progress import Shown
from kcconf.output.text import Paint, coloured, plain, render_plan, render_plans
from kcconf.planning.apply import apply_plan
from kcconf.planning.plan import Plan, make_plan
from kcconf.spec.workspace import SpecFile


def log(message: str) -> None:
    click.echo(redact(message), err=True)


def emit(text: str) -> None:
    """Results to stdout; secrets are kept out by construction, and scrubbed again here."""
    click.echo(redact(text), nl=False)


def render(plans: list[Plan], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(document(plans), indent=2, default=str) + "\n"
    if fmt == "markdown":
        return render_markdown(plans)
    return render_plans(plans, paint())


def paint() -> Paint:
    """Colour only for a person at a terminal, and never when NO_COLOR is set."""
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
        return coloured
    return plain


INSECURE_WARNING = (
    "warning: --insecure: the TLS certificate of Keycloak is not checked; anyone on the "
    "network path can read the admin credentials and change the realm"
)


class Session:
    """One login to Keycloak for every realm a command handles, and its progress log."""

    def __init__(self, opts: dict[str, Any], quiet: bool) -> None:
        if not opts["url"]:
            raise KcconfError("no Keycloak URL: set KCCONF_URL or pass --url")
        self.quiet = quiet
        self.progress = Progress() if quiet else Shown()
        self.api = Api(credentials(opts))
        self.api.login()

    def log(self, message: str) -> None:
        if not self.quiet:
            log(message)

    def plan(self, specs: list[SpecFile], reset_passwords: bool = False) -> list[Plan]:
        plans = []
        for s in specs:
            planned = make_plan(
                RealmAdmin(self.api, s.realm, self.progress), s.desired, reset_passwords, self.log
            )
            if not planned.realm_exists:  # refuse, with file:line, before the realm is created
                raise_if_problems(s.unresolved)
            plans.append(planned)
        return plans

    def apply(self, spec: SpecFile, planned: Plan, full: bool = False) -> None:
        if planned.empty:
            return

        def show(replanned: Plan) -> None:
            emit(f"Created realm {spec.realm}; its contents, planned against it:\n")
            emit(render_plan(replanned))

        admin = RealmAdmin(self.api, spec.realm, self.progress)
        apply_plan(admin, planned, spec.desired, self.log, show, full)
        emit(f"Applied: realm {spec.realm} now matches the spec.\n")

    def check(self, spec: SpecFile) -> bool:
        """Run the spec's assertions; print each result; True when none failed."""
        if not spec.desired.assertions:
            return True
        results = run_checks(RealmAdmin(self.api, spec.realm, self.progress), spec.desired)
        emit("".join(f"{r}\n" for r in results) + f"{check_summary(results)}\n")
        return all(r.passed is not False for r in results)

    def log_requests(self) -> None:
        counts = ", ".join(f"{m} {n}" for m, n in sorted(self.api.counts.items()))
        self.log(f"admin API requests: {counts or 'none'}")


def credentials(opts: dict[str, Any]) -> Credentials:
    """The connection options as credentials; secrets from their option, file or stdin."""
    if opts["password_stdin"] and opts["client_secret_stdin"]:
        raise KcconfError("--password-stdin and --client-secret-stdin cannot both read stdin")
    if opts["insecure"] and opts["ca_bundle"]:
        raise KcconfError("--insecure and --ca-bundle contradict each other: give one")
    if opts["insecure"]:
        log(INSECURE_WARNING)  # on every run, --quiet or not: it must not become normal
    return Credentials(
        url=opts["url"],
        auth_realm=opts["auth_realm"],
        username=opts["username"],
        password=secret(opts, "password", "KCCONF_PASSWORD_FILE"),
        client_id=opts["client_id"],
        client_secret=secret(opts, "client_secret", "KCCONF_CLIENT_SECRET_FILE"),
        tls=Tls(ca_bundle=opts["ca_bundle"], insecure=opts["insecure"]),
        timeout=opts["timeout"],
        workers=opts["concurrency"],
    )


def secret(opts: dict[str, Any], name: str, file_variable: str) -> str | None:
    """A password or client secret from --NAME, --NAME-file or --NAME-stdin: the last two keep
    it out of `ps` and of the shell's history. One trailing newline (echo's) is dropped."""
    flag, label = "--" + name.replace("_", "-"), name.replace("_", " ")
    value, path, stdin = opts[name], opts[f"{name}_file"], opts[f"{name}_stdin"]
    if len([given for given in (value, path, stdin) if given]) > 1:
        raise KcconfError(
            f"give the {label} one way: {flag}, {flag}-file ({file_variable}) or "
            f"{flag}-stdin, not several"
        )
    if path:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise KcconfError(f"cannot read the {label} file {path}: {exc.strerror}") from None
        where = f"the {label} file {path}"
    elif stdin:
        text, where = sys.stdin.read(), f"{flag}: stdin"
    else:
        return str(value) if value else None
    text = text.removesuffix("\n").removesuffix("\r")
    if not text:
        raise KcconfError(f"{where} is empty")
    remember(text, LOGIN_SHORTEST)  # scrubbed from every print, as --password's value is
    return text


def confirm(realms: str) -> None:
    """Ask on a terminal; without one, refuse rather than hang or apply unreviewed."""
    if not sys.stdin.isatty():
        raise KcconfError(
            "not applying: no terminal to confirm on; review the plan and pass --auto-approve"
        )
    answer = click.prompt(f"Apply these changes to realm {realms}? Type yes to apply", default="")
    if answer.strip() != "yes":
        raise KcconfError("not applied: the plan was not approved")
