"""Who sees which crime groups, their members and their threat assessments.

A crime group is recorded by an analysis report, so it is exactly as visible as that report
under the one rule of ``cairn.access.intelligence``: in full, as a flag (another organisation
holds a crime-group record; its name and members are not shown), or not at all. Its threat
assessments go with it: whoever may read the group in full may read them. Members come from the
``has_member`` statements the viewer may see, whichever report made them. Detection runs are
their requester's alone.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from cairn.access import intelligence as rule
from cairn.access.linking import may_link
from cairn.entities.choices import Property
from cairn.entities.models import Statement
from cairn.groups.models import CrimeGroup, DetectionRun, ThreatAssessment


def may_adopt(user: Any) -> bool:
    """Analysts and supervisors record crime groups (they chart and link networks)."""
    return may_link(user)


def groups_with_access(user: Any) -> QuerySet[CrimeGroup]:
    """Groups readable in full or known by flag, each annotated ``access`` = 'full' or 'flag'."""
    if not rule._reader(user):
        return CrimeGroup.unscoped_objects.none()
    return rule.rows_with_access(user, CrimeGroup)


def groups_visible_to(user: Any) -> QuerySet[CrimeGroup]:
    if not rule._reader(user):
        return CrimeGroup.unscoped_objects.none()
    return rule.rows_visible_to(user, CrimeGroup)


def assessments_visible_to(user: Any) -> QuerySet[ThreatAssessment]:
    if not rule._reader(user):
        return ThreatAssessment.unscoped_objects.none()
    return ThreatAssessment.unscoped_objects.filter(group__in=groups_visible_to(user).values("pk"))


def group_flag(user: Any, group: CrimeGroup) -> rule.Flag:
    """What a viewer who may not read the group is shown: who holds it, since when, whom to call.

    Addressed as the flag of its report on the group's own entity, so it reads as unrelated to the
    flags of the same report on the members (which would say who they are).
    """
    return rule._flag(user.pk, group.report, group.entity_id)


def may_assess(user: Any, group: CrimeGroup) -> bool:
    """The adopting organisation's analysts and supervisors keep its assessment."""
    return may_adopt(user) and user.organisation_id == group.organisation_id


def member_statements(user: Any, group_entity_id: int) -> QuerySet[Statement]:
    """``has_member`` statements about the group from reports the viewer may read in full."""
    return rule.statements_visible_to(user).filter(entity_id=group_entity_id, prop=Property.HAS_MEMBER)


def runs_visible_to(user: Any) -> QuerySet[DetectionRun]:
    if not may_link(user):
        return DetectionRun.objects.none()
    return DetectionRun.objects.filter(requested_by=user)


VISIBLE: dict[Any, Any] = {CrimeGroup: groups_visible_to, ThreatAssessment: assessments_visible_to}
