"""The command line: parse options, call the flow, map errors to exit codes. Nothing else.

Results go to stdout; progress and errors to stderr, so `kcconf plan > plan.txt` stays clean.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, TypeVar

import click

from kcconf.adopt.baseline import stored as stored_baseline
from kcconf.adopt.convert import convert as adopt_convert
from kcconf.adopt.export import export as adopt_export
from kcconf.adopt.write import write as write_adopted
from kcconf.checks.rules import RULES
from kcconf.checks.token_preview import preview, render_preview
from kcconf.cli.session import Session, confirm, emit, log, paint, render
from kcconf.errors import EXIT_BUG, EXIT_CHANGES, EXIT_ERROR, EXIT_OK, KcconfError, SpecError
from kcconf.keycloak import sandbox
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.parallel import DEFAULT_CONCURRENCY, MAX_CONCURRENCY
from kcconf.keycloak.transport import DEFAULT_TIMEOUT
from kcconf.lint.findings import lint_files
from kcconf.model.objects import LOGIN_SHORTEST, remember
from kcconf.output.escape import printable
from kcconf.output.saved import check_current, check_specs, open_saved, save
from kcconf.output.text import render_plans
from kcconf.planning.safety import check_deletes, check_replacements
from kcconf.spec.schema import realm_schema
from kcconf.spec.validate import validate_files
from kcconf.spec.workspace import load_all

F = TypeVar("F", bound=Callable[..., Any])


def sensitive(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A login credential, from its option or its variable: scrubbed from all kcconf prints,
    since a server or proxy may echo the token request (and so the credential) in an error."""
    if value:
        remember(value, LOGIN_SHORTEST)
    return value


