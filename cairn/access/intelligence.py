"""Who sees which intelligence: in full, as a flag, or not at all.

The dissemination table (docs/access-control.md, DESIGN.md):

| level        | originator | named sharing groups | other law enforcement | others |
|--------------|------------|----------------------|-----------------------|--------|
| shared       | full       | full                 | full                  | none   |
| restricted   | full       | full                 | flag                  | none   |
| confidential | full       | full                 | none                  | none   |

A report awaiting supervisor review (source 3, assessment E, or handling C)
is seen by its originator only. A granted access request shows one report in
full to one named user. Everything below builds querysets; nothing here
loads rows into Python to filter them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import BigIntegerField, Case, CharField, Exists, F, Model, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from cairn.access.capabilities import Capability
from cairn.access.flags import flag_token, open_token
from cairn.access.policy import can
from cairn.accounts.models import SharingGroup, User
from cairn.entities.choices import Property
from cairn.entities.models import Entity, Statement
from cairn.intelligence.choices import AccessRequestStatus, Dissemination, ReviewState
from cairn.intelligence.models import AccessRequest, IntelligenceReport, ReportRevision
from cairn.search.models import PersonName

Report = IntelligenceReport
_SharingLink = IntelligenceReport.sharing_groups.through


def _reader(user: Any) -> bool:
    return bool(
        user is not None and user.is_authenticated and user.is_active and can(user, Capability.READ_INTELLIGENCE)
    )


NOTHING = Q(pk__in=[])


_MEMBERS = SharingGroup.members.through._meta.db_table
_REQUESTS = AccessRequest._meta.db_table


# One instance of each: a field takes part in an expression's identity, and the compiled rule is
# cached by that identity (``_compiled``).
_ID_ARRAY: ArrayField[Any, Any] = ArrayField(BigIntegerField())
_ID: BigIntegerField[Any, Any] = BigIntegerField()


def _groups_sql(org_id: int) -> RawSQL:
    """The organisation's sharing groups, as an array the query reads once (an InitPlan)."""
    return RawSQL(  # noqa: S611 - table names are the models' own; the id is a parameter
        f"ARRAY(SELECT sharinggroup_id FROM {_MEMBERS} WHERE organisation_id = %s)",  # noqa: S608
        (org_id,),
        output_field=_ID_ARRAY,
    )


def _granted_sql(user_id: int) -> RawSQL:
    """The reports granted to this user by access request, as a subquery the query reads once."""
    return RawSQL(  # noqa: S611 - table names are the models' own; the ids are parameters
        f"SELECT report_id FROM {_REQUESTS} WHERE requester_id = %s AND status = %s",  # noqa: S608
        (user_id, AccessRequestStatus.GRANTED.value),
        output_field=_ID,
    )


def _full_q(user: User, prefix: str = "") -> Q:
    org = user.organisation
    return _full_q_for(user.pk, org.pk, org.is_law_enforcement, prefix)


def _full_q_for(user_id: int, org_id: int, law_enforcement: bool, prefix: str = "") -> Q:
    # Every test here is on the report row itself, so PostgreSQL checks the rule per candidate row
    # without building anyone's whole visible set. The sharing groups and the grants are subqueries
    # inside the same statement, not lists read beforehand: no extra round trip per search, and a
    # grant or a change of membership applies to the very next query, in every process.
    released = ~Q(**{f"{prefix}review_state": ReviewState.AWAITING})
    wider = Q(**{f"{prefix}sharing_group_ids__overlap": _groups_sql(org_id)}) | Q(
        **{f"{prefix}pk__in": _granted_sql(user_id)}
    )
    if law_enforcement:
        wider |= Q(**{f"{prefix}dissemination": Dissemination.SHARED})
    return Q(**{f"{prefix}organisation_id": org_id}) | (released & wider)


