"""Links between organisations' intelligence: hits on shared selectors, match proposals and judgements.

Nothing here copies a fact. A hit records that two reports name the same
selector entity (which is what correlates them); a proposal says the model
thinks two person records are one person; a judgement is an analyst's (or,
marked as such, the model's) decision on a proposal. The merged person is
derived from the standing "same" judgements, so undoing them restores every
record exactly as it was.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cairn.core.ids import IdOrder
from cairn.core.scoping import ScopedManager
from cairn.linking.choices import Decision, ProposalSource, RunState


class NoiseSelector(models.Model):
    """A selector so common (a helpline, a hotel switchboard) that it no longer links reports."""

    entity = models.OneToOneField("entities.Entity", on_delete=models.CASCADE, related_name="noise")
    reason = models.CharField(max_length=500)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-marked_at"]

    def __str__(self) -> str:
        return f"noise: entity {self.entity_id}"


class Sighting(models.Model):
    """A report names a selector (a phone, vehicle, account...): what hits are found from.

    The same fact as the report's subject statement, with the report's organisation beside it, kept
    as reports arrive. Finding the newest reports of other organisations on a selector then reads
    one index, instead of looking up each of up to ``HIT_FANOUT_LIMIT`` reports for its organisation,
    which at a million reports was most of the cost of saving one.
    """

    # Copies of a subject statement's entity and report, written from the statement in the same
    # transaction: the statement's own foreign keys check them, so the database does not check them a
    # second time on each of the million rows an import writes (deletion still cascades, in Django).
    entity = models.ForeignKey(
        "entities.Entity", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    report = models.ForeignKey(
        "intelligence.IntelligenceReport", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    # A copy of the report's own organisation (which never changes), checked through the report.
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )

    # The report's place in the order reports were numbered in (its ``seq``; report ids are in no order).
    report_seq = models.GeneratedField(
        expression=IdOrder("report_id", table="intelligence_intelligencereport"),
        output_field=models.BigIntegerField(),
        db_persist=True,
    )

    objects = ScopedManager["Sighting"]()
    unscoped_objects = models.Manager["Sighting"]()

    class Meta:
        base_manager_name = "unscoped_objects"
        default_manager_name = "unscoped_objects"
        constraints = [
            # Newest reports on a selector, with their organisations, from this index alone (one report
            # per order, so unique on it is unique on the report).
            models.UniqueConstraint(
                fields=["entity", "report_seq"], include=["report", "organisation"], name="sighting_unique"
            )
        ]

    def __str__(self) -> str:
        return f"report {self.report_id} names entity {self.entity_id}"


class Hit(models.Model):
    """Two reports of different organisations name the same selector; each originator is told once.

    The pair is stored once, lower report id first; ``report_side_told`` is about that report's originator.
    """

    entity = models.ForeignKey("entities.Entity", on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey("intelligence.IntelligenceReport", on_delete=models.CASCADE, related_name="+")
    other_report = models.ForeignKey("intelligence.IntelligenceReport", on_delete=models.CASCADE, related_name="+")
    # Each side is told when (and only once) it may see at least a flag of the other side.
    report_side_told = models.BooleanField(default=False)
    other_side_told = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager["Hit"]()
    unscoped_objects = models.Manager["Hit"]()

    class Meta:
        base_manager_name = "unscoped_objects"
        default_manager_name = "unscoped_objects"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "report", "other_report"], name="hit_unique_pair"),
            models.CheckConstraint(condition=models.Q(report__lt=models.F("other_report")), name="hit_ordered_pair"),
        ]
        indexes = [models.Index(fields=["other_report"], name="hit_other_report_idx")]

    def __str__(self) -> str:
        return f"hit on entity {self.entity_id}: {self.report_id} / {self.other_report_id}"


class MatchProposal(models.Model):
    """The model's proposal that two person records are the same person (``left_id < right_id``)."""

    left = models.ForeignKey("entities.Entity", on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey("entities.Entity", on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField()
    match_weight = models.FloatField()
    # Per field: {"field", "level", "weight", "left", "right"} — the model's explanation.
    explanation = models.JSONField(default=list)
    cross_organisation = models.BooleanField(default=False)
    source = models.CharField(max_length=16, choices=ProposalSource.choices)
    # The standing decision, kept in step with the judgements (the newest not undone).
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    # The re-resolution run that last scored the pair (found it, or found it again), if any.
    last_run = models.ForeignKey(
        "linking.ResolutionRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager["MatchProposal"]()
    unscoped_objects = models.Manager["MatchProposal"]()

    class Meta:
        base_manager_name = "unscoped_objects"
        default_manager_name = "unscoped_objects"
        ordering = ["-cross_organisation", "-probability", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="proposal_unique_pair"),
            models.CheckConstraint(condition=models.Q(left__lt=models.F("right")), name="proposal_ordered_pair"),
        ]
        indexes = [
            models.Index(fields=["decision", "-cross_organisation", "-probability"], name="proposal_queue_idx"),
            models.Index(fields=["right"], name="proposal_right_idx"),
        ]

    def __str__(self) -> str:
        return f"proposal {self.left_id} ~ {self.right_id} ({self.probability:.2f})"


class Judgement(models.Model):
    """A decision on a proposal: who, when, why; undoing it is another act, never a deletion."""

    proposal = models.ForeignKey(MatchProposal, on_delete=models.CASCADE, related_name="judgements")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    reason = models.CharField(max_length=1000, blank=True)
    judged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    automatic = models.BooleanField(default=False)
    judged_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    undo_reason = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-judged_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(automatic=True) | models.Q(judged_by__isnull=False), name="judgement_has_author"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} on proposal {self.proposal_id}"


class ResolutionRun(models.Model):
    """One background re-resolution of every person record, with its progress."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=16, choices=RunState.choices, default=RunState.QUEUED)
    records = models.IntegerField(default=0)
    done = models.IntegerField(default=0)
    stage = models.CharField(max_length=200, blank=True)
    proposals_created = models.IntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Moved on at every step of progress: a run that stops moving was left by a worker that stopped.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"resolution run {self.pk} ({self.state})"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.records) if self.records else (100 if self.state == RunState.DONE else 0)