def connection_options(func: F) -> F:
    """Connection options, defined once for every command that talks to Keycloak."""
    options = [
        click.option("--url", envvar="KCCONF_URL", help="Keycloak base URL (KCCONF_URL)."),
        click.option(
            "--auth-realm",
            envvar="KCCONF_AUTH_REALM",
            default="master",
            show_default=True,
            help="Realm to log in to.",
        ),
        click.option("--username", envvar="KCCONF_USERNAME", help="Admin user."),
        click.option(
            "--password",
            envvar="KCCONF_PASSWORD",
            callback=sensitive,
            help="Admin user's password (visible in `ps`: prefer --password-file).",
        ),
        *secret_options("password", "the admin user's password"),
        click.option("--client-id", envvar="KCCONF_CLIENT_ID", help="Service-account client."),
        click.option(
            "--client-secret",
            envvar="KCCONF_CLIENT_SECRET",
            callback=sensitive,
            help="Service-account client's secret (prefer --client-secret-file).",
        ),
        *secret_options("client-secret", "the client's secret"),
        click.option(
            "--ca-bundle",
            envvar="KCCONF_CA_BUNDLE",
            type=click.Path(exists=True),
            help="CA certificates (PEM) to check Keycloak's TLS certificate against.",
        ),
        click.option(
            "--insecure",
            is_flag=True,
            help="Do not check Keycloak's TLS certificate (warned about on every run).",
        ),
        click.option(
            "--timeout",
            envvar="KCCONF_TIMEOUT",
            type=click.FloatRange(min=0, min_open=True),
            default=DEFAULT_TIMEOUT,
            show_default=True,
            help="Seconds to wait for each answer from Keycloak.",
        ),
        click.option(
            "--concurrency",
            envvar="KCCONF_CONCURRENCY",
            type=click.IntRange(min=1, max=MAX_CONCURRENCY),
            default=DEFAULT_CONCURRENCY,
            show_default=True,
            help="Admin requests in flight at once, for reads and independent writes.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def secret_options(name: str, what: str) -> list[Callable[[F], F]]:
    """--NAME-file and --NAME-stdin: a secret kept out of `ps` and the shell's history."""
    variable = f"KCCONF_{name.upper().replace('-', '_')}_FILE"
    return [
        click.option(
            f"--{name}-file",
            envvar=variable,
            type=click.Path(dir_okay=False),
            help=f"Read {what} from this file ({variable}).",
        ),
        click.option(f"--{name}-stdin", is_flag=True, help=f"Read {what} from stdin."),
    ]


@click.group()
@click.version_option(package_name="kcconf")
def cli() -> None:
    """Keycloak realm configuration as code: validate, plan and apply YAML realm specs."""


@cli.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def validate(files: tuple[Path, ...]) -> None:
    """Check spec files offline and report every problem, each with file:line:column."""
    problems = validate_files(list(files))
    for problem in problems:
        click.echo(str(problem))
    if problems:
        raise KcconfError(f"{len(problems)} problem(s) in {len(files)} file(s)")
    log(f"{len(files)} file(s) valid")


@cli.command("version")
@connection_options
def version_command(**opts: Any) -> None:
    """Print kcconf's version; with a Keycloak to connect to, the server's version too and
    whether kcconf has measured its impersonation rules."""
    click.echo(f"kcconf {package_version('kcconf')}")
    if not opts["url"]:
        return
    server = str(Session(opts, quiet=True).api.server_info()["systemInfo"]["version"])
    measured = ", ".join(RULES)
    if server in RULES:
        click.echo(f"Keycloak {server} at {opts['url']}: impersonation rules measured")
    else:
        click.echo(
            f"Keycloak {server} at {opts['url']}: no measured impersonation rules "
            f"(kcconf has them for {measured}); `kcconf check` answers UNKNOWN there"
        )


@cli.command()
def schema() -> None:
    """Print the realm spec's JSON Schema (for editors: yaml-language-server and the like)."""
    click.echo(json.dumps(realm_schema(), indent=2))


PATHS = click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
)
REALM = click.option("--realm", help="Only this realm of the specs given.")
QUIET = click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
FORMATS = {"text", "json", "markdown"}


@cli.command()
@PATHS
@REALM
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FORMATS)),
    default="text",
    show_default=True,
    help="How to print the plan.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the plan, for `kcconf apply FILE` to execute exactly.",
)
@QUIET
@connection_options
def plan(
    paths: tuple[Path, ...],
    realm: str | None,
    fmt: str,
    out: Path | None,
    quiet: bool,
    **opts: Any,
) -> None:
    """Show what apply would change. Exit 0 in sync, 2 changes pending, 1 error.

    PATHS are spec files and directories (every *.yaml inside).
    """
    specs = load_all(paths, realm)
    session = Session(opts, quiet)
    plans = session.plan(specs)
    for warning in (w for p in plans for w in p.warnings):
        log(printable(warning))  # names the spec and the realm chose
    emit(render(plans, fmt))
    if out is not None:
        save(out, specs, plans)
        session.log(f"saved the plan to {out}; apply it with: kcconf apply {out}")
    session.log_requests()
    if any(not p.empty for p in plans):
        sys.exit(EXIT_CHANGES)


@cli.command()
@PATHS
@REALM
@connection_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for pipelines).")
@click.option(
    "--allow-deletes",
    is_flag=True,
    help="Apply even when the plan deletes more than the spec's prune.limits allow.",
)
@click.option(
    "--allow-replace",
    is_flag=True,
    help="Apply even when the plan must delete and re-create something Keycloak cannot "
    "change in place (a sub-flow's type).",
)
@click.option(
    "--reset-passwords",
    is_flag=True,
    help="Also set the spec's passwords on users, and its client secrets on identity "
    "providers, that exist already (Keycloak never shows these, so a plan cannot compare them).",
)
@click.option(
    "--verify",
    type=click.Choice(["changed", "full"]),
    default="changed",
    show_default=True,
    help="After applying, read back what was changed, or plan the whole realm again (full).",
)
@QUIET
def apply(
    paths: tuple[Path, ...],
    realm: str | None,
    reset_passwords: bool,
    verify: str,
    allow_deletes: bool,
    allow_replace: bool,
    auto_approve: bool,
    quiet: bool,
    **opts: Any,
) -> None:
    """Make the realms match their specs, then check that they do.

    PATHS are spec files and directories, or one saved plan (kcconf plan --out), which is
    applied exactly or refused if the specs or the realm changed since it was made.
    """
    saved = open_saved(paths[0]) if len(paths) == 1 else None  # None: specs, not a plan
    if saved is not None:
        check_specs(saved)
        paths, auto_approve = tuple(saved.spec_paths), True  # reviewed when it was made
    specs = load_all(paths, realm)
    session = Session(opts, quiet)
    plans = session.plan(specs, reset_passwords)
    if saved is not None:
        check_current(saved, plans)
    emit(render_plans(plans, paint()))
    if any(not p.empty for p in plans):
        for spec, planned in zip(specs, plans, strict=True):
            check_deletes(planned, spec.desired.limits, allow_deletes)
            check_replacements(planned, allow_replace)
        if not auto_approve:
            confirm(", ".join(p.realm for p in plans if not p.empty))
        for spec, planned in zip(specs, plans, strict=True):
            session.apply(spec, planned, full=verify == "full")
    checked = [session.check(spec) for spec in specs]
    session.log_requests()
    if not all(checked):
        raise KcconfError("applied, but some of the spec's token or impersonation checks fail")