def entities_readable_by_audience(organisation: Any, sharing_group_ids: list[int], entity_ids: list[int]) -> set[int]:
    """Of these entities, those that every organisation reading a record of ``organisation`` shared with
    these sharing groups may itself read something about in full, through no one's personal grant.

    A record that names an entity carries what it says (a number, a name) to everyone who reads the
    record; naming only what all of them could already read keeps it from going further than its
    sources let it (a report granted to one analyst, a confidential report of another sharing group).
    Only reports ``organisation`` reads too count: were a partner's own hidden report to count, whether
    a record is refused would tell its author that the partner holds intelligence on the entity.
    """
    remaining = set(entity_ids)
    own = _full_q_for(0, organisation.pk, organisation.is_law_enforcement, "report__")
    # The organisation and every member of the named groups it belongs to (others are refused on saving).
    groups = SharingGroup.objects.filter(pk__in=sharing_group_ids, members=organisation)
    audience = {organisation.pk: organisation.is_law_enforcement} | dict(
        SharingGroup.members.through.objects.filter(sharinggroup__in=groups).values_list(
            "organisation_id", "organisation__is_law_enforcement"
        )
    )
    for org_id, law_enforcement in audience.items():
        if not remaining:
            break
        # No user: a grant is one person's, never an organisation's.
        readable = Statement.unscoped_objects.filter(
            own & _full_q_for(0, org_id, law_enforcement, "report__"), entity_id__in=sorted(remaining)
        )
        remaining &= set(readable.values_list("entity_id", flat=True).distinct())
    return remaining


def entities_known_to_law_enforcement(organisation: Any, entity_ids: list[int]) -> set[int]:
    """Of these entities, those named in a report ``organisation`` reads in full (through no one's grant)
    that every law-enforcement organisation already knows of: released and shared (read in full) or
    restricted (seen as a flag), or one of ``organisation``'s own (its originator's to pass on).

    A restricted record flags every entity it names to all law enforcement; naming one known only from
    a confidential report of a sharing group, or one awaiting review, would tell them all that someone
    holds intelligence on it.
    """
    if not entity_ids:
        return set()
    known = Q(report__organisation_id=organisation.pk) | (
        ~Q(report__review_state=ReviewState.AWAITING)
        & Q(report__dissemination__in=[Dissemination.SHARED, Dissemination.RESTRICTED])
    )
    readable = Statement.unscoped_objects.filter(
        _full_q_for(0, organisation.pk, organisation.is_law_enforcement, "report__") & known,
        entity_id__in=sorted(set(entity_ids)),
    )
    return set(readable.values_list("entity_id", flat=True).distinct())


def report_q(user: Any, prefix: str = "") -> Q:
    """The rule as a filter on any model that reaches a report through ``prefix`` (e.g. "report__").

    Search and graph queries filter candidate rows with it, so PostgreSQL checks the
    rule row by row through the report's primary key instead of building the whole
    visible set first.
    """
    return _full_q(user, prefix) if _reader(user) else NOTHING


def flag_q(user: Any, prefix: str = "") -> Q:
    """Restricted, released, not readable in full, and the viewer is law enforcement."""
    if not _reader(user) or not user.organisation.is_law_enforcement:
        return NOTHING
    return _flag_q_for(user.pk, user.organisation.pk, prefix)


def _flag_q_for(user_id: int, org_id: int, prefix: str = "") -> Q:
    return (
        ~_full_q_for(user_id, org_id, True, prefix)
        & Q(**{f"{prefix}dissemination": Dissemination.RESTRICTED})
        & ~Q(**{f"{prefix}review_state": ReviewState.AWAITING})
    )


def subject_kind_q(kind: str, prefix: str = "") -> Q:
    """Reports with a subject of this entity kind (a phone, a vehicle). A filter, not a grant, as ``naming_q``."""
    naming = Statement.unscoped_objects.filter(prop=Property.SUBJECT, entity__kind=kind).values("report_id")
    return Q(**{f"{prefix}pk__in": naming})


def naming_q(prop: str, value_normalised: str, prefix: str = "") -> Q:
    """Reports that state ``prop`` = ``value_normalised`` of a subject (a place's premises type).

    A filter, not a grant: it narrows reports that the rule still decides on, so the statements
    it looks at are read whoever may see them. A subquery on the report's id, not a join, so it
    compiles to SQL on the report row alone (``report_predicate``).
    """
    naming = Statement.unscoped_objects.filter(prop=prop, value_normalised=value_normalised).values("report_id")
    return Q(**{f"{prefix}pk__in": naming})


