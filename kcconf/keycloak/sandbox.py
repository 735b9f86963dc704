"""A throwaway Keycloak on loopback, for tests, the demo and users trying a spec.

The server distribution is the Maven artifact org.keycloak:keycloak-quarkus-dist (zip). It is
fetched through Maven, so the machine's Maven settings (mirrors, proxies) apply, and unpacked once
into a cache. Each server runs `start-dev` with an in-memory database, so stopping it forgets all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from kcconf.errors import KcconfError
from kcconf.keycloak.versions import version_tuple

DEFAULT_VERSION = "26.5.6"
# Legacy token exchange (requested_subject) needs FGAP v1; the unversioned name picks v2 on 26.2+.
FEATURES = "token-exchange,admin-fine-grained-authz:v1"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin"
READY_TIMEOUT_S = 240.0


@dataclass(frozen=True)
class Server:
    """A running sandbox Keycloak: enough to reach it and to stop it."""

    url: str
    version: str
    pid: int
    log: str
    admin_user: str = ADMIN_USER
    admin_password: str = ADMIN_PASSWORD


def cache_dir() -> Path:
    base = os.environ.get("KCCONF_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kcconf"
    )
    return Path(base)


def distribution(version: str) -> Path:
    """The unpacked distribution of `version`, downloaded through Maven on first use."""
    home = cache_dir() / "keycloak" / version
    marker = home / f"keycloak-{version}" / "bin" / "kc.sh"
    if marker.exists():
        return marker.parent.parent
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=home) as tmp:
        archive = _maven_fetch(version, Path(tmp))
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)
        unpacked = Path(tmp) / f"keycloak-{version}"
        for script in (unpacked / "bin").glob("*.sh"):
            script.chmod(0o755)
        # Rename is atomic, so a crash mid-unpack never leaves a half distribution in the cache.
        unpacked.rename(marker.parent.parent)
    return marker.parent.parent


def _maven_fetch(version: str, into: Path) -> Path:
    if shutil.which("mvn") is None:
        raise KcconfError("Maven (mvn) is needed to download Keycloak: install it")
    artifact = f"org.keycloak:keycloak-quarkus-dist:{version}:zip"
    cmd = [
        "mvn",
        "-q",
        "-B",
        "dependency:copy",
        f"-Dartifact={artifact}",
        f"-DoutputDirectory={into}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=into)
    archive = into / f"keycloak-quarkus-dist-{version}.zip"
    if done.returncode != 0 or not archive.exists():
        raise KcconfError(f"could not download {artifact} through Maven: {_maven_cause(done)}")
    return archive


def _maven_cause(done: subprocess.CompletedProcess[str]) -> str:
    """Maven's first error line (the cause), without its colour codes and help links."""
    lines = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr).splitlines()
    errors = [ln.removeprefix("[ERROR]").strip() for ln in lines if ln.startswith("[ERROR]")]
    return next((e for e in errors if e), f"mvn exited with code {done.returncode}")


def java_home(version: str) -> Path | None:
    """The newest installed JDK this Keycloak version supports (Java 25 only from 26.6 on).

    KCCONF_JAVA_HOME overrides; None means the default `java` on PATH.
    """
    if os.environ.get("KCCONF_JAVA_HOME"):
        return Path(os.environ["KCCONF_JAVA_HOME"])
    supported = [25, 21, 17] if version_tuple(version) >= (26, 6) else [21, 17]
    found = _installed_jdks()
    for major in supported:
        if major in found:
            return found[major]
    return None


def _installed_jdks() -> dict[int, Path]:
    jdks: dict[int, Path] = {}
    root = Path("/usr/lib/jvm")
    for home in sorted(root.glob("*")) if root.exists() else []:
        release = home / "release"
        if not (home / "bin" / "java").exists() or not release.exists():
            continue
        for line in release.read_text().splitlines():
            if line.startswith("JAVA_VERSION="):
                major = line.split("=", 1)[1].strip('"').split(".")[0]
                if major.isdigit():
                    jdks.setdefault(int(major), home)
    return jdks


