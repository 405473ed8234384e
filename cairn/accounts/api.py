from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from cairn.access.policy import capabilities
from cairn.accounts.models import User
from cairn.accounts.schemas import MeOut

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut, summary="Who the caller is, their organisation, roles and capabilities")
def me(request: HttpRequest) -> dict:
    user = request.user
    assert isinstance(user, User)
    org = user.organisation
    return {
        "username": user.username,
        "full_name": user.get_full_name(),
        "email": user.email,
        "organisation": {"code": org.code, "name": org.name, "kind": org.kind, "jurisdiction": org.jurisdiction},
        "unit": user.unit.name if user.unit else None,
        "roles": list(user.roles),
        "capabilities": sorted(c.value for c in capabilities(user)),
    }