def report_predicate(q: Q) -> tuple[str, list[Any]]:
    """``q``, a filter on the report itself, as SQL on the report table (named as such, unaliased).

    Raw SQL that must check the rule (graph walks, selector search) pastes this in, so the rule
    it applies is compiled from the very Q objects the querysets use, never written twice.

    Compiling costs about a millisecond, so it is remembered, keyed by the Q itself (Q objects
    compare by everything in them, ids and dates included) and the time zone ``__date`` lookups use.
    """
    sql, params = _compiled(q, timezone.get_current_timezone_name())
    return sql, list(params)


@lru_cache(maxsize=512)
def _compiled(q: Q, _time_zone: str) -> tuple[str, tuple[Any, ...]]:
    query = IntelligenceReport.unscoped_objects.filter(q).query
    if [alias for alias, refs in query.alias_refcount.items() if refs] not in ([], [Report._meta.db_table]):
        # A join would make the test depend on the query it is pasted into.
        raise ValueError("the rule as SQL must be a test on the report row alone")
    try:
        sql, params = query.get_compiler(using=connection.alias).compile(query.where)
    except EmptyResultSet:  # the rule admits nothing (not a reader, not law enforcement...)
        return "FALSE", ()
    except FullResultSet:
        return "TRUE", ()
    return f"({sql})", tuple(params)


def report_rule_sql(user: Any, report_filter: Q | None = None, *, flag: bool = False) -> tuple[str, list[Any]]:
    """The rule ("may read in full", or with ``flag`` "may know by flag only"), and ``report_filter``
    (a filter on the report itself), as one SQL test on the unaliased report table."""
    # Remembered by what the rule depends on (the searcher, their organisation and whether it is law
    # enforcement), so a search does not build and hash the rule's Q objects again (about 0.8 ms each).
    # The sharing groups and grants stay subqueries, read by each statement itself.
    who = None
    if _reader(user):
        org = user.organisation
        who = (user.pk, org.pk, org.is_law_enforcement)
    sql, params = _rule_compiled(who, flag, report_filter, timezone.get_current_timezone_name())
    return sql, list(params)


@lru_cache(maxsize=512)
def _rule_compiled(
    who: tuple[int, int, bool] | None, flag: bool, report_filter: Q | None, time_zone: str
) -> tuple[str, tuple[Any, ...]]:
    if who is None or (flag and not who[2]):
        return _compiled(NOTHING, time_zone)
    q = _flag_q_for(who[0], who[1]) if flag else _full_q_for(*who)
    return _compiled(q & report_filter if report_filter is not None else q, time_zone)


def reports_visible_to(user: Any) -> QuerySet[Report]:
    """Reports the user may read in full."""
    return Report.unscoped_objects.filter(report_q(user))


def reports_flagged_to(user: Any) -> QuerySet[Report]:
    """Reports the user may know exist (a flag) but not read."""
    return Report.unscoped_objects.filter(flag_q(user))


def report_access(user: Any, report_id: int) -> str:
    """'full', 'flag' or 'none' for one report."""
    if reports_visible_to(user).filter(pk=report_id).exists():
        return "full"
    if reports_flagged_to(user).filter(pk=report_id).exists():
        return "flag"
    return "none"


def statements_visible_to(user: Any) -> QuerySet[Statement]:
    return Statement.unscoped_objects.filter(report_q(user, "report__"))


def statements_flagged_to(user: Any) -> QuerySet[Statement]:
    return Statement.unscoped_objects.filter(flag_q(user, "report__"))


def entities_visible_to(user: Any) -> QuerySet[Entity]:
    """Entities with at least one visible statement about them (or pointing at them)."""
    if not _reader(user):
        return Entity.unscoped_objects.none()
    visible_reports = reports_visible_to(user).values("pk")
    about = Statement.unscoped_objects.filter(entity_id=OuterRef("pk"), report__in=visible_reports)
    pointing = Statement.unscoped_objects.filter(related_entity_id=OuterRef("pk"), report__in=visible_reports)
    return Entity.unscoped_objects.filter(Exists(about) | Exists(pointing))