@cli.command()
@PATHS
@REALM
@QUIET
@connection_options
def check(paths: tuple[Path, ...], realm: str | None, quiet: bool, **opts: Any) -> None:
    """Check the live realms against their specs' token and impersonation assertions.

    Exit 0 when every check passes (or cannot be judged), 1 when one fails.
    """
    specs = load_all(paths, realm)
    session = Session(opts, quiet)
    checked = [session.check(spec) for spec in specs]
    session.log_requests()
    if not all(checked):
        raise KcconfError("some checks failed")


@cli.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--show-silenced", is_flag=True, help="Also list findings silenced with a reason.")
def lint(files: tuple[Path, ...], show_silenced: bool) -> None:
    """Flag risky realm shapes offline, each with a rule id and a one-line fix.

    Exit 1 when a finding is an error (warnings alone exit 0). Silence one on its object with
    a comment: # kcconf-lint: ignore KC006 -- the reason.
    """
    findings = lint_files(list(files), show_silenced=show_silenced)
    for finding in findings:
        click.echo(str(finding))
    errors = [f for f in findings if f.severity == "error" and f.silenced_reason is None]
    log(f"{len(findings)} finding(s), {len(errors)} error(s) in {len(files)} file(s)")
    if errors:
        sys.exit(EXIT_ERROR)


@cli.command()
@click.option("--realm", required=True, help="The realm.")
@click.option("--client", "client_name", required=True, help="The client's clientId.")
@click.option("--user", "user_name", required=True, help="The user's username.")
@click.option("--scope", default="", help='Extra scopes, space separated: "openid email".')
@click.option("--audience", default="", help="A clientId to mint the token for (Keycloak 26.2+).")
@connection_options
def token(
    realm: str, client_name: str, user_name: str, scope: str, audience: str, **opts: Any
) -> None:
    """Print the access token Keycloak would issue to USER through CLIENT, roles first."""
    session = Session(opts, quiet=True)
    admin = RealmAdmin(session.api, realm, session.progress)
    emit(render_preview(preview(admin, client_name, user_name, scope, audience)))


