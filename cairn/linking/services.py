"""Linking actions: hits on shared selectors, noise, proposals, judgements, merges and splits.

Every function that changes something takes the acting user as a keyword, checks
it through ``cairn.access``, writes in one transaction and records an audit entry.
The system's own acts (hits as reports arrive, proposals from the model) have no
acting user and tell people only what each may see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from cairn.access import intelligence as rule
from cairn.access import linking as access
from cairn.access.capabilities import Capability
from cairn.access.flags import flag_token
from cairn.access.policy import can
from cairn.accounts.models import Organisation, User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.entities.choices import EntityKind
from cairn.entities.models import Entity, Statement
from cairn.intelligence.choices import ReviewState
from cairn.intelligence.inputs import clean_text
from cairn.intelligence.models import IntelligenceReport
from cairn.linking.choices import Decision, ProposalSource
from cairn.linking.models import Hit, Judgement, MatchProposal, NoiseSelector
from cairn.notifications.services import notify_many

# A selector named by more reports than this stops producing hit notifications
# (it still correlates on the report page) until a supervisor decides about it.
HIT_FANOUT_LIMIT = 100


# --- hits ------------------------------------------------------------------------------------------


def record_hits(report_ids: list[int]) -> int:
    """After new or newly released reports commit: record each cross-organisation hit and tell both sides.

    Each originator hears of the other report only as far as the rule lets them
    see it (a link to read it, or a flag with whom to call); a side that may not
    see even a flag is told nothing now, and is told if a later release lets it.
    Returns the number of notifications sent.
    """
    if not report_ids:
        return 0
    pairs = _new_pairs(report_ids)
    with transaction.atomic():
        # Locked until the told flags commit, so two rounds at once (a report saved while it is
        # released) never both tell of one hit. Waited for, not skipped: the round holding a hit may
        # have decided who to tell before a release let another side see it; once it commits, this
        # round reads the flags again (READ COMMITTED) and tells whoever is still untold.
        hits = _untold_locked(
            Q(report_id__in=report_ids) | Q(other_report_id__in=report_ids),
            # A selector marked as noise since the hit was stored raises no hit (told if the mark is cleared).
            ~Exists(NoiseSelector.objects.filter(entity_id=OuterRef("entity_id"))),
        )
        if not pairs and not hits:
            return 0
        return _tell_hits(hits)


def _untold_locked(*where: Any) -> list[Hit]:  # conditions for filter(): Q or a boolean expression
    """Hits with a side not yet told, locked in id order until the caller's transaction ends."""
    return list(
        Hit.unscoped_objects.filter(*where)
        .filter(Q(report_side_told=False) | Q(other_side_told=False))
        .select_related("entity")
        .select_for_update(of=("self",))
        .order_by("pk")
    )


def _tell_hits(hits: list[Hit]) -> int:
    """Tell each untold side of these (locked) hits what the rule lets it see; mark it told."""
    ids = {h.report_id for h in hits} | {h.other_report_id for h in hits}
    reports = {
        r.pk: r
        for r in IntelligenceReport.unscoped_objects.filter(pk__in=ids).select_related(
            "author__organisation", "organisation"
        )
    }
    # What each originator may see of the other sides: two queries per author, not per hit.
    wanted: dict[int, set[int]] = defaultdict(set)
    for hit in hits:
        if not hit.report_side_told:
            wanted[hit.report_id].add(hit.other_report_id)
        if not hit.other_side_told:
            wanted[hit.other_report_id].add(hit.report_id)
    seen = _access_by_author(reports, wanted)
    rows: list[tuple[int, str, str, str]] = []
    told_report, told_other = [], []
    for hit in hits:
        mine, theirs = reports[hit.report_id], reports[hit.other_report_id]
        if not hit.report_side_told and (row := _tell(mine, theirs, hit.entity, seen)):
            rows.append(row)
            told_report.append(hit.pk)
        if not hit.other_side_told and (row := _tell(theirs, mine, hit.entity, seen)):
            rows.append(row)
            told_other.append(hit.pk)
    Hit.unscoped_objects.filter(pk__in=told_report).update(report_side_told=True)
    Hit.unscoped_objects.filter(pk__in=told_other).update(other_side_told=True)
    return notify_many(rows)