def entities_flagged_to(user: Any) -> QuerySet[Entity]:
    """Entities the user may know are the subject of restricted intelligence."""
    if not _reader(user):
        return Entity.unscoped_objects.none()
    flagged = reports_flagged_to(user).values("pk")
    return Entity.unscoped_objects.filter(
        Exists(Statement.unscoped_objects.filter(entity_id=OuterRef("pk"), report__in=flagged))
    )


def rows_visible_to(user: Any, model: Any) -> QuerySet[Any]:
    """Rows of any model that hangs off a report (``report`` foreign key), as far as the rule allows."""
    return model.unscoped_objects.filter(report_q(user, "report__"))


def rows_flagged_to(user: Any, model: Any) -> QuerySet[Any]:
    return model.unscoped_objects.filter(flag_q(user, "report__"))


def rows_with_access(user: Any, model: Any) -> QuerySet[Any]:
    """Rows readable in full or known by flag, each annotated ``access`` = 'full' or 'flag'.

    One query answers both, so a search pays for the rule once.
    """
    full, flag = report_q(user, "report__"), flag_q(user, "report__")
    return model.unscoped_objects.filter(full | flag).annotate(
        access=Case(When(full, then=Value("full")), default=Value("flag"), output_field=CharField())
    )


def unrestricted_for_benchmark(model: Any) -> QuerySet[Any]:
    """Every row, with no access rule at all.

    Only ``cairn bench`` may call this, to print the cost of the rule beside the
    same search without it; a structure test fails if anything else does.
    """
    return model.unscoped_objects.all()


def revisions_visible_to(user: Any) -> QuerySet[ReportRevision]:
    """Revisions of reports the user may read, each only as far as its own marking let them read it.

    An edit may widen a report (a source's name taken out, then shared with partners): the revisions
    before it keep the marking they had, so a reader only the wider marking reaches reads the report as
    it is and the revisions as wide as that, never the narrower ones. The originating organisation reads
    every revision; the current one is the report itself, read by whoever reads the report (a personal
    grant opens the report as it is, not what it said before).
    """
    revisions = ReportRevision.unscoped_objects.filter(report__in=reports_visible_to(user).values("pk"))
    if not _reader(user):
        return revisions.none()
    organisation = user.organisation
    as_marked = NOTHING
    if organisation.is_law_enforcement:
        as_marked |= Q(snapshot__dissemination=Dissemination.SHARED)
    # By id: a group's name may be changed, and then given to another group.
    for group_id in SharingGroup.objects.filter(members=organisation).values_list("pk", flat=True):
        as_marked |= Q(snapshot__sharing_group_ids__contains=[group_id])
    return revisions.filter(
        Q(report__organisation_id=organisation.pk)
        | Q(number=F("report__revision"))
        | (~Q(snapshot__review_state=ReviewState.AWAITING) & as_marked)
    )


def access_requests_visible_to(user: Any) -> QuerySet[AccessRequest]:
    """Your own requests; and, for supervisors, the requests on your organisation's reports."""
    if not _reader(user):
        return AccessRequest.unscoped_objects.none()
    q = Q(requester=user)
    if can(user, Capability.SUPERVISE_INTELLIGENCE):
        q |= Q(report__organisation_id=user.organisation_id)
    return AccessRequest.unscoped_objects.filter(q)


def can_supervise(user: Any, report: Report) -> bool:
    return bool(
        _reader(user)
        and can(user, Capability.SUPERVISE_INTELLIGENCE)
        and user.organisation_id == report.organisation_id
    )


def can_edit(user: Any, report: Report) -> bool:
    """The author, or a supervisor of the originating organisation."""
    return bool(
        _reader(user)
        and user.organisation_id == report.organisation_id
        and (report.author_id == user.pk or can(user, Capability.SUPERVISE_INTELLIGENCE))
    )