@cli.command()
@click.option("--realm", required=True, help="The live realm to export.")
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="A file, or a directory to write <realm>.yaml in (default: stdout).",
)
@click.option(
    "--users",
    type=click.Choice(["none", "all"]),
    default="none",
    show_default=True,
    help="Whether to write the realm's users (service accounts belong to their clients).",
)
@click.option("--strict", is_flag=True, help="Fail when part of the realm is not expressible.")
@QUIET
@connection_options
def export(
    realm: str, out: Path | None, users: str, strict: bool, quiet: bool, **opts: Any
) -> None:
    """Write a spec of a live realm: only what differs from a new realm of the server's
    version. Secrets become {env: NAME}; the names are listed on stderr."""
    session = Session(opts, quiet)
    converted, baseline = adopt_export(session.api, realm, users == "all")
    write_adopted(converted, "export", baseline.version, out, emit, session.log, strict)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="A file, or a directory to write <realm>.yaml in (default: stdout).",
)
@click.option("--realm", "rename", help="Name the realm in the spec this (default: the file's).")
@click.option(
    "--keycloak-version",
    default=sandbox.DEFAULT_VERSION,
    show_default=True,
    help="The Keycloak the spec is for: what a new realm of it holds is left out.",
)
@click.option("--users", type=click.Choice(["none", "all"]), default="all", show_default=True)
@click.option("--strict", is_flag=True, help="Fail when part of the file is not expressible.")
def convert(
    file: Path,
    out: Path | None,
    rename: str | None,
    keycloak_version: str,
    users: str,
    strict: bool,
) -> None:
    """Write a spec of a Keycloak realm-export JSON file (any version since 3.4). What kcconf
    cannot express is listed on stderr with its path."""
    try:
        rep = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise KcconfError(f"{file}: not a realm-export JSON file: {exc}") from None
    baseline = stored_baseline(keycloak_version)
    converted = adopt_convert(rep, baseline, rename, users == "all")
    write_adopted(converted, "convert", baseline.version, out, emit, log, strict)


@cli.group("sandbox")
def sandbox_group() -> None:
    """A throwaway local Keycloak (in-memory database) to try specs on."""


@sandbox_group.command("start")
@click.option(
    "--version",
    "version",
    default=sandbox.DEFAULT_VERSION,
    show_default=True,
    envvar="KCCONF_KEYCLOAK_VERSION",
    help="Keycloak version to run.",
)
def sandbox_start(version: str) -> None:
    """Start a sandbox Keycloak and print the variables that point kcconf at it."""
    running = sandbox.load_state()
    if running is None:
        log(f"starting Keycloak {version} (downloaded through Maven on first use)...")
        running = sandbox.start(version)
        sandbox.save_state(running)
    elif running.version != version:
        raise KcconfError(f"a sandbox of Keycloak {running.version} is running; stop it first")
    click.echo(f"export KCCONF_URL={running.url}")
    click.echo(f"export KCCONF_USERNAME={running.admin_user}")
    click.echo(f"export KCCONF_PASSWORD={running.admin_password}")
    log(f"Keycloak {running.version} at {running.url}, log: {running.log}")


@sandbox_group.command("url")
def sandbox_url() -> None:
    """Print the running sandbox's URL."""
    running = sandbox.load_state()
    if running is None:
        raise KcconfError("no sandbox is running; start one with: kcconf sandbox start")
    click.echo(running.url)


@sandbox_group.command("stop")
def sandbox_stop() -> None:
    """Stop the sandbox; its realms are gone with it."""
    running = sandbox.load_state()
    if running is not None:
        sandbox.stop(running)
        log(f"stopped Keycloak {running.version} at {running.url}")
    sandbox.clear_state()


def error_lines(exc: KcconfError) -> list[str]:
    """One line per problem, each printable: names from specs and Keycloak's words may hold
    newlines (a forged extra line) or terminal escape sequences."""
    found = [str(p) for p in exc.problems] if isinstance(exc, SpecError) else [str(exc)]
    return [printable(line) for line in found]


def main(argv: list[str] | None = None) -> None:
    """Entry point: expected errors exit 1 with one line, bugs exit 3 with a report."""
    try:
        cli.main(args=argv, prog_name="kcconf", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:  # usage errors: 1, never 2 ("changes pending")
        exc.show()
        sys.exit(EXIT_ERROR)
    except click.exceptions.Abort:
        log("aborted")
        sys.exit(EXIT_ERROR)
    except KcconfError as exc:
        for line in error_lines(exc):
            log(f"error: {line}")
        sys.exit(EXIT_ERROR)
    except Exception:
        log("kcconf hit an internal error (a bug). Please report it with this output,")
        log("the kcconf and Keycloak versions, and the command you ran (secrets are not shown):")
        log(traceback.format_exc(limit=-8))  # log() scrubs any secret from it
        sys.exit(EXIT_BUG)
    sys.exit(EXIT_OK)
