"""Key providers (`keys`, top level, by name): the realm's components of provider type
`org.keycloak.keys.KeyProvider` that hold the keys tokens are signed and encrypted with.

Keycloak keeps a component's config as lists of strings; a spec writes scalars (`priority:
200`, `active: false`), compared as the one string Keycloak keeps. `priority`, `active`,
`enabled` and `algorithm` are written on the item itself, the provider's other settings under
`config`, one field each, so a changed key is one plan line. Secret settings (an imported
`privateKey`, a keystore password) come only from the environment: Keycloak answers them masked,
so they are sent on create and on a change of another setting is kept as Keycloak has it.

Keycloak generates keys in every new realm (`rsa-generated`, `rsa-enc-generated`,
`hmac-generated-hs512`, `aes-generated`): a spec may declare them by name to change them, and
`prune: {keys: all}` may delete them, as any undeclared key (no key carries kcconf's marker, so
`created` deletes none). A plan that would leave the realm without an active, enabled key for
its default signature algorithm is refused before anything is written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kcconf.errors import KcconfError
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.rest import seg
from kcconf.kinds import base
from kcconf.model.changes import Action, Change
from kcconf.model.objects import Address, Obj, Secret, State, text
from kcconf.spec.checker import SpecChecker

KEY = "keys"
KEY_PROVIDER = "key-provider"
REALM = "realm"
PROVIDER_TYPE = "org.keycloak.keys.KeyProvider"
PROVIDERS = ep.components(PROVIDER_TYPE)
# Settings written on the item itself rather than under `config`.
OWN = ("priority", "active", "enabled", "algorithm")
FLAGS = ("active", "enabled")  # true when Keycloak's config leaves them out
# The algorithm a provider signs with when its config names none (docs/keycloak-facts.md 21.2).
CURVES = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
DEFAULT_ALGORITHM = {
    "rsa-generated": "RS256",
    "rsa": "RS256",
    "java-keystore": "RS256",
    "hmac-generated": "HS256",
}


def _typed(key: str, value: Any) -> Any:
    """A setting as the spec writes it: `active`, `enabled` true or false, `priority` a number,
    the rest the string Keycloak keeps, so a plan reads `active: true -> false`."""
    if key in FLAGS:
        return text(value) == "true"
    if key == "priority" and text(value).lstrip("-").isdigit():
        return int(text(value))
    return text(value)


def _field(key: str) -> str:
    return key if key in OWN else f"config.{key}"


def _config_key(field: str) -> str | None:
    """The component config key a field stands for (None: not a config field)."""
    if field in OWN:
        return field
    head, dot, key = field.partition(".")
    return key if dot and head == "config" else None


def _live_fields(rep: Mapping[str, Any]) -> dict[str, Any]:
    """A component's fields: its provider, and each config key's value (one string, or the
    list when Keycloak keeps several)."""
    fields: dict[str, Any] = {"providerId": rep.get("providerId")} | dict.fromkeys(FLAGS, True)
    for key, values in (rep.get("config") or {}).items():
        if isinstance(values, list) and len(values) == 1:
            fields[_field(key)] = _typed(key, values[0])
        else:
            fields[_field(key)] = values
    return fields


def _signs_with(fields: Mapping[str, Any]) -> str | None:
    """The algorithm a provider with these fields signs with, when it is active and enabled."""
    if not all(fields.get(flag, True) is True for flag in FLAGS):
        return None
    if fields.get("algorithm"):
        return str(fields["algorithm"])
    provider = str(fields.get("providerId"))
    if provider == "ecdsa-generated":
        return CURVES.get(str(fields.get("config.ecdsaEllipticCurveKey", "P-256")))
    return DEFAULT_ALGORITHM.get(provider)


def _default_algorithm(desired: State, live: State) -> str:
    """The realm's default signature algorithm as the plan leaves it (RS256 when unset)."""
    realm = Address(REALM, desired.realm)
    for state in (desired, live):
        obj = state.objects.get(realm)
        if obj is not None and obj.fields.get("defaultSignatureAlgorithm"):
            return str(obj.fields["defaultSignatureAlgorithm"])
    return "RS256"


def _plain(value: Any) -> str:
    return value.reveal() if isinstance(value, Secret) else text(value)


