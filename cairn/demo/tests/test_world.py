from __future__ import annotations

import pytest

from cairn.accounts.models import Organisation, User
from cairn.audit.services import verify_chain
from cairn.demo.loader import DEMO_PASSWORD, load_demo
from cairn.demo.world import build_world


def test_the_world_is_deterministic_for_a_seed() -> None:
    a, b = build_world(7), build_world(7)
    assert a.ground_truth() == b.ground_truth()
    assert [u.username for u in a.users] == [u.username for u in b.users]
    assert build_world(8).ground_truth() != a.ground_truth()


def test_the_world_has_the_multi_agency_response_and_ground_truth() -> None:
    world = build_world()
    kinds = [o.kind for o in world.organisations]
    assert kinds.count("police_force") >= 8 + 1 + 3
    assert {"law_enforcement_agency", "national_centre", "prosecutor", "charity", "government"} <= set(kinds)
    roles = {r for u in world.users for r in u.roles}
    assert roles == {
        "officer",
        "analyst",
        "supervisor",
        "sio",
        "victim_care",
        "caseworker",
        "financial_investigator",
        "statistician",
        "auditor",
        "administrator",
    }
    truth = world.ground_truth()
    assert len(truth["groups"]) >= 10
    members = {m for g in truth["groups"] for m in g["members"]}
    assert members <= {p["key"] for p in truth["people"]}
    assert len({p["nationality"] for p in truth["people"]}) >= 10


@pytest.mark.django_db
def test_loading_twice_does_not_duplicate_and_leaves_an_intact_chain() -> None:
    first = load_demo(11, n_reports=50)
    assert first.loaded
    counts = (Organisation.objects.count(), User.objects.count())
    second = load_demo(11, n_reports=50)
    assert not second.loaded
    assert (Organisation.objects.count(), User.objects.count()) == counts
    assert User.objects.get(username="officer.aldermoor").check_password(DEMO_PASSWORD)
    assert verify_chain().intact