# The selectors these reports name (not people: they are matched, not correlated), read report by
# report (LATERAL over the ids given, OFFSET 0 so PostgreSQL does not flatten it into a join) so each
# step is an index probe whatever the statistics say: during a long import they lag the table by
# tens of thousands of rows, and a plan chosen from them scanned whole indexes. Each is stored as a
# sighting, noise or not (a selector may stop being noise); only those that are not noise link.
_SIGHTINGS_SQL = """
WITH named AS MATERIALIZED (
    SELECT DISTINCT s.entity_id, m.id AS report_id, r.organisation_id
    FROM unnest(%s::bigint[]) AS m(id)
    JOIN intelligence_intelligencereport r ON r.id = m.id
    CROSS JOIN LATERAL (
        SELECT s.entity_id FROM entities_statement s WHERE s.report_id = m.id AND s.prop = 'subject' OFFSET 0
    ) s
    JOIN entities_entity e ON e.id = s.entity_id
    WHERE e.key IS NOT NULL AND e.kind <> 'person'
), stored AS (
    INSERT INTO linking_sighting (entity_id, report_id, organisation_id)
    SELECT entity_id, report_id, organisation_id FROM named
    ON CONFLICT DO NOTHING
)
SELECT n.report_id, n.entity_id, n.organisation_id FROM named n
WHERE NOT EXISTS (SELECT 1 FROM linking_noiseselector x WHERE x.entity_id = n.entity_id)
"""

# Every report naming a selector, for a database filled without the services (a benchmark's COPY);
# migration linking/0002 ran the same for the reports there were then.
SIGHTINGS_FILL_SQL = """
INSERT INTO linking_sighting (entity_id, report_id, organisation_id)
SELECT DISTINCT s.entity_id, s.report_id, r.organisation_id
FROM entities_statement s
JOIN entities_entity e ON e.id = s.entity_id
JOIN intelligence_intelligencereport r ON r.id = s.report_id
WHERE s.prop = 'subject' AND e.key IS NOT NULL AND e.kind <> 'person'
ON CONFLICT DO NOTHING
"""

# Per selector its newest reports with their organisations, from the sightings index alone (a hot
# number named by thousands of reports costs no more than one named by a hundred); a report of the
# one organisation that all the selector's new reports come from cannot make a hit with them.
_COUNTERPARTS_SQL = """
SELECT m.entity_id, o.report_id, o.organisation_id
FROM unnest(%s::bigint[], %s::bigint[]) AS m(entity_id, only_org)
CROSS JOIN LATERAL (
    SELECT g.report_id, g.organisation_id FROM linking_sighting g
    WHERE g.entity_id = m.entity_id
    ORDER BY g.report_seq DESC LIMIT %s
) o
WHERE o.organisation_id <> m.only_org
"""

_HAS_PEOPLE_SQL = """
SELECT EXISTS (
    SELECT 1 FROM unnest(%s::bigint[]) AS m(id)
    WHERE EXISTS (SELECT 1 FROM search_personname p WHERE p.report_id = m.id)
)
"""


