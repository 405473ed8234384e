from __future__ import annotations

from ninja import Schema


class OrganisationOut(Schema):
    code: str
    name: str
    kind: str
    jurisdiction: str


class MeOut(Schema):
    username: str
    full_name: str
    email: str
    organisation: OrganisationOut
    unit: str | None
    roles: list[str]
    capabilities: list[str]
