"""An export's key providers (`components["org.keycloak.keys.KeyProvider"]`) as `keys` items.

A generated key of a new realm (`rsa-generated`, ...: same name and provider) is not the realm's
own configuration: it is written only as far as its settings differ from the new realm's. The
key material of a generated provider (its private key, certificate, secret and kid) is
Keycloak's to generate, never configuration: a provider the new realm lacks is created and gets
new material, which the report says. An imported key's secret settings become `{env: NAME}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kcconf.adopt.items import Item, Rep
from kcconf.adopt.report import Report

PROVIDER_TYPE = "org.keycloak.keys.KeyProvider"
OWN = ("priority", "active", "enabled", "algorithm")  # written on the item, not under config
# What a generated provider makes itself (keyUse: stamped by older versions on generated RSA).
MATERIAL = frozenset({"privateKey", "certificate", "secret", "kid", "keyUse"})
SECRETS = frozenset({"privateKey", "secret", "keystorePassword", "keyPassword"})


def providers(rep: Rep) -> list[Rep]:
    return list((rep.get("components") or {}).get(PROVIDER_TYPE) or [])


def _generated(component: Rep) -> bool:
    return str(component.get("providerId")).endswith("-generated")


def _settings(component: Rep) -> dict[str, Any]:
    """Its config as the spec writes it: one value per key, typed where the spec types it."""
    out: dict[str, Any] = {}
    for key, values in (component.get("config") or {}).items():
        if _generated(component) and key in MATERIAL:
            continue
        value = values[0] if isinstance(values, list) and len(values) == 1 else values
        if key in ("active", "enabled"):
            value = str(value).lower() == "true"
        elif key == "priority" and str(value).lstrip("-").isdigit():
            value = int(str(value))
        out[key] = value
    return out


def _item(component: Rep, settings: Mapping[str, Any], report: Report) -> Item:
    name = str(component["name"])
    path = f"components[{PROVIDER_TYPE}][{name}]"
    item: Item = {"name": name, "providerId": component["providerId"]}
    for key, value in sorted(settings.items()):
        if isinstance(value, list):
            report.skip(f"{path}.config.{key}", "a setting of several values: not expressible")
            continue
        if key in SECRETS:
            value = report.secret(f"{key} of key provider {name}", "key", name, key)
        if key in OWN:
            item[key] = value
        else:
            item.setdefault("config", {})[key] = value
    return item


def keys(rep: Rep, base: Rep, report: Report) -> list[Item]:
    """The providers that differ from a new realm's, by name."""
    known = {(str(c["name"]), c.get("providerId")): _settings(c) for c in providers(base)}
    out = []
    for component in sorted(providers(rep), key=lambda c: str(c["name"])):
        settings = _settings(component)
        own = known.get((str(component["name"]), component.get("providerId")))
        if own is not None:
            settings = {k: v for k, v in settings.items() if k not in own or own[k] != v}
            if not settings:
                continue
        elif _generated(component) and set(component.get("config") or {}) & MATERIAL:
            report.skip(
                f"components[{PROVIDER_TYPE}][{component['name']}].config",
                "generated key material: Keycloak generates a new key for this provider, so "
                "tokens signed with the old one no longer verify",
            )
        out.append(_item(component, settings, report))
    return out