def _new_pairs(report_ids: list[int]) -> int:
    """Store the hits of these reports: (selector, this report, another organisation's report)."""
    with connection.cursor() as cursor:
        mine = _sight(cursor, report_ids)
        if not mine:
            return 0
        by_entity: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for report_id, entity_id, org_id in mine:
            by_entity[entity_id].append((report_id, org_id))
        entity_ids = list(by_entity)
        only_org = [_only_org(by_entity[e]) for e in entity_ids]
        cursor.execute(_COUNTERPARTS_SQL, [entity_ids, only_org, HIT_FANOUT_LIMIT])
        others = cursor.fetchall()
    pairs: set[tuple[int, int, int]] = set()
    for entity_id, other_id, other_org in others:
        for report_id, org_id in by_entity[entity_id]:
            if other_org != org_id:  # the lower report id first, so a pair is stored once
                pairs.add((entity_id, min(report_id, other_id), max(report_id, other_id)))
    new = [Hit(entity_id=e, report_id=a, other_report_id=b) for e, a, b in sorted(pairs)]
    Hit.unscoped_objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _sight(cursor: Any, report_ids: list[int]) -> list[tuple[int, int, int]]:
    """Store the sightings of these reports; (report, selector, organisation) of those not marked noise."""
    cursor.execute(_SIGHTINGS_SQL, [list(report_ids)])
    return [tuple(row) for row in cursor.fetchall()]


def sightings_record(report_ids: list[int]) -> None:
    """Store the sightings of reports that make no hits themselves (a sanitised version) but may meet later ones."""
    with transaction.atomic(), connection.cursor() as cursor:
        _sight(cursor, report_ids)


def _only_org(reports: list[tuple[int, int]]) -> int:
    """The organisation all these (report, organisation) pairs share, or 0 (no organisation's id) if several."""
    orgs = {org for _, org in reports}
    return orgs.pop() if len(orgs) == 1 else 0


def _access_by_author(
    reports: dict[int, IntelligenceReport], wanted: dict[int, set[int]]
) -> dict[tuple[int, int], str]:
    """(author id, other report id) -> "full" or "flag", through the rule, per author."""
    by_author: dict[int, set[int]] = defaultdict(set)
    authors: dict[int, User] = {}
    for report_id, others in wanted.items():
        author = reports[report_id].author
        if author is not None:
            authors.setdefault(author.pk, author)
            by_author[author.pk] |= others
    seen: dict[tuple[int, int], str] = {}
    for author_id, others in by_author.items():
        author = authors[author_id]
        for pk in rule.reports_flagged_to(author).filter(pk__in=others).values_list("pk", flat=True):
            seen[(author_id, pk)] = "flag"
        for pk in rule.reports_visible_to(author).filter(pk__in=others).values_list("pk", flat=True):
            seen[(author_id, pk)] = "full"
    return seen


def _tell(
    mine: IntelligenceReport, theirs: IntelligenceReport, entity: Entity, seen: dict[tuple[int, int], str]
) -> tuple[int, str, str, str] | None:
    """The notification for the originator of ``mine`` about ``theirs``, or None if they may not know of it."""
    author = mine.author
    if author is None or not author.is_active or mine.review_state == ReviewState.AWAITING:
        return None
    value = entity.key or f"{entity.get_kind_display()} #{entity.pk}"
    org = theirs.organisation
    level = seen.get((author.pk, theirs.pk))
    if level == "full":
        text = (
            f"Your intelligence on {value} ({mine.reference}) meets intelligence held by {org.name} "
            f"({theirs.reference})."
        )
        return (author.pk, "hit", text, reverse("intelligence:detail", args=[theirs.pk]))
    if level == "flag":
        text = (
            f"Your intelligence on {value} ({mine.reference}) meets restricted intelligence held by {org.name}. "
            f"Contact {org.contact_point}."
        )
        # The flag's token, not the report's id: two hits on one restricted report must not say so.
        flag = reverse("intelligence:flag", args=[flag_token(author.pk, theirs.pk, entity.pk)])
        return (author.pk, "hit_flag", text, flag)
    return None


# --- noise -----------------------------------------------------------------------------------------


def _require_supervisor(actor: User) -> None:
    if not (can(actor, Capability.SUPERVISE_INTELLIGENCE) and can(actor, Capability.READ_INTELLIGENCE)):
        raise PermissionDenied("Only an intelligence supervisor can mark a selector as noise.")