def _variant(dist: Path, features: str) -> Path:
    """A copy of the distribution for other features: start-dev rebuilds the distribution's
    files when its build options change, which must not happen under a running server."""
    tag = hashlib.sha256(features.encode()).hexdigest()[:10]
    target = dist.parent / "variants" / tag / dist.name
    if not target.exists():
        tmp = target.parent / f".{dist.name}.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(dist, tmp, symlinks=True)
        tmp.rename(target)
    return target


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(version: str, admin_password: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        KC_BOOTSTRAP_ADMIN_USERNAME=ADMIN_USER,
        KC_BOOTSTRAP_ADMIN_PASSWORD=admin_password,
        KEYCLOAK_ADMIN=ADMIN_USER,  # the variable names before 26
        KEYCLOAK_ADMIN_PASSWORD=admin_password,
    )
    home = java_home(version)
    if home is not None:
        env["JAVA_HOME"] = str(home)
        env["PATH"] = f"{home / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        if _jdk_major(home) >= 24:
            # Without it worker threads die with IllegalAccessError on JDK 24+
            # (docs/keycloak-facts.md 1.8).
            env["JAVA_OPTS_APPEND"] = "--add-opens java.base/java.lang=ALL-UNNAMED"
    return env


def _jdk_major(home: Path) -> int:
    for major, path in _installed_jdks().items():
        if path == home:
            return major
    return 0


def start(
    version: str = DEFAULT_VERSION,
    log_dir: Path | None = None,
    features: str = FEATURES,
    admin_password: str = ADMIN_PASSWORD,
) -> Server:
    """Start a server on free loopback ports and return once it answers.

    `features` is Keycloak's --features value; "" starts it with none beyond the defaults.
    `admin_password` is the bootstrap admin's (tests plant a canary there).
    """
    dist = distribution(version)
    if features != FEATURES:
        dist = _variant(dist, features)
    port, management = free_port(), free_port()
    log_dir = log_dir or cache_dir() / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"keycloak-{version}-{port}.log"
    cmd = [
        str(dist / "bin" / "kc.sh"),
        "start-dev",
        "--db=dev-mem",
        "--http-host=127.0.0.1",
        f"--http-port={port}",
    ]
    if features:
        cmd.append(f"--features={features}")
    if version_tuple(version) >= (25,):
        cmd.append(f"--http-management-port={management}")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_server_env(version, admin_password),
            start_new_session=True,  # its own process group, so stop() ends the JVM too
        )
    server = Server(
        url=f"http://127.0.0.1:{port}",
        version=version,
        pid=proc.pid,
        log=str(log),
        admin_password=admin_password,
    )
    try:
        wait_ready(server.url, proc)
    except BaseException:
        stop(server)
        raise
    return server


def wait_ready(url: str, proc: subprocess.Popen[bytes] | None = None) -> None:
    probe = f"{url}/realms/master/.well-known/openid-configuration"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise KcconfError(f"Keycloak exited with code {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(probe, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise KcconfError(f"Keycloak at {url} did not answer within {READY_TIMEOUT_S:.0f} s")


def stop(server: Server) -> None:
    """SIGTERM the server's process group, then SIGKILL it if it lingers."""
    try:
        pgid = os.getpgid(server.pid)
    except ProcessLookupError:
        return
    os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not _alive(server.pid):
            return
        time.sleep(0.3)
    os.killpg(pgid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass  # not our child (a sandbox started by another kcconf process)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def state_file() -> Path:
    """Where `kcconf sandbox start` records the running server (KCCONF_SANDBOX_STATE overrides)."""
    override = os.environ.get("KCCONF_SANDBOX_STATE")
    return Path(override) if override else cache_dir() / "sandbox.json"


def save_state(server: Server) -> None:
    state_file().parent.mkdir(parents=True, exist_ok=True)
    state_file().write_text(json.dumps(asdict(server), indent=2))


def load_state() -> Server | None:
    try:
        server = Server(**json.loads(state_file().read_text()))
    except (OSError, ValueError, TypeError):
        return None
    # A hand-edited or damaged file must never make stop() signal kcconf's own process group.
    if not isinstance(server.pid, int) or isinstance(server.pid, bool) or server.pid <= 1:
        return None
    return server if _alive(server.pid) else None


def clear_state() -> None:
    state_file().unlink(missing_ok=True)
