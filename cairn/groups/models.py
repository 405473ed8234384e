"""Crime groups: candidate groups found by community detection, adopted as records, and their threat assessments.

A crime group is an ``organisation`` entity recorded by an analysis report of the adopting
organisation: the report names the group and each member (``has_member`` statements), so who
sees the group, its members and its assessments is decided by the one access rule through that
report, as for any other intelligence. Nothing here copies a member's facts.

Threat scoring follows the UK mapping approach: a scheme of weighted factors placed in bands. The
weights belong to the deploying organisation and are versioned: a scheme is never edited once
loaded (a change is a new version), and each assessment keeps the version it was scored with.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cairn.core.scoping import ScopedManager
from cairn.groups.choices import RunState


class ThreatScheme(models.Model):
    """A versioned scoring scheme: weighted factors, each scored on levels, and bands over the total."""

    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    example = models.BooleanField(default=False, help_text="Shipped as an illustration, not any force's weights.")
    active = models.BooleanField(default=False, help_text="The scheme new assessments use.")
    description = models.TextField(blank=True)
    # [{"key", "label", "area", "weight", "levels": [{"score": int, "label": str}]}]
    factors = models.JSONField()
    # [{"band": str, "label": str, "min_score": number}], highest first
    bands = models.JSONField()
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="threat_scheme_unique_version"),
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="threat_scheme_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}" + (" (example)" if self.example else "")

    @property
    def max_score(self) -> float:
        return float(sum(f["weight"] * max(level["score"] for level in f["levels"]) for f in self.factors))


class CrimeGroup(models.Model):
    """A recorded crime group: an organisation entity, named and adopted by an analyst through an analysis report."""

    entity = models.OneToOneField("entities.Entity", on_delete=models.PROTECT, related_name="crime_group")
    report = models.OneToOneField(
        "intelligence.IntelligenceReport", on_delete=models.PROTECT, related_name="crime_group"
    )
    reference = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    adopted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    adopted_at = models.DateTimeField(auto_now_add=True)
    # How the candidate was found, for the record: "chart" (over charted entities) or "run <id>".
    found_by = models.CharField(max_length=100, blank=True)

    objects = ScopedManager["CrimeGroup"]()
    unscoped_objects = models.Manager["CrimeGroup"]()

    class Meta:
        base_manager_name = "unscoped_objects"
        default_manager_name = "unscoped_objects"
        ordering = ["-adopted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"


class ThreatAssessment(models.Model):
    """One scoring of a group under one scheme version; later assessments add to the history."""

    group = models.ForeignKey(CrimeGroup, on_delete=models.PROTECT, related_name="assessments")
    scheme = models.ForeignKey(ThreatScheme, on_delete=models.PROTECT, related_name="assessments")
    scores = models.JSONField()  # factor key -> level score chosen
    total = models.FloatField()
    band = models.CharField(max_length=50)
    rationale = models.TextField()
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager["ThreatAssessment"]()
    unscoped_objects = models.Manager["ThreatAssessment"]()

    class Meta:
        base_manager_name = "unscoped_objects"
        default_manager_name = "unscoped_objects"
        ordering = ["-assessed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.group.reference}: {self.band} ({self.total:g})"


class DetectionRun(models.Model):
    """Community detection over everything one analyst may see, run in the background.

    The candidates are that analyst's alone (derived from what they could read when it ran) and are
    checked against the rule again whenever shown.
    """

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=20, choices=RunState.choices, default=RunState.QUEUED)
    stage = models.CharField(max_length=200, blank=True)
    entities = models.PositiveIntegerField(default=0)
    links = models.PositiveIntegerField(default=0)
    percent = models.PositiveSmallIntegerField(default=0)
    candidates = models.JSONField(default=list)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Group detection {self.pk}"