def noise_mark(*, actor: User, entity_id: int, reason: str) -> NoiseSelector:
    """Stop a very common selector (a helpline, a switchboard) from linking reports."""
    _require_supervisor(actor)
    reason = clean_text(reason)
    if not reason:
        raise ValidationError({"reason": "Say why this selector is noise (e.g. 'charity helpline')."})
    entity = rule.entities_visible_to(actor).filter(pk=entity_id, key__isnull=False).first()
    if entity is None or entity.kind == EntityKind.PERSON:
        raise ValidationError({"entity": "No such selector among the intelligence you may read."})
    with transaction.atomic():
        noise, _ = NoiseSelector.objects.get_or_create(entity=entity, defaults={"reason": reason, "marked_by": actor})
        audit.record(
            action=AuditAction.CHANGE,
            actor=actor,
            object_type="linking.noise",
            object_id=entity.pk,
            object_repr=f"{entity.get_kind_display()} {entity.key} marked as noise"[:300],
            reason=reason,
        )
    return noise


def noise_clear(*, actor: User, entity_id: int, reason: str) -> None:
    """Let a selector link reports again. A selector the supervisor may not see is answered as not marked."""
    _require_supervisor(actor)
    reason = clean_text(reason)
    if not reason:
        raise ValidationError({"reason": "Say why this selector should link reports again."})
    not_marked = ValidationError({"entity": "That selector is not marked as noise."})
    # The same test as marking: a mark on a selector only another organisation's reports name is
    # not this supervisor's to clear, nor to learn of (the answer is the one for an unmarked selector).
    entity = rule.entities_visible_to(actor).filter(pk=entity_id, key__isnull=False).first()
    if entity is None or entity.kind == EntityKind.PERSON:
        raise not_marked
    with transaction.atomic():
        # Only a mark the supervisor may see: one made through reports hidden from them is not theirs
        # to clear, nor to learn of.
        deleted, _ = NoiseSelector.objects.filter(
            pk__in=access.noise_marks_visible_to(actor).filter(entity_id=entity.pk).values("pk")
        ).delete()
        if not deleted:
            raise not_marked
        audit.record(
            action=AuditAction.CHANGE,
            actor=actor,
            object_type="linking.noise",
            object_id=entity_id,
            object_repr="noise mark removed",
            reason=reason,
        )
        # Hits the mark held back (a side released while it stood) are told now it is gone.
        transaction.on_commit(lambda: _tell_held_hits(entity.pk))


def _tell_held_hits(entity_id: int) -> int:
    with transaction.atomic():
        hits = _untold_locked(Q(entity_id=entity_id))
        return _tell_hits(hits) if hits else 0


# --- proposals -------------------------------------------------------------------------------------


def auto_merge_threshold() -> float | None:
    """Proposals at or above this probability are merged automatically (marked so); None turns it off."""
    value = getattr(settings, "CAIRN_AUTO_MERGE_THRESHOLD", None)
    return float(value) if value not in (None, "") else None


def proposals_save(
    found: Iterable[tuple[int, int, float, float, list[dict[str, object]]]],
    *,
    source: str = ProposalSource.REALTIME,
    run_id: int | None = None,
) -> int:
    """Store the model's proposals ``(entity a, entity b, probability, match weight, explanation)``.

    A pair already proposed keeps its judgements; its score is refreshed. Above the
    automatic-merge threshold a pair never judged gets a "same" judgement, marked automatic.
    ``run_id``: the re-resolution run scoring them, recorded on each pair found or found again.
    """
    rows = {}
    for a, b, probability, weight, explanation in found:
        if a == b:
            continue
        # Stored lower id first; each field's columns go with their record (Splink orders the ids as text).
        rows[(a, b) if a < b else (b, a)] = (probability, weight, explanation if a < b else _swapped(explanation))
    if not rows:
        return 0
    orgs = dict(
        Statement.unscoped_objects.filter(entity_id__in={i for pair in rows for i in pair})
        .values_list("entity_id", "report__organisation_id")
        .distinct()
    )
    threshold = auto_merge_threshold()
    with transaction.atomic():
        # Written (and so locked) in pair order, the order ``split`` locks a merged person's proposals
        # in: in the model's own order a save could hold one pair a split needs while waiting for
        # another the split holds (a deadlock), as could two saves at once.
        proposals = [
            MatchProposal(
                left_id=left,
                right_id=right,
                probability=p,
                match_weight=w,
                explanation=e,
                cross_organisation=orgs.get(left) != orgs.get(right),
                source=source,
                last_run_id=run_id,
            )
            for (left, right), (p, w, e) in sorted(rows.items())
        ]
        refreshed = ["probability", "match_weight", "explanation", "updated_at"]
        MatchProposal.unscoped_objects.bulk_create(
            proposals,
            update_conflicts=True,
            unique_fields=["left", "right"],
            update_fields=refreshed + (["last_run"] if run_id is not None else []),
        )
        if threshold is not None:
            _merge_automatically(rows, threshold, orgs)
    return len(rows)


