"""The append-only, hash-chained audit log (DPA 2018 Part 3, s.62)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cairn.audit.choices import AuditAction


class AuditEntry(models.Model):
    """One logged act: who, from which organisation, when, what, on which object, why.

    Rows are never changed or deleted: a database trigger refuses UPDATE and
    DELETE. Each row carries the SHA-256 of the previous row, and its own hash
    covers every field, so ``cairn audit verify`` detects an edited, removed or
    re-ordered row. Names are copied in at write time so the log still reads
    correctly if an account or organisation is renamed later.
    """

    # The id is drawn inside the chain lock so ids, chain order and time agree.
    # Accounts and organisations are never deleted (PROTECT, in Django) and an entry copies their names
    # in; the database does not re-check the references on each entry, one or more per report an
    # import writes. The hash chain, not a foreign key, is what vouches for an entry.
    id = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    actor_username = models.CharField(max_length=150, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    organisation_code = models.CharField(max_length=40, blank=True)
    # The organisation whose data was touched, so its auditors see who looked at it.
    subject_organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-id"]
        # Every entry pays for every index at write time, so each index here serves a reading of the
        # log (by object, organisation, subject organisation, actor, action, time) and none repeats
        # another's leading column; a unique constraint, not ``unique=True``, so no pattern index.
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["action", "-id"], name="audit_action_idx"),
            models.Index(fields=["organisation", "-id"], name="audit_org_idx"),
            models.Index(fields=["subject_organisation", "-id"], name="audit_subject_org_idx"),
            models.Index(fields=["actor", "-id"], name="audit_actor_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["hash"], name="audit_unique_hash")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.id} {self.at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action}"
