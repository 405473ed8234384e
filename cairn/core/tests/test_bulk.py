"""COPY-based bulk writes: ids numbered as the table numbers them, rows inside the caller's transaction."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from cairn.accounts.choices import Role
from cairn.core import bulk
from cairn.core.testing import OrganisationFactory, UserFactory
from cairn.entities.models import Entity, Statement
from cairn.intelligence.inputs import ReportInput
from cairn.intelligence.services import report_submit

pytestmark = pytest.mark.django_db


def test_ids_come_from_the_sequence_and_rows_from_copy() -> None:
    author = UserFactory(organisation=OrganisationFactory(code="bulk"), roles=[Role.ANALYST])
    report = report_submit(
        actor=author,
        data=ReportInput(text="Bulk.", source_evaluation="2", intelligence_assessment="B", handling_code="P"),
    )
    entity = Entity.unscoped_objects.create(kind="person")
    now = timezone.now()
    ids = bulk.allocate_ids(Statement, 3)
    assert len(set(ids)) == 3
    columns = ("id", "entity_id", "report_id", "prop", "value", "value_normalised", "role", "created_at")
    written = bulk.copy_rows(Statement, columns, [(i, entity.pk, report.pk, "name", f"n{i}", "", "", now) for i in ids])
    assert written == 3
    assert Statement.unscoped_objects.filter(pk__in=ids).count() == 3
    # The sequence moved on: an ORM insert after a COPY cannot collide with the copied ids.
    later = Statement.unscoped_objects.create(entity=entity, report=report, prop="name", value="orm")
    assert later.pk > max(ids)


def test_entity_ids_are_numbered_as_the_table_numbers_them_and_say_nothing_of_their_order() -> None:
    ids = bulk.allocate_ids(Entity, 200)
    assert len(set(ids)) == 200 and all(2**52 <= i < 2**53 for i in ids)  # above old ids, exact in JavaScript
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM entities_entity_id_seq")
        (last,) = cursor.fetchone()
        cursor.execute("SELECT cairn_public_id(n) FROM generate_series(%s, %s) n ORDER BY n", [last - 199, last])
        assert [r[0] for r in cursor.fetchall()] == ids  # the table's own default in the order drawn
    now = timezone.now()
    bulk.copy_rows(Entity, ("id", "kind", "key", "created_at"), [(i, "person", None, now) for i in ids])
    made = [Entity.unscoped_objects.create(kind="person").pk for _ in range(24)]
    assert not set(made) & set(ids)
    # Made one after another, in no order (a chance of 2 in 24! that a permutation looks ordered).
    assert made != sorted(made) and made != sorted(made, reverse=True)


def test_copy_instances_marks_them_saved() -> None:
    (entity_id,) = bulk.allocate_ids(Entity, 1)
    entity = Entity(pk=entity_id, kind="phone", key="+447700900999", created_at=timezone.now())
    assert bulk.copy_instances(Entity, [entity]) == 1
    assert not entity._state.adding
    assert Entity.unscoped_objects.get(pk=entity_id).key == "+447700900999"


def test_a_failing_transaction_leaves_nothing() -> None:
    now = timezone.now()
    before = Entity.unscoped_objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        ids = bulk.allocate_ids(Entity, 2)
        bulk.copy_rows(Entity, ("id", "kind", "key", "created_at"), [(i, "person", None, now) for i in ids])
        raise RuntimeError("the batch fails after its rows were copied")
    assert Entity.unscoped_objects.count() == before


def test_nothing_to_allocate() -> None:
    assert bulk.allocate_ids(Entity, 0) == []


def test_public_ids_are_a_permutation_within_their_range() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT ('x' || 'ffffffff')::bit(32)::bigint")
        assert cursor.fetchone()[0] == 2**32 - 1  # read unsigned, not sign-extended
        cursor.execute(
            "SELECT count(DISTINCT cairn_public_id(n)), min(cairn_public_id(n)), max(cairn_public_id(n)) "
            "FROM generate_series(0, 200000) n"
        )
        distinct, low, high = cursor.fetchone()
        assert distinct == 200001 and low >= 2**52 and high < 2**53
        cursor.execute("SELECT cairn_public_id(0), cairn_public_id(%s)", [2**52 - 1])
        assert all(2**52 <= v < 2**53 for v in cursor.fetchone())
        with pytest.raises(DatabaseError), transaction.atomic():
            cursor.execute("SELECT cairn_public_id(%s)", [2**52])


def test_id_order_undoes_the_public_numbering_and_keeps_older_ids_as_they_are() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE cairn_id_order(cairn_public_id(n, 't'), 't') = n), "
            "count(DISTINCT cairn_public_id(n, 't')), min(cairn_public_id(n, 't')), max(cairn_public_id(n, 't')) "
            "FROM generate_series(0, 100000) n"
        )
        undone, distinct, low, high = cursor.fetchone()
        assert undone == distinct == 100001 and low >= 2**52 and high < 2**53
        cursor.execute(
            "SELECT cairn_id_order(1, 't'), cairn_id_order(%s, 't'), cairn_id_order(%s, 't')", [2**52 - 1, 2**53 - 1]
        )
        one, last_old, last_public = cursor.fetchone()
        assert (one, last_old) == (1, 2**52 - 1) and 0 <= last_public < 2**52
        for unnamed in ("SELECT cairn_public_id(1, '')", "SELECT cairn_id_order(1, '')"):
            with pytest.raises(DatabaseError, match="name the table"), transaction.atomic():
                cursor.execute(unnamed)