def _swapped(explanation: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{**field, "left": field.get("right", ""), "right": field.get("left", "")} for field in explanation]


def _merge_automatically(
    rows: dict[tuple[int, int], tuple[float, float, list[dict[str, object]]]],
    threshold: float,
    orgs: dict[int, int],
) -> None:
    """A "same" judgement, marked automatic and audited, on each new likely pair (in the caller's transaction).

    Only a pair nobody has judged yet: once an analyst (or an undo) has had a say, the model
    scoring the pair again must not overrule them.
    """
    auto = (
        MatchProposal.unscoped_objects.filter(decision="", probability__gte=threshold, left_id__in=[k[0] for k in rows])
        .filter(right_id__in=[k[1] for k in rows])
        .exclude(Exists(Judgement.objects.filter(proposal_id=OuterRef("pk"))))
        .order_by("pk")
    )
    judged = [
        Judgement(
            proposal=proposal,
            decision=Decision.SAME,
            automatic=True,
            reason=f"automatic: probability {proposal.probability:.3f} ≥ {threshold}",
        )
        for proposal in auto
        if (proposal.left_id, proposal.right_id) in rows
    ]
    if not judged:
        return
    Judgement.objects.bulk_create(judged)
    MatchProposal.unscoped_objects.filter(pk__in=[j.proposal_id for j in judged]).update(decision=Decision.SAME)
    holders = {o.pk: o for o in Organisation.objects.filter(pk__in=set(orgs.values()))}
    audit.record_many(
        audit.AuditEvent(
            action=AuditAction.CHANGE,
            actor=None,  # the model's own act; "automatic" in the detail says so
            # One entry for each organisation holding a side, so its auditors see what was done to its records.
            subject_organisation=holders.get(org_id) if org_id is not None else None,
            object_type="linking.proposal",
            object_id=str(j.proposal.pk),
            object_repr=f"records {j.proposal.left_id} and {j.proposal.right_id}: {Decision.SAME} (automatic)",
            reason=j.reason,
            detail={
                "decision": Decision.SAME,
                "probability": round(j.proposal.probability, 4),
                "automatic": True,
                "judgement": j.pk,
            },
        )
        for j in judged
        for org_id in _holders_of(j.proposal, orgs)
    )


def _holders_of(proposal: MatchProposal, orgs: dict[int, int]) -> list[int | None]:
    """The organisations holding either record (None if unknown: the entry is still written)."""
    found = sorted({o for o in (orgs.get(proposal.left_id), orgs.get(proposal.right_id)) if o})
    return list(found) or [None]


# --- judgements ------------------------------------------------------------------------------------


def _refresh_decision(proposal_id: int) -> str:
    standing = Judgement.objects.filter(proposal_id=proposal_id, undone_at__isnull=True).first()
    decision = standing.decision if standing else ""
    MatchProposal.unscoped_objects.filter(pk=proposal_id).update(decision=decision, updated_at=timezone.now())
    return decision


