"""COPY-based bulk writes: ids drawn from the table's own sequence, rows inside the caller's transaction."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from cairn.core import bulk
from cairn.entities.models import Entity

pytestmark = pytest.mark.django_db


def test_ids_come_from_the_sequence_and_rows_from_copy() -> None:
    now = timezone.now()
    ids = bulk.allocate_ids(Entity, 3)
    assert ids == sorted(ids) and len(set(ids)) == 3
    written = bulk.copy_rows(Entity, ("id", "kind", "key", "created_at"), [(i, "person", None, now) for i in ids])
    assert written == 3
    assert set(Entity.unscoped_objects.filter(pk__in=ids).values_list("kind", flat=True)) == {"person"}
    # The sequence moved on: an ORM insert after a COPY cannot collide with the copied ids.
    assert Entity.unscoped_objects.create(kind="person").pk > max(ids)


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
