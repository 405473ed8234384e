"""The policy: (user, action) -> yes/no, or a queryset already filtered for the user."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from cairn.access.capabilities import ROLE_CAPABILITIES, Capability
from cairn.accounts.models import User
from cairn.audit.choices import AuditAction
from cairn.audit.models import AuditEntry


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def capabilities(user: Any) -> frozenset[Capability]:
    if not _active(user):
        return frozenset()
    caps: set[Capability] = set()
    for role in user.roles:
        caps |= ROLE_CAPABILITIES.get(role, frozenset())
    return frozenset(caps)


def can(user: Any, capability: Capability) -> bool:
    return capability in capabilities(user)


def require(user: Any, capability: Capability) -> None:
    """Raise 404, not 403: a page a user may not use is a page that is not there for them."""
    if not can(user, capability):
        raise Http404


def audit_entries_visible_to(user: User) -> QuerySet[AuditEntry]:
    """Auditors see what their organisation's people did, and what anyone did to its data."""
    if not can(user, Capability.VIEW_AUDIT_LOG):
        return AuditEntry.objects.none()
    org_id = user.organisation_id
    return AuditEntry.objects.filter(Q(organisation_id=org_id) | Q(subject_organisation_id=org_id))


def audit_object_shown(entry: AuditEntry, viewer: User) -> tuple[str, str]:
    """The (object, description) an auditor is shown for an entry: as recorded, unless it names another
    organisation's restricted report that the auditor's organisation knows only by flag.

    A flag is addressed by a token so that its report's id cannot pair the flags of two subjects
    (cairn/access/flags.py); the log of a flag seen, or asked for, or refused, must not pair them again
    for the auditors of the organisation that saw them. The holder's own auditors see it all.
    """
    as_recorded = (f"{entry.object_type} {entry.object_id}".strip(), entry.object_repr)
    mine = viewer.organisation_id
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    ours, theirs = entry.organisation_id == mine, entry.subject_organisation_id == mine
    if detail.get("access") == "flag" and not theirs:
        return ("intelligence.report (seen as a flag)", "")
    if entry.object_type != "intelligence.access_request":
        return as_recorded
    if entry.action == AuditAction.CREATE and ours and not theirs:
        return ("intelligence.access_request", "asked for a flagged report")
    if entry.action == AuditAction.ACCESS_DECISION and not ours and not detail.get("granted"):
        return ("intelligence.access_request", "refused")
    return as_recorded
