"""A throwaway OpenLDAP server on loopback, for the user federation tests.

OpenLDAP's `slapd` and `ldapadd` come from the system's packages (scripts/system-deps installs
`slapd` and `ldap-utils`). Each server gets its own slapd.conf, mdb database and free port in a
temporary directory, runs in the foreground in its own process group, and is seeded with an
organisational unit of people and one of groups. Stopping it removes everything.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kcconf.keycloak.sandbox import free_port

SUFFIX = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{SUFFIX}"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
READER_DN = f"cn=keycloak,{SUFFIX}"  # a second account that may bind and read (no ACL limits)
SCHEMAS = ("core", "cosine", "nis", "inetorgperson")
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
READY_TIMEOUT_S = 30.0

# The seeded people: uid -> (given name, surname, mail, employee number, password).
PEOPLE_SEED = {
    "alice": ("Alice", "Archer", "alice@example.org", "1001", "alice-ldap-pw"),
    "bob": ("Bob", "Baker", "bob@example.org", "1002", "bob-ldap-pw"),
    "carol": ("Carol", "Cooper", "carol@example.org", "1003", "carol-ldap-pw"),
}
GROUP_SEED = {"developers": ("alice", "bob"), "operators": ("carol",)}


class SlapdError(Exception):
    """slapd could not be started: the reason, with the end of its log."""


@dataclass(frozen=True)
class Slapd:
    url: str  # ldap://127.0.0.1:PORT
    bind_dn: str
    bind_password: str
    pid: int
    home: str

    @property
    def reader_password(self) -> str:
        return f"{self.bind_password}-reader"


def _config(home: Path, password: str) -> str:
    includes = "".join(f"include {SCHEMA_DIR / name}.schema\n" for name in SCHEMAS)
    return (
        f"{includes}"
        f"pidfile {home / 'slapd.pid'}\n"
        f"modulepath {MODULE_DIR}\n"
        "moduleload back_mdb\n"
        "database mdb\n"
        f'suffix "{SUFFIX}"\n'
        f'rootdn "{ROOT_DN}"\n'
        f"rootpw {password}\n"
        f"directory {home / 'db'}\n"
        "maxsize 67108864\n"
    )


def seed_ldif(reader_password: str) -> str:
    """The base entries, a reader account, the people (with clear-text passwords, which slapd
    binds against) and the groups, as LDIF."""
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example",
        f"dn: {READER_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: keycloak\nuserPassword: {reader_password}",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups",
    ]
    for uid, (given, sn, mail, number, password) in PEOPLE_SEED.items():
        entries.append(
            f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
            f"cn: {given} {sn}\ngivenName: {given}\nsn: {sn}\nmail: {mail}\n"
            f"employeeNumber: {number}\nuserPassword: {password}"
        )
    for name, members in GROUP_SEED.items():
        lines = "".join(f"\nmember: uid={m},{PEOPLE}" for m in members)
        entries.append(f"dn: cn={name},{GROUPS}\nobjectClass: groupOfNames\ncn: {name}{lines}")
    return "\n\n".join(entries) + "\n"


def missing_tools() -> list[str]:
    return [tool for tool in ("slapd", "ldapadd", "ldapsearch") if _which(tool) is None]


def _which(tool: str) -> str | None:
    return shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/usr/bin")


def start(password: str = "ldap-admin-pw") -> Slapd:
    """A seeded slapd on a free loopback port; SlapdError when it cannot run."""
    missing = missing_tools()
    if missing:
        raise SlapdError(f"{', '.join(missing)} not installed (scripts/system-deps installs them)")
    home = Path(tempfile.mkdtemp(prefix="kcconf-slapd-"))
    (home / "db").mkdir()
    (home / "slapd.conf").write_text(_config(home, password))
    url = f"ldap://127.0.0.1:{free_port()}"
    slapd = _which("slapd")
    assert slapd is not None
    with (home / "slapd.log").open("wb") as log:
        # -d keeps slapd in the foreground (it never forks away from its process group).
        proc = subprocess.Popen(
            [slapd, "-f", str(home / "slapd.conf"), "-h", f"{url}/", "-d", "0"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Slapd(url, ROOT_DN, password, proc.pid, str(home))
    try:
        _wait_ready(server, proc)
        ldap_tool(server, "ldapadd", input_text=seed_ldif(server.reader_password))
    except SlapdError:
        stop(server)
        raise
    return server


def ldap_tool(server: Slapd, tool: str, *args: str, input_text: str = "") -> str:
    """Run an ldap-utils tool bound as the root DN; its output, or SlapdError."""
    binary = _which(tool)
    assert binary is not None
    done = subprocess.run(
        [binary, "-x", "-H", server.url, "-D", server.bind_dn, "-w", server.bind_password, *args],
        input=input_text,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0:
        raise SlapdError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _wait_ready(server: Slapd, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SlapdError(f"slapd exited with {proc.returncode}: {_log_tail(server)}")
        try:
            ldap_tool(server, "ldapsearch", "-b", "", "-s", "base", "namingContexts")
            return
        except SlapdError:
            time.sleep(0.2)
    raise SlapdError(f"slapd did not answer within {READY_TIMEOUT_S:.0f} s: {_log_tail(server)}")


def _log_tail(server: Slapd) -> str:
    log = Path(server.home) / "slapd.log"
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


def stop(server: Slapd) -> None:
    """Stop the server's process group and remove its directory."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        for _ in range(50):
            os.kill(server.pid, 0)
            time.sleep(0.1)
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    shutil.rmtree(server.home, ignore_errors=True)
