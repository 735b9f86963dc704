"""The command line: parse options, call the flow, map errors to exit codes. Nothing else.

Results go to stdout; progress and errors to stderr, so `kcconf plan > plan.txt` stays clean.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from kcconf import sandbox
from kcconf.api import Api, Credentials
from kcconf.apply import apply_plan
from kcconf.errors import EXIT_BUG, EXIT_CHANGES, EXIT_ERROR, EXIT_OK, KcconfError
from kcconf.index import Index
from kcconf.plan import Plan, make_plan
from kcconf.render import render_plan
from kcconf.spec import load_spec
from kcconf.validate import validate_files

F = TypeVar("F", bound=Callable[..., Any])

SPEC = click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))


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
        click.option("--password", envvar="KCCONF_PASSWORD", help="Admin user's password."),
        click.option("--client-id", envvar="KCCONF_CLIENT_ID", help="Service-account client."),
        click.option(
            "--client-secret",
            envvar="KCCONF_CLIENT_SECRET",
            help="Service-account client's secret.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def log(message: str) -> None:
    click.echo(message, err=True)


def _index(opts: dict[str, Any], realm: str) -> Index:
    if not opts["url"]:
        raise KcconfError("no Keycloak URL: set KCCONF_URL or pass --url")
    creds = Credentials(
        url=opts["url"],
        auth_realm=opts["auth_realm"],
        username=opts["username"],
        password=opts["password"],
        client_id=opts["client_id"],
        client_secret=opts["client_secret"],
    )
    return Index(Api(creds), realm)


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


@cli.command()
@SPEC
@connection_options
def plan(spec: Path, **opts: Any) -> None:
    """Show what apply would change. Exit 0 in sync, 2 changes pending, 1 error."""
    desired = load_spec(spec)
    index = _index(opts, desired.realm)
    result = make_plan(index, desired)
    click.echo(render_plan(result), nl=False)
    log(_requests(index))
    if not result.empty:
        sys.exit(EXIT_CHANGES)


@cli.command()
@SPEC
@connection_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for pipelines).")
@click.option(
    "--allow-deletes",
    is_flag=True,
    help="Apply even when the plan deletes more than the spec's prune.limits allow.",
)
@click.option(
    "--reset-passwords",
    is_flag=True,
    help="Also set the spec's passwords on users that exist already.",
)
def apply(
    spec: Path, reset_passwords: bool, allow_deletes: bool, auto_approve: bool, **opts: Any
) -> None:
    """Make the realm match the spec, then check that it does."""
    desired = load_spec(spec)
    index = _index(opts, desired.realm)
    first = make_plan(index, desired, reset_passwords=reset_passwords)
    click.echo(render_plan(first), nl=False)
    if not first.empty:
        if not auto_approve:
            confirm(desired.realm)

        def show(replanned: Plan) -> None:
            click.echo(f"Created realm {desired.realm}; its contents, planned against it:")
            click.echo(render_plan(replanned), nl=False)

        apply_plan(index, first, desired, log, show, allow_deletes)
        click.echo(f"Applied: realm {desired.realm} now matches the spec.")
    log(_requests(index))


def confirm(realm: str) -> None:
    """Ask on a terminal; without one, refuse rather than hang or apply unreviewed."""
    if not sys.stdin.isatty():
        raise KcconfError(
            "not applying: no terminal to confirm on; review the plan and pass --auto-approve"
        )
    answer = click.prompt(f"Apply these changes to realm {realm}? Type yes to apply", default="")
    if answer.strip() != "yes":
        raise KcconfError("not applied: the plan was not approved")


def _requests(index: Index) -> str:
    counts = ", ".join(f"{m} {n}" for m, n in sorted(index.api.counts.items()))
    return f"admin API requests: {counts or 'none'}"


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
        for line in str(exc).splitlines():
            log(f"error: {line}")
        sys.exit(EXIT_ERROR)
    except Exception:
        log("kcconf hit an internal error (a bug). Please report it with this output,")
        log("the kcconf and Keycloak versions, and the command you ran (secrets are not shown):")
        log(traceback.format_exc(limit=-8))
        sys.exit(EXIT_BUG)
    sys.exit(EXIT_OK)
