"""The audit log: entries written and chained, append-only in the database, tampering detected."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.audit.models import AuditEntry
from cairn.core.testing import UserFactory, run_cli


@pytest.mark.django_db
def test_entries_are_chained_in_order() -> None:
    user = UserFactory(roles=["officer"])
    first = audit.record(action=AuditAction.VIEW, actor=user, object_type="test.thing", object_id=1, reason="ref 123")
    second = audit.record(action=AuditAction.SEARCH, actor=user, detail={"query": "07700 900123", "results": 3})
    assert second.id > first.id
    assert second.prev_hash == first.hash
    assert first.actor_username == user.username
    assert first.organisation_code == user.organisation.code
    assert first.reason == "ref 123"
    assert audit.verify_chain().intact


@pytest.mark.django_db
def test_a_rolled_back_change_takes_its_audit_entry_with_it() -> None:
    user = UserFactory()
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(action=AuditAction.CHANGE, actor=user, object_type="test.thing", object_id=1)
        raise RuntimeError("the change failed")
    assert AuditEntry.objects.count() == before
    assert audit.verify_chain().intact


@pytest.mark.django_db
def test_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(action="peek", actor=None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET reason = 'nothing to see' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_database_refuses_update_and_delete(statement: str) -> None:
    entry = audit.record(action=AuditAction.VIEW, actor=UserFactory(), object_type="test.thing")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [entry.id])
    entry.refresh_from_db()
    assert entry.reason == ""


def _tamper(sql: str, params: list[object]) -> None:
    """Change the log behind the trigger's back, as an attacker with DDL rights could."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")


@pytest.mark.django_db(transaction=True)
def test_cli_verify_names_the_first_altered_entry() -> None:
    user = UserFactory()
    entries = [
        audit.record(action=AuditAction.VIEW, actor=user, object_id=i, object_type="test.thing") for i in range(5)
    ]
    ok = run_cli("audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout

    _tamper("UPDATE audit_auditentry SET reason = 'altered' WHERE id = %s", [entries[2].id])
    broken = run_cli("audit", "verify")
    assert broken.returncode != 0
    assert f"#{entries[2].id}" in broken.stderr
    assert "altered" in broken.stderr
    assert "Traceback" not in broken.stderr


@pytest.mark.django_db
def test_verify_detects_a_removed_entry() -> None:
    user = UserFactory()
    entries = [
        audit.record(action=AuditAction.VIEW, actor=user, object_id=i, object_type="test.thing") for i in range(4)
    ]
    _tamper("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].id])
    report = audit.verify_chain()
    assert not report.intact
    assert report.first_broken_id == entries[2].id
    assert "removed" in report.problem


@pytest.mark.django_db
def test_verify_detects_a_rewritten_hash_chain_link() -> None:
    user = UserFactory()
    entries = [
        audit.record(action=AuditAction.VIEW, actor=user, object_id=i, object_type="test.thing") for i in range(3)
    ]
    # Rewrite an entry and its own hash consistently: the next entry's link still breaks.
    _tamper("UPDATE audit_auditentry SET reason = 'x', hash = %s WHERE id = %s", ["f" * 64, entries[0].id])
    report = audit.verify_chain()
    assert report.first_broken_id in {entries[0].id, entries[1].id}