@dataclass(frozen=True)
class Flag:
    """What a flag shows: intelligence exists on this subject, when, what kind, who holds it, whom to call.

    ``token`` is how the viewer addresses it (``cairn.access.flags``); ``report_id`` stays inside
    Cairn and is never shown, nor anything ordered by it.
    """

    report_id: int
    entity_id: int | None
    created_at: datetime
    occurred_on: Any
    exploitation_types: list[str]
    organisation: str
    organisation_id: int
    organisation_code: str
    contact_point: str
    token: str

    @property
    def recorded_on(self) -> date:
        """The day it was recorded: all a flag shows of when. The time to the microsecond would be the
        report's own mark, the same on its flags on every subject."""
        return timezone.localdate(self.created_at)


def flag_order(flag: Flag) -> tuple[Any, ...]:
    """The order flags are listed in: by subject, newest day first, then by token (never by report id or time)."""
    return (flag.entity_id or 0, -flag.recorded_on.toordinal(), flag.token)


def flags_for(user: Any, *, entity_ids: list[int] | None = None, report_ids: list[int] | None = None) -> list[Flag]:
    """Flags for restricted reports about the given entities (or the given reports)."""
    if not _reader(user):
        return []
    reports = reports_flagged_to(user)
    rows: list[Flag] = []
    if entity_ids is not None:
        qs = (
            Statement.unscoped_objects.filter(entity_id__in=entity_ids, report__in=reports.values("pk"))
            .values_list("report_id", "entity_id")
            .order_by()
            .distinct()
        )
        pairs = list(qs)
        by_id = {r.pk: r for r in reports.filter(pk__in={p[0] for p in pairs}).select_related("organisation")}
        for report_id, entity_id in pairs:
            rows.append(_flag(user.pk, by_id[report_id], entity_id))
    if report_ids is not None:
        for report in reports.filter(pk__in=report_ids).select_related("organisation"):
            rows.append(_flag(user.pk, report, None))
    return sorted(rows, key=flag_order)


def made_from(flag: Flag) -> Q:
    """Access requests made from this flag: its report, and the subject it was shown on (or none)."""
    subject = Q(entity_id=flag.entity_id) if flag.entity_id is not None else Q(entity__isnull=True)
    return Q(report_id=flag.report_id) & subject


def flag_at(user: Any, token: str) -> Flag | None:
    """The flag ``token`` addresses, if it is one shown to ``user`` and still a flag to them.

    A report the user has since come to read in full, or lost sight of, has no flag; nor has a
    subject the report no longer names.
    """
    if not _reader(user) or (address := open_token(user.pk, token)) is None:
        return None
    report = reports_flagged_to(user).filter(pk=address.report_id).select_related("organisation").first()
    if report is None:
        return None
    if (
        address.entity_id is not None
        and not Statement.unscoped_objects.filter(report_id=report.pk, entity_id=address.entity_id).exists()
    ):
        return None
    return _flag(user.pk, report, address.entity_id)


def _flag(viewer_id: int, report: Report, entity_id: int | None) -> Flag:
    org = report.organisation
    return Flag(
        report.pk,
        entity_id,
        report.created_at,
        report.occurred_on,
        list(report.exploitation_types),
        org.name,
        org.pk,
        org.code,
        org.contact_point,
        flag_token(viewer_id, report.pk, entity_id),
    )


_VISIBLE: dict[Any, Any] = {
    PersonName: lambda user: rows_visible_to(user, PersonName),
    IntelligenceReport: reports_visible_to,
    Statement: statements_visible_to,
    Entity: entities_visible_to,
    ReportRevision: revisions_visible_to,
    AccessRequest: access_requests_visible_to,
}


def visible(model: type[Model], user: Any) -> QuerySet[Any]:
    """``Model.objects.visible_to(user)`` lands here."""
    rule_for = _VISIBLE.get(model)
    if rule_for is None:
        from cairn.access.groups import VISIBLE as GROUP_RULES  # imports this module: looked up late

        rule_for = GROUP_RULES.get(model)
    if rule_for is None:
        raise LookupError(f"the access policy has no rule for {model.__name__}")
    return cast(QuerySet[Any], rule_for(user))
