"""Property-based: broken specs of every sort end in one-line errors naming file:line:column,
exit 1, no traceback, and not one write to the Keycloak under test.

Each generated spec is a valid base spec broken in one way (bad YAML, a wrong type, an unknown
key, a dangling reference, a duplicate, a hostile name, a huge value, deep nesting, aliases) and
is run through `kcconf apply --auto-approve` in this process against the test server. Examples
are derandomized, so CI runs the same ones every time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kcconf.errors import KeycloakError
from kcconf.keycloak.rest import Api
from kcconf.spec.schema import realm_schema
from kcconf.spec.validate import validate_files
from tests.conftest import Target
from tests.helpers import Run

# What they prove does not depend on Keycloak's version: .ci/run runs them on the pinned one.
pytestmark = pytest.mark.fuzz

Kcconf = Callable[..., Run]
Spec = Callable[[str], str | bytes]  # the test's realm name -> the spec file's content

PASSWORD = "SPEC_FUZZ_PASSWORD"


def fuzzed(examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def base(realm: str) -> dict[str, Any]:
    """A valid spec using every kind and reference; each strategy breaks it in one way."""
    return {
        "realm": {"name": realm, "enabled": True, "defaultDefaultClientScopes": ["audit"]},
        "clientScopes": [{"name": "audit", "protocol": "openid-connect"}],
        "roles": [{"name": "auditor", "composites": {"realmRoles": ["offline_access"]}}],
        "clients": [
            {
                "clientId": "app",
                "publicClient": True,
                "redirectUris": ["https://app.example/*"],
                "defaultClientScopes": ["audit"],
                "roles": [{"name": "reader"}],
                "protocolMappers": [
                    {
                        "name": "aud",
                        "protocolMapper": "oidc-audience-mapper",
                        "config": {"included.custom.audience": "app"},
                    }
                ],
            }
        ],
        "groups": [{"name": "staff", "realmRoles": ["auditor"], "subGroups": [{"name": "mods"}]}],
        "users": [
            {
                "username": "bob",
                "password": {"env": PASSWORD},
                "realmRoles": ["auditor"],
                "clientRoles": {"app": ["reader"]},
                "groups": ["/staff/mods"],
            }
        ],
    }


# libyaml's emitter when PyYAML has it: thousands of specs are written.
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=DUMPER, sort_keys=False, allow_unicode=True, width=10_000)


def put(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


def spec(change: Callable[[dict[str, Any]], Any]) -> Spec:
    """A spec: the base, changed in place, dumped."""

    def make(realm: str) -> str:
        data = base(realm)
        change(data)
        return dump(data)

    return make


# --- values --------------------------------------------------------------------------------------

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _json_type(value: Any) -> str:
    for python, name in ((bool, "bool"), (str, "str"), (list, "list"), (dict, "dict")):
        if isinstance(value, python):
            return name
    return "number" if isinstance(value, (int, float)) else "null"


# Where the base holds a value of one JSON type: any value of another type is wrong there.
TYPED: list[tuple[tuple[Any, ...], str]] = [
    (("realm",), "dict"),
    (("realm", "name"), "str"),
    (("realm", "enabled"), "bool"),
    (("realm", "defaultDefaultClientScopes"), "list"),
    (("clientScopes",), "list"),
    (("clientScopes", 0, "name"), "str"),
    (("roles", 0), "dict"),
    (("roles", 0, "composites"), "dict"),
    (("clients", 0, "clientId"), "str"),
    (("clients", 0, "publicClient"), "bool"),
    (("clients", 0, "redirectUris"), "list"),
    (("clients", 0, "roles", 0, "name"), "str"),
    (("clients", 0, "protocolMappers", 0, "config"), "dict"),
    (("groups", 0, "subGroups"), "list"),
    (("users", 0, "username"), "str"),
    (("users", 0, "password"), "dict"),
    (("users", 0, "clientRoles"), "dict"),
    (("users", 0, "groups", 0), "str"),
]


@st.composite
def wrong_types(draw: st.DrawFn) -> Spec:
    path, kind = draw(st.sampled_from(TYPED))
    value = draw(VALUES.filter(lambda v: _json_type(v) != kind))
    return spec(lambda data: put(data, path, value))


def _keys(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        yield from schema.get("properties", {})
        for value in schema.values():
            yield from _keys(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _keys(value)


KNOWN_KEYS = frozenset(_keys(realm_schema()))
CLOSED = [(), ("realm",), ("clients", 0), ("users", 0), ("roles", 0), ("groups", 0, "subGroups", 0)]
CLOSED += [("clientScopes", 0), ("users", 0, "password"), ("clients", 0, "protocolMappers", 0)]


@st.composite
def unknown_keys(draw: st.DrawFn) -> Spec:
    path = draw(st.sampled_from(CLOSED))
    key = draw(st.text(min_size=1, max_size=30).filter(lambda k: k not in KNOWN_KEYS))
    value = draw(VALUES)

    def change(data: dict[str, Any]) -> None:
        target = data
        for part in path:
            target = target[part]
        target[key] = value

    return spec(change)


# --- names ---------------------------------------------------------------------------------------

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
CONTROL = st.sampled_from([chr(c) for c in (*range(0x20), 0x7F, 0x85, 0x9F, 0x2028, 0x2029)])


def _with(char: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Some text with one of `char` in it."""
    return st.builds(lambda a, c, b: a + c + b, TEXT, char, TEXT)


