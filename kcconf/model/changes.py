"""Changes are values: what one object needs, computed once and used by plan and apply."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kcconf.model.objects import Address, Obj


class Action(enum.Enum):
    CREATE = "+"
    UPDATE = "~"
    DELETE = "-"


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: Any
    new: Any
    sensitive: bool = False


@dataclass(frozen=True)
class RelationChange:
    """Items to add to and remove from one relation (for example a client's default scopes)."""

    name: str
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """One object's change. `desired` is the spec's object, `live` what Keycloak has (None
    for a create)."""

    action: Action
    address: Address
    fields: tuple[FieldChange, ...]
    relations: tuple[RelationChange, ...]
    desired: Obj | None  # None for a delete
    live: Obj | None  # None for a create
    renamed_from: str | None = None

    @property
    def live_address(self) -> Address:
        """Where the object is now: for a rename, under its old name."""
        if self.renamed_from:
            return Address(self.address.kind, self.renamed_from, self.address.parent)
        return self.address

    @property
    def live_raw(self) -> Mapping[str, Any]:
        """The live representation an update or delete starts from (read-modify-write)."""
        assert self.live is not None and self.live.raw is not None
        return self.live.raw

    @property
    def target(self) -> Obj:
        """The object as it will be: the desired one, or for a delete the live one."""
        obj = self.desired or self.live
        assert obj is not None
        return obj