def judge(*, actor: User, proposal_id: int, decision: str, reason: str = "") -> Judgement:
    """An analyst says same / not same / unsure. Refused unless they may read both records now."""
    if decision not in Decision.values:
        raise ValidationError({"decision": "Choose same, not same or unsure."})
    reason = clean_text(reason)
    if decision == Decision.SAME and not reason:
        raise ValidationError({"reason": "Say why these are the same person: it is what a later reader relies on."})
    with transaction.atomic():
        proposal = access.proposals_visible_to(actor).select_for_update().filter(pk=proposal_id).first()
        if proposal is None:
            raise PermissionDenied("You cannot judge records you may not read.")
        judgement = Judgement.objects.create(proposal=proposal, decision=decision, reason=reason, judged_by=actor)
        # The newest judgement stands; the earlier ones stay as history.
        Judgement.objects.filter(proposal=proposal, undone_at__isnull=True).exclude(pk=judgement.pk).update(
            undone_at=timezone.now(), undone_by=actor, undo_reason="superseded"
        )
        _refresh_decision(proposal.pk)
        audit.record(
            action=AuditAction.CHANGE,
            actor=actor,
            object_type="linking.proposal",
            object_id=proposal.pk,
            object_repr=f"records {proposal.left_id} and {proposal.right_id}: {decision}",
            reason=reason,
            detail={"decision": decision, "probability": round(proposal.probability, 4)},
        )
    return judgement


def judgement_undo(*, actor: User, judgement_id: int, reason: str) -> None:
    """Undo one judgement (an automatic merge in one click, or an analyst's own mistake)."""
    reason = clean_text(reason) or "undone"
    refused = PermissionDenied("There is no standing judgement of yours to undo here.")
    with transaction.atomic():
        # The proposal first, then its judgements: the order ``judge`` and ``split`` lock in, so an
        # undo and a judgement of the same pair at once wait for each other instead of deadlocking.
        of_judgement = Judgement.objects.filter(pk=judgement_id).values("proposal_id")
        proposal = access.proposals_visible_to(actor).select_for_update().filter(pk__in=of_judgement).first()
        if proposal is None:
            raise refused
        judgement = (
            Judgement.objects.select_for_update()
            .filter(pk=judgement_id, proposal=proposal, undone_at__isnull=True)
            .first()
        )
        if judgement is None:
            raise refused
        judgement.undone_at, judgement.undone_by, judgement.undo_reason = timezone.now(), actor, reason
        judgement.save(update_fields=["undone_at", "undone_by", "undo_reason"])
        _refresh_decision(judgement.proposal_id)
        audit.record(
            action=AuditAction.CHANGE,
            actor=actor,
            object_type="linking.judgement",
            object_id=judgement.pk,
            object_repr=f"{'automatic ' if judgement.automatic else ''}judgement undone",
            reason=reason,
        )


# --- resolved people -------------------------------------------------------------------------------


def merged_pairs(entity_id: int) -> set[tuple[int, int]]:
    """The standing "same" pairs that join this record to others (the merged person's judgements)."""
    cluster, frontier = {entity_id}, {entity_id}
    joined: set[tuple[int, int]] = set()
    while frontier:
        pairs = MatchProposal.unscoped_objects.filter(
            Q(left_id__in=frontier) | Q(right_id__in=frontier), decision=Decision.SAME
        ).values_list("left_id", "right_id")
        joined |= set(pairs)
        found = {i for pair in joined for i in pair} - cluster
        cluster |= found
        frontier = found
    return joined


def cluster_of(entity_id: int) -> set[int]:
    """Every person record joined to this one by standing "same" judgements (the merged person)."""
    return {entity_id} | {i for pair in merged_pairs(entity_id) for i in pair}