def _longer(than: int) -> st.SearchStrategy[str]:
    return st.builds(lambda n, c: c * n, st.integers(than + 1, than + 400), st.sampled_from("xé€"))


# Names each place refuses (docs/keycloak-facts.md section 14).
HOSTILE_NAMES: list[tuple[tuple[Any, ...], st.SearchStrategy[str]]] = [
    (("roles", 0, "name"), _with(st.just("/")) | st.sampled_from([".", ".."]) | _longer(255)),
    (("clients", 0, "roles", 0, "name"), _with(st.just("/")) | _longer(255)),
    (("users", 0, "realmRoles", 0), _with(st.just("/"))),
    (("clients", 0, "clientId"), _longer(255) | st.sampled_from([" ", "\u3000", " \t "])),
    (("clientScopes", 0, "name"), _with(st.sampled_from(' "\\é\u00a0😀')) | _longer(255)),
    (("groups", 0, "name"), _with(st.just("/")) | _longer(255) | st.just("   ")),
    (
        ("users", 0, "username"),
        _with(st.sampled_from("<>&\"'$%!#?§,;:*~/\\|^=[]{}()` ")) | _longer(255),
    ),
    (
        ("users", 0, "username"),
        st.text(st.characters(codec="ascii", categories=["Ll"]), min_size=1, max_size=2),
    ),
    (("clients", 0, "protocolMappers", 0, "name"), _longer(255)),
    (("roles", 0, "name"), _with(CONTROL)),
    (("users", 0, "username"), _with(CONTROL)),
]


@st.composite
def hostile_names(draw: st.DrawFn) -> Spec:
    path, names = draw(st.sampled_from(HOSTILE_NAMES))
    name = draw(names)
    return spec(lambda data: put(data, path, name))


REALM_NAMES = (
    _with(st.sampled_from(':/?#@!$&()*+,;=[]\\"')).map(lambda n: n.replace("{", "("))
    | st.builds(lambda a, b: f"{a}{{{b or 'x'}}}", TEXT, TEXT)
    | st.sampled_from([".", "..", " ", "\t"])
    | _longer(237)
    | st.integers(40, 90).map(lambda n: "é" * n)
    | _with(CONTROL)
)


@st.composite
def hostile_realm_names(draw: st.DrawFn) -> Spec:
    name = draw(REALM_NAMES)
    return lambda realm: dump(put(base(realm), ("realm", "name"), name))


# --- references and duplicates -------------------------------------------------------------------

GHOST = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12).map(
    lambda n: f"ghost-{n}"
)
DANGLING: list[Callable[[dict[str, Any], str], None]] = [
    lambda d, n: d["users"][0]["realmRoles"].append(n),
    lambda d, n: d["clients"][0]["defaultClientScopes"].append(n),
    lambda d, n: d["users"][0]["groups"].append(f"/{n}"),
    lambda d, n: d["users"][0]["clientRoles"].setdefault("app", []).append(n),
    lambda d, n: d["groups"][0].update(clientRoles={n: ["reader"]}),
    lambda d, n: d["roles"][0]["composites"].update(clientRoles={"realm-management": [n]}),
    lambda d, n: d["realm"]["defaultDefaultClientScopes"].append(n),
]


@st.composite
def dangling_references(draw: st.DrawFn) -> Spec:
    refer = draw(st.sampled_from(DANGLING))
    name = draw(GHOST)
    return spec(lambda data: refer(data, name))


NATURAL = [
    ("clients", "clientId"),
    ("roles", "name"),
    ("users", "username"),
    ("clientScopes", "name"),
]
NATURAL += [("groups", "name")]


