"""Watches: tell people when new intelligence they may see matches what they watch."""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse

from cairn.access import intelligence as policy
from cairn.access.flags import flag_token
from cairn.accounts.models import User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.entities.choices import SELECTOR_ENTITY_KIND, Property
from cairn.entities.models import Statement
from cairn.entities.normalise import name_tokens
from cairn.intelligence.models import IntelligenceReport
from cairn.notifications.models import Notification
from cairn.notifications.services import notify_many
from cairn.search.choices import QueryKind, WatchKind
from cairn.search.models import PersonName, Watch
from cairn.search.scoring import score_name
from cairn.search.selectors import FLAG_THRESHOLD, SearchInputError, clean_query, understand

MAX_WATCHES = 200


def watch_create(*, actor: User, query: str, kind: str = QueryKind.AUTO, reason: str = "") -> Watch:
    """A standing search for ``actor``; ``reason`` (asked at the edge, as for a search) is audited with it."""
    kind = kind or QueryKind.AUTO
    if kind not in QueryKind.values:
        # Refused as search refuses it: read as "auto", a phone watched by a slip of the kind
        # would become a watch on words, which never flags restricted holdings of the phone.
        raise ValidationError({"kind": f"Watch {', '.join(QueryKind.values)}; '{kind[:20]}' is not one of them."})
    try:
        text = clean_query(query)
        found, selector, normalised = understand(text, kind)
    except SearchInputError as exc:
        raise ValidationError({"query": str(exc)}) from exc
    if Watch.objects.filter(owner=actor, active=True).count() >= MAX_WATCHES:
        raise ValidationError({"query": f"You can keep at most {MAX_WATCHES} watches; stop some first."})
    watch = Watch(owner=actor, query=text)
    if found == QueryKind.SELECTOR:
        watch.kind, watch.entity_kind, watch.key = WatchKind.SELECTOR, SELECTOR_ENTITY_KIND[selector], normalised
    elif found == QueryKind.PERSON:
        watch.kind, watch.tokens = WatchKind.PERSON, name_tokens(text)
    else:
        watch.kind = WatchKind.TEXT
    with transaction.atomic():
        watch.save()
        audit.record(
            action=AuditAction.CREATE,
            actor=actor,
            obj=watch,
            object_repr=f"watch on {text!r}"[:300],
            reason=reason,
            subject_organisation=actor.organisation,
        )
    return watch


def watch_stop(*, actor: User, watch_id: int) -> None:
    with transaction.atomic():
        updated = Watch.objects.filter(pk=watch_id, owner=actor, active=True).update(active=False)
        if updated:
            audit.record(
                action=AuditAction.CHANGE,
                actor=actor,
                object_type="search.watch",
                object_id=watch_id,
                object_repr="watch stopped",
                subject_organisation=actor.organisation,
            )


# watch id -> report id -> the subjects of the report the watch matched (None for a watch on words).
Matches = dict[int, dict[int, set[int | None]]]


def _matches(report_ids: list[int]) -> Matches:
    """What each watch matches among the new reports, and on which subjects (before any access check)."""
    found: Matches = defaultdict(lambda: defaultdict(set))
    keys = Statement.unscoped_objects.filter(
        report_id__in=report_ids, prop=Property.SUBJECT, entity__key__isnull=False
    ).values_list("report_id", "entity_id", "entity__kind", "entity__key")
    by_key: dict[tuple[str, str], set[tuple[int, int]]] = defaultdict(set)
    for report_id, entity_id, kind, key in keys:
        by_key[(kind, key or "")].add((report_id, entity_id))
    if by_key:
        for watch_id, kind, key in Watch.objects.filter(
            active=True, kind=WatchKind.SELECTOR, key__in={k for _, k in by_key}
        ).values_list("id", "entity_kind", "key"):
            for report_id, entity_id in by_key.get((kind, key), set()):
                found[watch_id][report_id].add(entity_id)
    names = list(
        PersonName.unscoped_objects.filter(report_id__in=report_ids).values("report_id", "entity_id", "tokens")
    )
    if names:
        all_tokens = {t for n in names for t in n["tokens"]}
        for watch in Watch.objects.filter(active=True, kind=WatchKind.PERSON, tokens__overlap=list(all_tokens)):
            for n in names:
                if score_name(watch.tokens, n["tokens"], {}, {}).score >= FLAG_THRESHOLD:
                    found[watch.pk][n["report_id"]].add(n["entity_id"])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w.id, r.id FROM search_watch w JOIN intelligence_intelligencereport r "
            "ON r.id = ANY(%s) AND r.search_vector @@ websearch_to_tsquery('english', w.query) "
            "WHERE w.kind = 'text' AND w.active",
            [report_ids],
        )
        for watch_id, report_id in cursor.fetchall():
            found[watch_id][report_id].add(None)
    return found


