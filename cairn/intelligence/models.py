"""Intelligence reports, their revisions, sanitised versions and access requests."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models

from cairn.core.ids import IdOrder
from cairn.core.scoping import ScopedManager
from cairn.intelligence.choices import (
    AccessRequestStatus,
    Classification,
    Dissemination,
    ExploitationType,
    GradingModel,
    HandlingCode,
    HandlingCondition,
    IntelligenceAssessment,
    ReviewState,
    SourceEvaluation,
)


class IntelligenceReport(models.Model):
    """The unit of intelligence: graded, marked, and disseminated as far as its level allows.

    The row holds the current revision; every revision from the first is kept in
    ReportRevision once edited (until then the report as submitted is its own revision 1,
    stored when the first edit supersedes it). A sanitised version is itself a report, linked
    to its original through ``sanitised_from``, with its own marking and
    dissemination, so the one access rule covers it too.
    """

    reference = models.CharField(max_length=40)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="reports", db_index=False
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    revision = models.PositiveIntegerField(default=1)
    occurred_on = models.DateField(null=True, blank=True, help_text="When the reported events happened.")

    text = models.TextField()
    source_evaluation = models.CharField(max_length=1, choices=SourceEvaluation.choices)
    intelligence_assessment = models.CharField(max_length=1, choices=IntelligenceAssessment.choices)
    handling_code = models.CharField(max_length=1, choices=HandlingCode.choices)
    handling_conditions = ArrayField(
        models.CharField(max_length=2, choices=HandlingCondition.choices), default=list, blank=True
    )
    handling_conditions_text = models.TextField(blank=True)
    classification = models.CharField(max_length=24, choices=Classification.choices, default=Classification.OFFICIAL)
    exploitation_types = ArrayField(
        models.CharField(max_length=32, choices=ExploitationType.choices), default=list, blank=True
    )
    dissemination = models.CharField(max_length=16, choices=Dissemination.choices, default=Dissemination.CONFIDENTIAL)
    sharing_groups = models.ManyToManyField("accounts.SharingGroup", blank=True, related_name="reports")
    # The same groups as ids on the row, so the access rule is a row-local test
    # (array overlap) rather than a join per candidate. The services keep both.
    sharing_group_ids = ArrayField(models.BigIntegerField(), default=list, blank=True, editable=False)

    # Low-graded or conditioned intelligence stays with the originator until a supervisor has looked.
    review_state = models.CharField(max_length=16, choices=ReviewState.choices, default=ReviewState.NOT_REQUIRED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_date = models.DateField(help_text="Retention review date (MoPI / records code of practice).")

    grading_model = models.CharField(max_length=8, choices=GradingModel.choices, default=GradingModel.UK_3X5X2)
    legacy_grading = models.CharField(max_length=8, blank=True, help_text="Original 5x5x5 grading, e.g. 'B2 4'.")
    source_system = models.CharField(max_length=100, blank=True)
    source_reference = models.CharField(max_length=100, blank=True)

    sanitised_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="sanitised_versions", db_index=False
    )
    sanitisation_authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )

    # Ids are cairn_public_id()s (core/0003), in no order, so that the gap between two says nothing of
    # how many reports anyone filed meanwhile; "newest first" is read by this instead, the order they
    # were numbered in. Never shown: it would count them again. Kept by PostgreSQL, like the vector.
    seq = models.GeneratedField(
        expression=IdOrder("id", table="intelligence_intelligencereport"),
        output_field=models.BigIntegerField(),
        db_persist=True,
    )
    # Kept by PostgreSQL itself, so no write path can forget it.
    search_vector = models.GeneratedField(
        expression=SearchVector("text", config="english"), output_field=SearchVectorField(), db_persist=True
    )

    objects = ScopedManager["IntelligenceReport"]()
    unscoped_objects = models.Manager["IntelligenceReport"]()

    class Meta:
        ordering = ["-created_at", "-seq"]
        base_manager_name = "unscoped_objects"
        default_manager_name = "unscoped_objects"
        # Each index is paid for on every report an import writes: none repeats another's leading
        # column, the rarely set keys are indexed only where set, and the reference is unique by a
        # constraint (``unique=True`` would add a pattern index nothing searches with).
        indexes = [
            models.Index(fields=["organisation", "-created_at"], name="report_org_created_idx"),
            models.Index(
                fields=["reviewed_by"], name="report_reviewer_idx", condition=models.Q(reviewed_by__isnull=False)
            ),
            models.Index(
                fields=["sanitised_from"],
                name="report_sanitised_from_idx",
                condition=models.Q(sanitised_from__isnull=False),
            ),
            models.Index(
                fields=["sanitisation_authorised_by"],
                name="report_sanitiser_idx",
                condition=models.Q(sanitisation_authorised_by__isnull=False),
            ),
            models.Index(fields=["dissemination", "review_state"], name="report_level_idx"),
            GinIndex(fields=["search_vector"], name="report_search_idx"),
            models.Index(fields=["seq"], name="report_seq_idx"),
            GinIndex(fields=["sharing_group_ids"], name="report_groups_idx"),
            # Everything the access rule reads, so a search or graph query that checks the rule
            # for thousands of candidate rows does so from this index alone, never from the
            # (wide) report rows themselves.
            models.Index(
                fields=["id"],
                include=["organisation", "review_state", "dissemination", "sharing_group_ids"],
                name="report_rule_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="report_unique_reference"),
            models.CheckConstraint(
                condition=~models.Q(handling_code="C")
                | ~models.Q(handling_conditions=[])
                | ~models.Q(handling_conditions_text=""),
                name="report_handling_c_has_conditions",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def grade(self) -> str:
        return f"{self.source_evaluation}{self.intelligence_assessment} {self.handling_code}"

    @property
    def is_released(self) -> bool:
        return self.review_state != ReviewState.AWAITING


class ReportRevision(models.Model):
    """A frozen copy of a report as it stood at one revision. Reports are never silently changed."""

    report = models.ForeignKey(IntelligenceReport, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)

    objects = ScopedManager["ReportRevision"]()
    unscoped_objects = models.Manager["ReportRevision"]()

    class Meta:
        ordering = ["report", "-number"]
        base_manager_name = "unscoped_objects"
        default_manager_name = "unscoped_objects"
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="revision_unique_number")]

    def __str__(self) -> str:
        return f"{self.report_id} r{self.number}"


class AccessRequest(models.Model):
    """A request from another organisation's user to see a restricted report in full."""

    report = models.ForeignKey(IntelligenceReport, on_delete=models.PROTECT, related_name="access_requests")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_requests")
    # The subject whose flag the request was made from (None: a flag on the report itself). A request
    # belongs to that flag: shown on another subject's flag of the same report, it would say that
    # one report names both (cairn.access.flags).
    entity = models.ForeignKey("entities.Entity", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.TextField()
    status = models.CharField(max_length=16, choices=AccessRequestStatus.choices, default=AccessRequestStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    objects = ScopedManager["AccessRequest"]()
    unscoped_objects = models.Manager["AccessRequest"]()

    class Meta:
        ordering = ["-created_at", "-id"]
        base_manager_name = "unscoped_objects"
        default_manager_name = "unscoped_objects"
        indexes = [models.Index(fields=["requester", "status"], name="access_request_requester_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "requester", "entity"],
                condition=models.Q(status="pending"),
                nulls_distinct=False,
                name="access_request_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"access request {self.pk} for {self.report_id}"
