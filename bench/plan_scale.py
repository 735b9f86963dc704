"""How long `kcconf plan` takes, and how many admin requests it sends, for a large realm.

Seeds a realm of N clients and M users through Keycloak's partial import (fast, and not what is
measured), writes the spec that declares exactly them, then times `kcconf plan` twice (in sync,
so it reads everything and changes nothing; the first read also fills Keycloak's caches) and one
`kcconf apply` that has nothing to do. Each figure includes loading and validating the spec.

    python bench/plan_scale.py --clients 1000 --users 10000        # on a sandbox it starts
    KCCONF_URL=... KCCONF_USERNAME=... KCCONF_PASSWORD=... python bench/plan_scale.py

Prints one line per figure. Compare: keycloak-config-cli re-imports an unchanged realm of 1,000
clients and 10,000 users in about 15 minutes (measured by the kcconf team).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import tempfile
import time
from pathlib import Path

from kcconf.cli import main
from kcconf.errors import KeycloakError
from kcconf.keycloak import sandbox
from kcconf.keycloak.rest import Api, Credentials

REALM = "bench-scale"


def seed(api: Api, clients: int, users: int) -> None:
    with contextlib.suppress(KeycloakError):  # absent is fine
        api.delete(REALM)
    api.post("", {"realm": REALM, "enabled": True})
    for start in range(0, max(clients, users), 1000):
        body = {
            "ifResourceExists": "SKIP",
            "clients": [
                {"clientId": f"app-{i:05d}", "publicClient": True}
                for i in range(start, min(start + 1000, clients))
            ],
            "users": [
                {
                    "username": f"user-{i:05d}",
                    "enabled": True,
                    "email": f"u{i}@example.com",
                    "firstName": "U",
                    "lastName": f"{i}",
                }
                for i in range(start, min(start + 1000, users))
            ],
        }
        api.post(f"{REALM}/partialImport", body)


def spec_text(clients: int, users: int) -> str:
    lines = [f"realm:\n  name: {REALM}\n  enabled: true\nclients:\n"]
    lines += [f"  - clientId: app-{i:05d}\n    publicClient: true\n" for i in range(clients)]
    lines.append("users:\n")
    lines += [
        f"  - username: user-{i:05d}\n    enabled: true\n    email: u{i}@example.com\n"
        f"    firstName: U\n    lastName: '{i}'\n"
        for i in range(users)
    ]
    return "".join(lines)


def timed(*args: str) -> tuple[float, int, str]:
    """Seconds, exit code and kcconf's own count of admin API requests for one command."""
    err = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    seconds = time.perf_counter() - start
    counted = [ln for ln in err.getvalue().splitlines() if ln.startswith("admin API requests")]
    return seconds, code, counted[-1] if counted else err.getvalue().strip()[-300:]


def run(url: str, user: str, password: str, clients: int, users: int) -> None:
    api = Api(Credentials(url, username=user, password=password))
    started = time.perf_counter()
    seed(api, clients, users)
    print(
        f"seeded {clients} clients and {users} users in {time.perf_counter() - started:.1f} s "
        "(partial import; not part of the figures)"
    )
    os.environ.update(KCCONF_URL=url, KCCONF_USERNAME=user, KCCONF_PASSWORD=password)
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "scale.yaml"
        spec.write_text(spec_text(clients, users))
        runs = (
            ("plan (in sync, first after the seed)", ("plan", str(spec))),
            ("plan (in sync, again)", ("plan", str(spec))),
            ("apply (nothing to do)", ("apply", "--auto-approve", str(spec))),
        )
        for what, args in runs:
            seconds, code, requests = timed(*args)
            print(f"kcconf {what}: {seconds:.1f} s, exit {code}, {requests}")
    api.delete(REALM)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--users", type=int, default=10000)
    parser.add_argument("--version", default=sandbox.DEFAULT_VERSION)
    return parser.parse_args()


if __name__ == "__main__":
    args = parse()
    if os.environ.get("KCCONF_URL"):
        run(
            os.environ["KCCONF_URL"],
            os.environ.get("KCCONF_USERNAME", "admin"),
            os.environ.get("KCCONF_PASSWORD", "admin"),
            args.clients,
            args.users,
        )
    else:
        server = sandbox.start(args.version)
        try:
            run(server.url, server.admin_user, server.admin_password, args.clients, args.users)
        finally:
            sandbox.stop(server)