def _lock_cluster(entity_id: int, attempts: int = 3) -> tuple[set[int], list[tuple[int, int, int]]]:
    """The merged person of this record and its "same" proposals, locked (proposals first, as ``judge`` locks).

    Read again after locking: a judgement that committed meanwhile may have changed it. Only the
    locked proposals are undone, so a pair joined after the check is never split unchecked. Locked
    in pair order (left, right), the order ``proposals_save`` writes them in, so the two never
    deadlock: a try whose cluster moved gives its locks back (its savepoint rolled back) before the
    next locks the new cluster in order. After the last try the cluster is the one locked.
    """
    cluster = cluster_of(entity_id)
    locked: list[tuple[int, int, int]] = []
    for attempt in range(attempts):
        savepoint = transaction.savepoint()
        locked = list(
            MatchProposal.unscoped_objects.select_for_update()
            .filter(left_id__in=cluster, right_id__in=cluster, decision=Decision.SAME)
            .order_by("left_id", "right_id")
            .values_list("pk", "left_id", "right_id")
        )
        again = cluster_of(entity_id)
        if again == cluster or attempt == attempts - 1:
            transaction.savepoint_commit(savepoint)
            break
        transaction.savepoint_rollback(savepoint)
        cluster = again
    return cluster, locked


def split(*, actor: User, entity_id: int, reason: str) -> int:
    """Undo every standing "same" judgement inside a merged person: each record stands alone again.

    Refused if the analyst cannot read every record in the merged person; the
    records themselves were never changed, so nothing else needs restoring. A
    record the analyst may not read is refused as if it did not exist, and one
    merged only with records they may not know of is answered as not merged.
    """
    reason = clean_text(reason)
    if not reason:
        raise ValidationError({"reason": "Say why the merged person is being split."})
    refused = PermissionDenied("You cannot split a merged person whose records you may not all read.")
    # Before anything about the merge is looked at: hidden and missing records answer alike.
    if not access.may_link(actor) or not access.readable_entity_ids(actor, [entity_id]):
        raise refused
    with transaction.atomic():
        # The cluster as it stands once its "same" proposals are locked (proposals first, as
        # ``judge`` and ``judgement_undo`` lock); only the judgements checked here are undone.
        _, locked = _lock_cluster(entity_id)
        # The person as the page shows it to this analyst: records they may not even know of (no
        # flag) are not theirs to see, so a merge only with those is answered as no merge at all, and
        # a judgement joining one stays (it is not theirs to undo, nor to learn of).
        cluster, _, _ = access.person_known_to(actor, entity_id, [(a, b) for _, a, b in locked])
        if len(cluster) < 2:
            raise ValidationError({"entity": "This record is not merged with any other."})
        if access.fully_readable_entity_ids(actor, cluster) != cluster:
            raise refused
        theirs = [pk for pk, a, b in locked if a in cluster and b in cluster]
        standing = list(
            Judgement.objects.select_for_update()
            .filter(proposal_id__in=theirs, decision=Decision.SAME, undone_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "proposal_id")
        )
        ids = [pk for pk, _ in standing]
        proposals = sorted({proposal_id for _, proposal_id in standing})
        Judgement.objects.filter(pk__in=ids).update(undone_at=timezone.now(), undone_by=actor, undo_reason=reason)
        for proposal_id in proposals:
            _refresh_decision(proposal_id)
        audit.record(
            action=AuditAction.CHANGE,
            actor=actor,
            object_type="linking.person",
            object_id=entity_id,
            object_repr=f"merged person of {len(cluster)} records split",
            reason=reason,
            detail={"records": sorted(cluster), "judgements_undone": ids},
        )
    return len(ids)


# --- arrival ---------------------------------------------------------------------------------------


def reports_arrived(report_ids: list[int]) -> None:
    """After reports commit (or a review releases one): hits at once, person matching in the background."""
    from cairn.linking.tasks import match_reports

    record_hits(report_ids)
    with connection.cursor() as cursor:
        cursor.execute(_HAS_PEOPLE_SQL, [list(report_ids)])
        (has_people,) = cursor.fetchone()  # type: ignore[misc]
    if has_people:
        match_reports.enqueue(list(report_ids))
