"""The one audit service. Every capability records its events here.

Writes join the caller's transaction: if the change rolls back, so does its
audit entry, and an audit failure rolls back the change. Appends are
serialised with a transaction-level advisory lock so the chain has one order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest

from cairn.accounts.models import Organisation, User
from cairn.audit.choices import AuditAction
from cairn.audit.models import AuditEntry
from cairn.core import bulk

GENESIS_HASH = "0" * 64
# Arbitrary constant naming the chain's advisory lock.
_CHAIN_LOCK_KEY = 0x0CA1_A0D1
# Django rebuilds ``AuditAction.values`` on every access; bulk ingest checks it a thousand times a batch.
_ACTIONS = frozenset(AuditAction.values)


@dataclass(frozen=True)
class AuditEvent:
    """What to record. ``actor`` may be None for anonymous events (a failed sign-in)."""

    action: str
    actor: User | None = None
    object_type: str = ""
    object_id: str = ""
    object_repr: str = ""
    reason: str = ""
    detail: dict[str, Any] | None = None
    subject_organisation: Organisation | None = None
    ip_address: str | None = None
    organisation: Organisation | None = None


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _canonical(entry: AuditEntry, at: str | None = None) -> bytes:
    if at is None:
        at = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    payload = {
        "id": entry.id,
        "at": at,
        "actor_id": entry.actor_id,
        "actor_username": entry.actor_username,
        "organisation_id": entry.organisation_id,
        "organisation_code": entry.organisation_code,
        "subject_organisation_id": entry.subject_organisation_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "reason": entry.reason,
        "detail": entry.detail,
        "ip_address": entry.ip_address,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def _build(event: AuditEvent, now: datetime) -> AuditEntry:
    if event.action not in _ACTIONS:
        raise ValueError(f"unknown audit action {event.action!r}")
    actor = event.actor
    organisation = event.organisation or (actor.organisation if actor is not None else None)
    return AuditEntry(
        at=now,
        actor=actor,
        actor_username=actor.username if actor is not None else "",
        organisation=organisation,
        organisation_code=organisation.code if organisation is not None else "",
        subject_organisation=event.subject_organisation,
        action=event.action,
        object_type=event.object_type[:64],
        object_id=str(event.object_id)[:64],
        object_repr=event.object_repr[:300],
        reason=event.reason,
        # Round-trip through JSON so the hash is computed over what the database stores.
        detail=json.loads(json.dumps(event.detail or {}, default=str)),
        ip_address=event.ip_address,
    )


def record_many(events: Iterable[AuditEvent]) -> list[AuditEntry]:
    """Append events to the chain in one go (bulk ingest uses this)."""
    entries = [_build(e, datetime.now(UTC)) for e in events]
    if not entries:
        return []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
            cursor.execute("SELECT hash FROM audit_auditentry ORDER BY id DESC LIMIT 1")
            row = cursor.fetchone()
            prev = row[0] if row else GENESIS_HASH
            cursor.execute(
                "SELECT nextval('audit_entry_id_seq') FROM generate_series(1, %s)",
                [len(entries)],
            )
            ids = sorted(r[0] for r in cursor.fetchall())
        # Time is taken inside the lock so that chain order and time order agree.
        now = datetime.now(UTC)
        at = now.isoformat(timespec="microseconds")  # one time for the whole append, formatted once
        sha256 = hashlib.sha256
        for entry, entry_id in zip(entries, ids, strict=True):
            entry.id = entry_id
            entry.at = now
            entry.prev_hash = prev
            entry.hash = prev = sha256(_canonical(entry, at)).hexdigest()
        # COPY, not a multi-row INSERT: ingest appends a thousand entries at a time while holding the lock.
        bulk.copy_instances(AuditEntry, entries)
    return entries


def record(
    *,
    action: str,
    actor: User | None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    reason: str = "",
    detail: dict[str, Any] | None = None,
    subject_organisation: Organisation | None = None,
    request: HttpRequest | None = None,
    organisation: Organisation | None = None,
) -> AuditEntry:
    """Record one event. Pass ``obj`` for a model instance, or the object fields by hand."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_repr = object_repr or str(obj)
    event = AuditEvent(
        action=action,
        actor=actor if (actor is not None and actor.is_authenticated) else None,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr,
        reason=reason,
        detail=detail,
        subject_organisation=subject_organisation,
        ip_address=client_ip(request),
        organisation=organisation,
    )
    return record_many([event])[0]


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    problem: str

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def _stream(batch: int = 5000) -> Iterator[AuditEntry]:
    last_id = 0
    while True:
        rows = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def verify_chain() -> ChainReport:
    """Walk the whole chain in id order and name the first entry that does not hold."""
    prev = GENESIS_HASH
    checked = 0
    for entry in _stream():
        if entry.prev_hash != prev:
            return ChainReport(
                checked,
                entry.id,
                "its previous-hash does not match the entry before it (an entry was removed, inserted or re-ordered)",
            )
        if entry_hash(entry) != entry.hash:
            return ChainReport(checked, entry.id, "its contents do not match its hash (the entry was altered)")
        prev = entry.hash
        checked += 1
    return ChainReport(checked, None, "")
