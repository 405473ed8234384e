"""Crime groups from the outside: detect over HTTP, adopt, see in full or as a flag, assess, load schemes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from cairn.access.flags import flag_token
from cairn.accounts.choices import Role
from cairn.accounts.models import User
from cairn.audit.models import AuditEntry
from cairn.core.testing import (
    OrganisationFactory,
    SharingGroupFactory,
    UserFactory,
    run_cli,
    submit_report,
    verified_client,
)
from cairn.entities.choices import Property
from cairn.entities.models import Entity, Statement
from cairn.groups import detection
from cairn.groups.models import CrimeGroup, DetectionRun, ThreatAssessment, ThreatScheme
from cairn.groups.selectors import active_scheme
from cairn.intelligence.inputs import SubjectInput
from cairn.intelligence.models import IntelligenceReport

pytestmark = pytest.mark.django_db

API = "/api/v1"


def make_user(**kwargs: Any) -> User:
    return UserFactory(**kwargs)  # type: ignore[return-value]


def submit(author: User, *subjects: SubjectInput, level: str = "shared", groups: list[int] | None = None) -> Any:
    return submit_report(author, *subjects, level=level, groups=groups, text="Crime group test report.")


def person(name: str) -> SubjectInput:
    return SubjectInput(kind="person", value=name, role="suspect")


def linked(kind: str, value: str, relation: str) -> SubjectInput:
    return SubjectInput(kind=kind, value=value, role="other", linked_to=0, relation=relation)


class World:
    """Two forces report one network between them; a third holds something confidential on its phone."""

    def __init__(self) -> None:
        self.aldermoor = OrganisationFactory(code="aldermoor", name="Aldermoor Police", region="North")
        self.calderfell = OrganisationFactory(code="calderfell", name="Calderfell Police", region="South")
        self.dunmere = OrganisationFactory(code="dunmere", name="Dunmere Police")
        self.analyst = make_user(username="ana", organisation=self.aldermoor, roles=[Role.ANALYST])
        self.colleague = make_user(username="cal", organisation=self.calderfell, roles=[Role.ANALYST])
        self.dunmere_analyst = make_user(username="dun", organisation=self.dunmere, roles=[Role.ANALYST])
        self.officer = make_user(username="off", organisation=self.aldermoor, roles=[Role.OFFICER])
        a = submit(
            self.analyst,
            person("Marek Kowalczyk"),
            linked("phone", "07700 900501", "uses"),
            linked("vrm", "AB12 CDE", "owns"),
        )
        c = submit(
            self.colleague,
            person("Jonas Petrauskas"),
            linked("phone", "07700 900501", "uses"),
            linked("address", "14 Mill Lane, Aldermoor AL1 4QT", "works_at"),
        )
        secret = submit(self.dunmere_analyst, person("Hidden Person"), linked("phone", "07700 900999", "uses"))
        secret.dissemination = "confidential"
        secret.save(update_fields=["dissemination"])
        self.entities = sorted(
            set(
                Statement.objects.unscoped()
                .filter(report__in=[a, c], prop=Property.SUBJECT)
                .values_list("entity_id", flat=True)
            )
        )
        self.phone = Entity.objects.unscoped().get(key="+447700900501").pk
        self.secret_entities = sorted(
            Statement.objects.unscoped()
            .filter(report=secret, prop=Property.SUBJECT)
            .values_list("entity_id", flat=True)
        )


@pytest.fixture
def world() -> World:
    return World()


def adopt(client: Client, members: list[int], **extra: Any) -> Any:
    body = {"name": "Mill Lane group", "members": members, "summary": "Runs the car wash."} | extra
    return client.post(f"{API}/crime-groups", data=json.dumps(body), content_type="application/json")


def test_an_analyst_detects_adopts_and_another_force_sees_only_a_flag(world: World) -> None:
    client = verified_client(world.analyst)
    found = client.get(f"{API}/network/communities", {"entities": ",".join(map(str, world.entities)), "min_size": 2})
    assert found.status_code == 200, found.content
    groups = found.json()["groups"]
    members = sorted(e for g in groups for ids in g["members"].values() for e in ids)
    assert members == world.entities
    # The phone both forces reported sits in a candidate whose spread names both.
    with_phone = next(g for g in groups if world.phone in g["members"].get("phones", []))
    assert set(with_phone["organisations"]) == {"aldermoor", "calderfell"}

    made = adopt(client, members)
    assert made.status_code == 201, made.content
    group = made.json()
    assert group["access"] == "full" and group["name"] == "Mill Lane group"
    assert sorted(m["entity_id"] for m in group["members"]) == members
    assert group["organisations"]["aldermoor"] >= 1 and group["organisations"]["calderfell"] >= 1
    record = CrimeGroup.objects.unscoped().get(pk=group["id"])
    assert record.report.dissemination == "restricted" and record.entity.kind == "organisation"
    assert AuditEntry.objects.filter(object_type="groups.crime_group", action="create").count() == 1

    other = verified_client(world.colleague)
    listed = other.get(f"{API}/crime-groups").json()
    assert listed == [
        {
            "id": record.pk,
            "access": "flag",
            "organisation": "Aldermoor Police",
            "contact_point": world.aldermoor.contact_point,
            "recorded": record.adopted_at.date().isoformat(),
            # The record's flag, as the flag of its report on the group itself: to ask for access with.
            "flag": flag_token(world.colleague.pk, record.report_id, record.entity_id),
        }
    ]
    page = other.get(f"/groups/{record.pk}/")
    assert page.status_code == 200
    assert b"Mill Lane group" not in page.content and b"holds a crime-group record" in page.content
    assert b"Marek" not in page.content


def test_a_confidential_group_does_not_exist_for_others(world: World) -> None:
    made = adopt(verified_client(world.analyst), world.entities[:3], dissemination="confidential")
    assert made.status_code == 201
    other = verified_client(world.colleague)
    assert other.get(f"{API}/crime-groups").json() == []
    assert other.get(f"{API}/crime-groups/{made.json()['id']}").status_code == 404
    assert other.get(f"/groups/{made.json()['id']}/").status_code == 404


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"dissemination": "shared"}, "dissemination"),
        ({"name": "   "}, "name"),
        ({"members": "one"}, "members"),
        ({"source_evaluation": "9"}, "source_evaluation"),
    ],
)
def test_bad_adoptions_are_refused_and_write_nothing(world: World, extra: dict[str, Any], field: str) -> None:
    client = verified_client(world.analyst)
    before = IntelligenceReport.objects.unscoped().count()
    members = world.entities[:1] if extra.get("members") == "one" else world.entities
    extra = {k: v for k, v in extra.items() if k != "members"}
    answer = adopt(client, members, **extra)
    assert answer.status_code == 422
    assert field in answer.json()["errors"]
    assert IntelligenceReport.objects.unscoped().count() == before
    assert not CrimeGroup.objects.unscoped().exists()


def test_a_member_the_analyst_may_not_read_is_refused_as_if_it_did_not_exist(world: World) -> None:
    client = verified_client(world.analyst)
    hidden = adopt(client, [*world.entities[:2], world.secret_entities[0]]).json()
    missing = adopt(client, [*world.entities[:2], 99_999_999]).json()
    assert hidden["errors"]["members"] == [f"Entity {world.secret_entities[0]} is not one you can read."]
    assert missing["errors"]["members"] == ["Entity 99999999 is not one you can read."]
    # The chart's community detection leaves it out too.
    found = client.get(f"{API}/network/communities", {"entities": ",".join(map(str, world.secret_entities))}).json()
    assert found == {"entities": 0, "links": 0, "groups": []}


def test_threat_assessment_under_the_example_scheme_and_who_may_make_one(world: World) -> None:
    scheme = active_scheme()
    assert scheme is not None and scheme.example and "EXAMPLE" in scheme.description
    sharing = SharingGroupFactory(name="North-South cell")
    sharing.members.add(world.aldermoor, world.calderfell)  # type: ignore[attr-defined]
    client = verified_client(world.analyst)
    group_id = adopt(client, world.entities, dissemination="confidential", sharing_group_ids=[sharing.pk]).json()["id"]
    scores = {f["key"]: 2 for f in scheme.factors}
    bad = client.post(
        f"{API}/crime-groups/{group_id}/assessments",
        data=json.dumps({"scores": {"size": 2}, "rationale": "partial"}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and "scores.violence" in bad.json()["errors"]
    made = client.post(
        f"{API}/crime-groups/{group_id}/assessments",
        data=json.dumps({"scores": scores, "rationale": "Violence against two victims; three forces."}),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    expected = sum(f["weight"] * 2 for f in scheme.factors)
    band = next(b for b in scheme.bands if expected >= b["min_score"])
    assert made.json()["total"] == expected and made.json()["band"] == band["label"]

    # Calderfell reads the group in full through the sharing group, and its assessment, but may not assess it.
    other = verified_client(world.colleague)
    seen = other.get(f"{API}/crime-groups/{group_id}").json()
    assert seen["access"] == "full" and seen["band"] == band["label"]
    refused = other.post(
        f"{API}/crime-groups/{group_id}/assessments",
        data=json.dumps({"scores": scores, "rationale": "mine"}),
        content_type="application/json",
    )
    assert refused.status_code == 404
    assert ThreatAssessment.objects.unscoped().count() == 1
    # An officer is not an analyst: the whole area is hidden.
    assert verified_client(world.officer).get(f"{API}/crime-groups/{group_id}").status_code == 404


def test_pages_adopt_and_assess(world: World) -> None:
    client = verified_client(world.analyst)
    members = ",".join(map(str, world.entities))
    form = client.get("/groups/adopt/", {"members": f"{members},{world.secret_entities[0]}", "found_by": "chart"})
    assert form.status_code == 200
    assert b"Marek Kowalczyk" in form.content and b"Hidden Person" not in form.content
    post = {
        "offered": members,
        "members": [str(e) for e in world.entities],
        "name": "Car wash group",
        "summary": "",
        "found_by": "chart",
        "source_evaluation": "1",
        "intelligence_assessment": "B",
        "handling_code": "P",
        "dissemination": "restricted",
    }
    empty_name = client.post("/groups/adopt/", post | {"name": ""})
    assert empty_name.status_code == 422 and b"There is a problem" in empty_name.content
    done = client.post("/groups/adopt/", post)
    assert done.status_code == 302
    detail = client.get(done["Location"])
    assert b"Car wash group" in detail.content and b"Jonas Petrauskas" in detail.content
    scheme = active_scheme()
    assert scheme is not None
    assessed = client.post(
        f"{done['Location']}assess/",
        {f"score_{f['key']}": "1" for f in scheme.factors} | {"rationale": "Early days."},
    )
    assert assessed.status_code == 302
    assert b"Early days." in client.get(done["Location"]).content
    assert b"Car wash group" in client.get("/groups/").content


def test_a_detection_run_over_everything_visible(world: World) -> None:
    client = verified_client(world.analyst)
    started = client.post(f"{API}/detection-runs")
    assert started.status_code == 202
    run_id = started.json()["id"]
    assert detection.execute(run_id) >= 1
    run = client.get(f"{API}/detection-runs/{run_id}").json()
    assert run["state"] == "done" and run["percent"] == 100
    members = {e for c in run["candidates"] for ids in c["members"].values() for e in ids}
    # Groups of three or more, from what the analyst may read: never the confidential report's subjects.
    assert members and members <= set(world.entities) and not members & set(world.secret_entities)
    # Someone else's run does not exist for you.
    assert verified_client(world.colleague).get(f"{API}/detection-runs/{run_id}").status_code == 404
    page = client.get(f"/groups/runs/{run_id}/")
    assert page.status_code == 200 and b"Adopt as a crime group" in page.content
    assert DetectionRun.objects.get(pk=run_id).entities >= len(world.entities)


@pytest.mark.django_db(transaction=True)
def test_threat_scheme_cli_loads_versions_and_refuses_bad_files(tmp_path: Path) -> None:
    example = run_cli("threat_scheme", "example")
    assert example.returncode == 0
    data = json.loads(example.stdout)
    data["name"] = "Northshire scheme"
    data["example"] = False
    good = tmp_path / "scheme.json"
    good.write_text(json.dumps(data))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data | {"bands": [{"band": "1", "label": "top", "min_score": 10}]}))
    refused = run_cli("threat_scheme", "load", str(bad))
    assert refused.returncode != 0 and "lowest band must start at 0" in refused.stderr
    assert not ThreatScheme.objects.filter(name="Northshire scheme").exists()
    assert run_cli("threat_scheme", "load", str(good)).returncode == 0
    assert run_cli("threat_scheme", "load", str(good)).returncode == 0
    listed = run_cli("threat_scheme", "list").stdout
    assert "Northshire scheme\tv2" in listed and "(active)" in listed
    active = ThreatScheme.objects.get(active=True)
    assert (active.name, active.version, active.example) == ("Northshire scheme", 2, False)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert "not JSON" in run_cli("threat_scheme", "load", str(broken)).stderr