def _already_told(matches: Matches, watches: dict[int, Watch]) -> set[tuple[int, str, str]]:
    """(recipient, kind, link) of the watch alerts these watchers already have about these reports."""
    links = {reverse("intelligence:detail", args=[r]) for reports in matches.values() for r in reports}
    links |= {
        _flag_link(watches[w].owner_id, r, e)
        for w, reports in matches.items()
        for r, subjects in reports.items()
        for e in subjects
    }
    owners = {w.owner_id for w in watches.values()}
    return set(
        Notification.objects.filter(
            recipient_id__in=owners, kind__in=["watch", "watch_flag"], link__in=links
        ).values_list("recipient_id", "kind", "link")
    )


def _flag_link(owner_id: int, report_id: int, entity_id: int | None) -> str:
    """Where a watcher who sees a report only as a flag is sent: the flag's token, never the report's id.

    The flag of the report on the subject the watch matched: one token a report would say, across two
    watches, that one report names both their subjects.
    """
    return reverse("intelligence:flag", args=[flag_token(owner_id, report_id, entity_id)])


def notify_watchers(report_ids: list[int]) -> int:
    """Run after new reports commit (or become visible wider): alert each watcher within their access.

    A watcher who may read the report is told so with a link; one who sees only
    a flag is told who holds it; the originator of a flagged report is told
    that someone elsewhere is interested, without being told who. A watch on
    words is told only of reports it may read: flagging restricted reports by
    the words in them would let anyone probe their contents a word at a time,
    which search itself never does.

    It runs again when a report is released, edited or sanitised; a watcher is
    not told twice the same thing about the same report.
    """
    # Most submissions meet no watch at all: skip reading the batch back.
    if not report_ids or not Watch.objects.filter(active=True).exists():
        return 0
    matches = _matches(report_ids)
    if not matches:
        return 0
    watches = {w.pk: w for w in Watch.objects.filter(pk__in=matches).select_related("owner__organisation")}
    with transaction.atomic():
        return _alert(matches, watches)


# Names the advisory locks of watch alerts (with a report's id): two rounds about one report at once
# (an edit while a release commits) take turns, so the second sees what the first told.
_ALERT_LOCK = 7_310


def _alert(matches: Matches, watches: dict[int, Watch]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, (r %% 2147483647)::int) FROM unnest(%s::bigint[]) r ORDER BY r",
            [_ALERT_LOCK, sorted({r for reports in matches.values() for r in reports})],
        )
    rows: list[tuple[int, str, str, str]] = []
    interested: set[int] = set()  # flagged reports whose originator is told someone is interested
    told = _already_told(matches, watches)
    for watch_id, reports in matches.items():
        watch = watches[watch_id]
        owner = watch.owner
        # One query a watch, with each report's author: your own report needs no alert.
        readable = dict(policy.reports_visible_to(owner).filter(pk__in=reports).values_list("pk", "author_id"))
        flagged = (
            {f.report_id: f for f in policy.flags_for(owner, report_ids=list(reports.keys() - set(readable)))}
            if watch.kind != WatchKind.TEXT
            else {}
        )
        for report_id, author_id in sorted(readable.items()):
            if author_id == owner.pk:
                continue
            link = reverse("intelligence:detail", args=[report_id])
            if (owner.pk, "watch", link) not in told:
                told.add((owner.pk, "watch", link))
                rows.append((owner.pk, "watch", f"New intelligence matches your watch '{watch.query}'.", link))
        for report_id, flag in sorted(flagged.items()):
            # One alert per flag: per subject the watch matched in the report.
            for entity_id in sorted(reports[report_id], key=lambda e: e or 0):
                link = _flag_link(owner.pk, report_id, entity_id)
                if (owner.pk, "watch_flag", link) in told:
                    continue
                told.add((owner.pk, "watch_flag", link))
                rows.append(
                    (
                        owner.pk,
                        "watch_flag",
                        f"{flag.organisation} holds new restricted intelligence matching your watch "
                        f"'{watch.query}'. Contact {flag.contact_point}.",
                        link,
                    )
                )
                interested.add(report_id)
    # The originators of the flagged reports, read together: told that someone is interested, not who.
    for report_id, author_id, reference in sorted(
        IntelligenceReport.unscoped_objects.filter(pk__in=interested).values_list("pk", "author_id", "reference")
    ):
        rows.append(
            (
                author_id,
                "interest",
                f"Another organisation is watching a subject of your restricted report {reference}.",
                reverse("intelligence:detail", args=[report_id]),
            )
        )
    return notify_many(rows)
