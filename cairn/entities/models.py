"""POLE entities and the statements that make them up.

An entity is what its statements say. Every fact — a name, a date of birth,
a phone used, an address lived at — is a Statement pointing at the report
that asserted it, so a user sees an entity only through the statements of
reports they may see, and merging or splitting entities never moves a fact
from one report's reach to another's.
"""

from __future__ import annotations

from django.db import models

from cairn.core.scoping import ScopedManager
from cairn.entities.choices import EntityKind, Property, SubjectRole


class Entity(models.Model):
    """A person, organisation, location, object or event.

    Selector entities (phone, email, vehicle, account, document, profile,
    address) carry their normalised identifier in ``key`` and are shared: the
    same phone in two organisations' reports is one entity, which is what
    correlates them. People are one record per report mention until entity
    resolution links them. The entity row holds no facts of its own.
    """

    kind = models.CharField(max_length=32, choices=EntityKind.choices)
    key = models.CharField(max_length=300, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager["Entity"]()
    unscoped_objects = models.Manager["Entity"]()

    class Meta:
        ordering = ["id"]
        base_manager_name = "unscoped_objects"
        default_manager_name = "unscoped_objects"
        verbose_name_plural = "entities"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"], name="entity_unique_selector_key", condition=models.Q(key__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Statement(models.Model):
    """One fact about an entity, as asserted by one report."""

    # No single-column indexes on the keys: the composite and partial indexes below lead with each of
    # them, and every index is paid for again on each of the millions of statements an import writes.
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="statements", db_index=False)
    report = models.ForeignKey(
        "intelligence.IntelligenceReport", on_delete=models.PROTECT, related_name="statements", db_index=False
    )
    prop = models.CharField(max_length=32, choices=Property.choices)
    value = models.CharField(max_length=500, blank=True)
    # The normalised value, for exact matching (E.164 phone, compact IBAN, name key...).
    value_normalised = models.CharField(max_length=500, blank=True)
    role = models.CharField(max_length=32, choices=SubjectRole.choices, blank=True)
    related_entity = models.ForeignKey(
        Entity, on_delete=models.PROTECT, null=True, blank=True, related_name="inbound_statements", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager["Statement"]()
    unscoped_objects = models.Manager["Statement"]()

    class Meta:
        ordering = ["id"]
        base_manager_name = "unscoped_objects"
        default_manager_name = "unscoped_objects"
        indexes = [
            models.Index(fields=["entity", "report"], name="statement_entity_report_idx"),
            models.Index(fields=["report", "prop"], name="statement_report_prop_idx"),
            models.Index(
                fields=["related_entity"],
                name="statement_related_idx",
                condition=models.Q(related_entity__isnull=False),
            ),
            # Both directions of a graph hop ("who else is a subject of these reports", "which reports
            # name these entities") read only these index-only partial indexes.
            # Ordered by report too, so "the newest reports naming this selector" stops after the
            # first few entries instead of sorting all of a common selector's reports.
            models.Index(
                fields=["entity", "report"],
                name="statement_subject_ordered_idx",
                condition=models.Q(prop="subject"),
            ),
            models.Index(
                fields=["report"],
                include=["entity"],
                name="statement_subject_report_idx",
                condition=models.Q(prop="subject"),
            ),
            # The search filter "reports naming a place of this type", and the facet of the premises
            # types the matching reports name: a probe per report into an index of premises types only,
            # not into the (report, prop) index of every statement.
            models.Index(
                fields=["value_normalised", "report"],
                name="statement_premises_type_idx",
                condition=models.Q(prop="premises_type"),
            ),
            models.Index(
                fields=["report"],
                include=["value"],
                name="statement_premises_report_idx",
                condition=models.Q(prop="premises_type"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prop} of entity {self.entity_id} from report {self.report_id}"