@st.composite
def duplicates(draw: st.DrawFn) -> Spec:
    if draw(st.booleans()):  # the same key twice in one YAML mapping
        key = draw(st.sampled_from(list(base("x"))))
        value = draw(VALUES)
        return lambda realm: dump(base(realm)) + dump({key: value})
    key, field = draw(st.sampled_from(NATURAL))
    extra = draw(st.dictionaries(st.sampled_from(["description", "name"]), st.text(max_size=10)))

    def change(data: dict[str, Any]) -> None:
        item = data[key][0]
        copy = {**extra, **{field: item[field].upper() if key == "users" else item[field]}}
        data[key].append(copy)

    return spec(change)


# --- size, depth, aliases, syntax ----------------------------------------------------------------


@st.composite
def huge_values(draw: st.DrawFn) -> Spec:
    size = draw(st.integers(10_000, 100_000))
    which = draw(st.integers(0, 4))
    if which == 0:  # a name far beyond any column
        return spec(lambda data: put(data, ("clients", 0, "clientId"), "c" * size))
    if which == 1:  # a long list of wrong items
        return spec(lambda data: put(data, ("clients", 0, "redirectUris"), [{}] * (size // 50)))
    if which == 2:  # an integer of thousands of digits where a boolean goes
        return lambda realm: dump(base(realm)).replace("enabled: true", "enabled: " + "9" * size)
    if which == 3:  # a huge unknown key
        return spec(lambda data: put(data, ("realm", "k" * size), 1))
    return spec(lambda data: put(data, ("users", 0, "groups"), ["/staff/mods"] * (size // 20)))


def nested(depth: int, mapping: bool) -> str:
    opening, closing = ("{a: ", "}") if mapping else ("[", "]")
    return opening * depth + "x" + closing * depth


@st.composite
def deep_nesting(draw: st.DrawFn) -> Spec:
    depth = draw(st.integers(1, 1200))  # past the bound (64) and libyaml's own (1,000)
    text = nested(depth, draw(st.booleans()))
    where = draw(st.sampled_from(["enabled: true", "publicClient: true", "- /staff/mods"]))
    replacement = where.split(":")[0] + ": " + text if ":" in where else f"- {text}"
    return lambda realm: dump(base(realm)).replace(where, replacement, 1)


@st.composite
def aliases(draw: st.DrawFn) -> Spec:
    which = draw(st.integers(0, 3))
    if which == 0:  # a bomb: fan-out ** levels far past the bound
        fan = draw(st.integers(4, 20))
        levels = draw(st.integers(2, 12).filter(lambda n: fan**n > 200_000))
        bomb = ["b0: &b0 lol"]
        bomb += [f"b{n}: &b{n} [" + ", ".join([f"*b{n - 1}"] * fan) + "]" for n in range(1, levels)]
        return lambda realm: dump(base(realm)) + "\n".join(bomb) + "\n"
    if which == 1:  # an alias to nothing
        return lambda realm: dump(base(realm)).replace("- auditor", "- *nothing", 1)
    if which == 2:  # an alias inside its own anchor
        return lambda realm: dump(base(realm)).replace("subGroups:", "subGroups: &s [*s]", 1)
    count = draw(st.integers(10_001, 12_000))  # more aliases than the bound
    items = ", ".join(["*r"] * count)
    return lambda realm: dump(base(realm)).replace(
        "- auditor", f"- &r auditor\n  extra: [{items}]", 1
    )


BREAKERS = [
    "  - [unclosed, list\n",
    "x: 'unterminated\n",
    "\tindented: with a tab\n",
    "a: b: c\n",
    "--- \nsecond: document\n",
    "!!python/object/apply:os.system [echo]\n",
    "key: !!binary '%%%'\n",
    "? [complex, key]\n: value\n",
    "%YAML 9.9\n---\n",
    "@reserved\n",
    "x: {a: 1\n",
    "- &a one\n- &a two\n",
]


@st.composite
def bad_yaml(draw: st.DrawFn) -> Spec:
    which = draw(st.integers(0, 2))
    if which == 0:  # any text at all
        text = draw(st.text(max_size=300))
        return lambda realm: text
    if which == 1:  # any bytes at all
        data = draw(st.binary(max_size=300))
        return lambda realm: data
    breaker = draw(st.sampled_from(BREAKERS))
    line = draw(st.integers(0, 60))

    def make(realm: str) -> str:
        lines = dump(base(realm)).splitlines(keepends=True)
        at = min(line, len(lines))
        return "".join([*lines[:at], breaker, *lines[at:]])

    return make


# --- running them --------------------------------------------------------------------------------


class Target_:
    """Runs specs through apply against the test server and checks what must hold."""

    def __init__(self, kcconf: Kcconf, keycloak: Target, realm: str, tmp_path: Path) -> None:
        self.kcconf = kcconf
        self.api: Api = keycloak.api()
        self.realm = realm
        self.path = tmp_path / "spec.yaml"
        self.runs = 0
        self.realms_before = self.realms()

    def realms(self) -> set[str]:
        return {r["realm"] for r in self.api.get("")}

    def apply(self, make: Spec, *extra: Path) -> Run:
        content = make(self.realm)
        if isinstance(content, bytes):
            self.path.write_bytes(content)
        else:
            self.path.write_text(content, encoding="utf-8")
        result = self.kcconf("apply", "--auto-approve", str(self.path), *map(str, extra))
        self.runs += 1
        self.check(result, content)
        return result

    def check(self, result: Run, content: str | bytes) -> None:
        what = f"for spec:\n{content[:2000]!r}\n{result}"
        assert (result.code, result.out) == (1, ""), what
        assert "Traceback" not in result.err and "internal error" not in result.err, what
        errors = [line for line in result.err.splitlines() if line.startswith("error: ")]
        assert errors, what
        at = re.compile(rf"error: {re.escape(str(self.path.parent))}/[\w.]+:\d+:\d+: ")
        assert all(at.match(line) for line in errors), what
        requests = [ln for ln in result.err.splitlines() if ln.startswith("admin API requests")]
        assert all(set(re.findall(r"[A-Z]+(?= \d)", ln)) <= {"GET"} for ln in requests), what
        assert not self._exists(), what

    def _exists(self) -> bool:
        try:
            self.api.get(self.realm)
        except KeycloakError as exc:
            assert exc.status == 404, exc
            return False
        return True

    def done(self, at_least: int) -> None:
        assert self.runs >= at_least
        assert self.realms() == self.realms_before  # nothing made, under any name


@pytest.fixture
def target(
    kcconf: Kcconf, keycloak: Target, realm: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Target_:
    monkeypatch.setenv(PASSWORD, "canary-fuzz-password")
    return Target_(kcconf, keycloak, realm, tmp_path)


def test_the_base_spec_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """So whatever a strategy changes is what breaks it."""
    monkeypatch.setenv(PASSWORD, "canary-fuzz-password")
    path = tmp_path / "spec.yaml"
    path.write_text(dump(base("fuzz")), encoding="utf-8")
    assert validate_files([path]) == []


# Examples per strategy: 2,040 in all with the two tests below. Dangling references cost a login
# and a read each (the realm must be found absent), so they get fewer.
STRATEGIES = [
    ("bad YAML", bad_yaml(), 330),
    ("wrong types", wrong_types(), 290),
    ("unknown keys", unknown_keys(), 240),
    ("duplicates", duplicates(), 200),
    ("hostile names", hostile_names(), 340),
    ("hostile realm names", hostile_realm_names(), 200),
    ("huge values", huge_values(), 50),
    ("deep nesting", deep_nesting(), 170),
    ("aliases", aliases(), 150),
]


@pytest.mark.parametrize(
    ("strategy", "examples"), [s[1:] for s in STRATEGIES], ids=[s[0] for s in STRATEGIES]
)
def test_broken_specs_end_in_one_line_errors_and_write_nothing(
    target: Target_, strategy: st.SearchStrategy[Spec], examples: int
) -> None:
    @fuzzed(examples)
    @given(strategy)
    def run(make: Spec) -> None:
        target.apply(make)

    run()
    target.done(examples)


def test_dangling_references_are_refused_before_the_realm_is_made(target: Target_) -> None:
    @fuzzed(30)
    @given(dangling_references())
    def run(make: Spec) -> None:
        target.apply(make)

    run()
    target.done(30)


def test_a_realm_in_two_files_is_refused(target: Target_) -> None:
    other = target.path.parent / "other.yaml"

    @fuzzed(40)
    @given(st.sampled_from([*base("x")]), VALUES)
    def run(key: str, value: Any) -> None:
        other.write_text(dump({"realm": {"name": target.realm}, key: value}), encoding="utf-8")
        target.apply(lambda realm: dump(base(realm)), other)

    run()
    target.done(40)