class KeyProviderKind(base.Kind):
    name = KEY_PROVIDER
    spec_key = KEY
    label = "key provider"
    reading = "key providers"
    after = ("realm",)
    optional = True
    endpoint = ep.COMPONENTS  # the shared re-read and delete, by id; its update is its own

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        if KEY not in ctx.doc.data:
            return
        ctx.containers[self.name] = {ctx.realm}  # `keys:` written: its undeclared may be pruned
        for path, spec in base.items(ctx.doc.data, KEY):
            fields: dict[str, Any] = {"providerId": spec["providerId"]}
            settings = {**(spec.get("config") or {}), **base.pick(spec, OWN)}
            for key, value in settings.items():
                if isinstance(value, Mapping):  # {env: NAME}: a secret setting
                    where = (*path, key) if key in OWN else (*path, "config", key)
                    secret = ctx.secret(where, value)
                    if secret is not None:
                        fields[_field(key)] = secret
                else:
                    fields[_field(key)] = _typed(key, value)
            yield Obj(self.address(str(spec["name"])), fields)

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        reps = PROVIDERS.list(admin)
        twice = sorted(n for n, c in Counter(str(r["name"]) for r in reps).items() if c > 1)
        declared = [n for n in twice if self.address(n) in desired.objects]
        if declared:
            raise KcconfError(
                f"realm {admin.realm!r} has several key providers named {', '.join(declared)}: "
                "rename or delete all but one in Keycloak before a spec can manage them by name"
            )
        for rep in reps:
            address = self.address(str(rep["name"]))
            want = desired.objects.get(address)
            if want is not None and want.fields["providerId"] != rep.get("providerId"):
                raise KcconfError(
                    f"{address} is a {rep.get('providerId')} provider in Keycloak, not "
                    f"{want.fields['providerId']}: a provider cannot change; give the new key "
                    "another name (see key rotation in docs/spec-format.md)"
                )
            yield self.live(address, rep)

    def live_fields(self, rep: Mapping[str, Any]) -> dict[str, Any]:
        return _live_fields(rep)

    def create(self, admin: RealmAdmin, change: Change) -> None:
        fields = change.target.fields
        body = {
            "name": change.address.name,
            "providerId": fields["providerId"],
            "providerType": PROVIDER_TYPE,
            "config": self._config({}, fields),
        }
        ep.COMPONENTS.create(admin, body)

    def update(self, admin: RealmAdmin, change: Change) -> None:
        """The live component with the changed settings written in; masked secrets go back
        masked, which Keycloak reads as "keep" (docs/keycloak-facts.md 21.1)."""
        raw = dict(change.live_raw)
        changed = {f.name: f.new for f in change.fields}
        raw["config"] = self._config(raw.get("config") or {}, changed)
        ep.COMPONENTS.update(admin, seg(str(raw["id"])), raw)

    @staticmethod
    def _config(config: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(config)
        for field, value in fields.items():
            key = _config_key(field)
            if key is not None:
                values = value if isinstance(value, list) else [value]
                out[key] = [_plain(v) for v in values]
        return out

    def refuse(self, desired: State, live: State, changes: Sequence[Change]) -> str:
        """A realm must keep a key that signs with its default signature algorithm: without
        one it issues no tokens its clients accept."""
        kinds = (self.name, REALM)
        if not self.involved(desired) or not any(c.address.kind in kinds for c in changes):
            return ""
        algorithm = _default_algorithm(desired, live)
        if any(_signs_with(fields) == algorithm for fields in self._after(live, changes).values()):
            return ""
        return (
            "it would leave no active, enabled key provider for the realm's default signature "
            f"algorithm {algorithm}, and the realm could sign no tokens: keep one (or add the "
            "new one first), see key rotation in docs/spec-format.md"
        )

    def _after(self, live: State, changes: Sequence[Change]) -> dict[Address, Mapping[str, Any]]:
        """Every key provider's fields as the plan leaves them."""
        keys = {a: o.fields for a, o in live.of_kind(self.name).items()}
        for change in changes:
            if change.address.kind != self.name:
                continue
            if change.action is Action.DELETE:
                keys.pop(change.address, None)
            else:
                now = dict(keys.get(change.address, {}))
                keys[change.address] = now | {f.name: f.new for f in change.fields}
        return keys

    def check(self, checker: SpecChecker) -> None:
        checker.unique((KEY,), "name", self.noun)

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        return base.declared_names(data, KEY, "name")


KINDS = (KeyProviderKind(),)
