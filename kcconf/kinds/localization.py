"""The realm's localization texts (`realm.localizationTexts: {locale: {key: text}}`), which
override the theme's messages. One object per written locale, one field per written key: keys
are merged one by one, and keys the spec does not write are left alone. Keycloak keeps them out
of the realm representation, behind `localization/{locale}`, which merges what it is sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import base
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State, text

KEY = "localizationTexts"


class LocalizationKind(base.Kind):
    name = "localization"
    spec_key = KEY  # under `realm:`
    after = ("realm",)
    prunable = False
    optional = True

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        texts: Mapping[str, Any] = ctx.doc.data["realm"].get(KEY) or {}
        for locale, messages in texts.items():
            fields = {key: text(value) for key, value in (messages or {}).items()}
            yield Obj(Address(self.name, locale), fields)

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        wanted = desired.of_kind(self.name)
        locales = ep.Localization.locales(admin)
        for address in wanted:
            if address.name in locales:
                yield Obj(address, ep.Localization.texts(admin, address.name), protected=True)

    def create(self, admin: RealmAdmin, change: Change) -> None:
        ep.Localization.merge(admin, change.address.name, dict(change.target.fields))

    def update(self, admin: RealmAdmin, change: Change) -> None:
        changed = {f.name: f.new for f in change.fields}
        ep.Localization.merge(admin, change.address.name, changed)


KINDS = (LocalizationKind(),)
