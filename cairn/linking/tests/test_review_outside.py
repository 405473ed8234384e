"""Review of linking from the outside: as users of several organisations see it over HTTP, the API and the CLI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from cairn.accounts.choices import Role
from cairn.core.testing import (
    OrganisationFactory,
    UserFactory,
    backend_pid,
    in_thread,
    submit_report,
    verified_client,
    wait_until,
    waits_for_a_lock,
)
from cairn.entities.choices import EntityKind
from cairn.entities.models import Statement
from cairn.intelligence import services as intelligence
from cairn.intelligence.inputs import ReportInput, SubjectInput
from cairn.linking import runs, selectors, services
from cairn.linking.choices import Decision
from cairn.linking.models import Hit, MatchProposal
from cairn.linking.tests.test_resolve_cli import cairn
from cairn.linking.tests.test_review_fixes import analyst, pair, person, submit
from cairn.notifications.models import Notification

# --- lock order: a split and the model saving proposals at once ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_split_and_proposals_saved_at_once_do_not_deadlock() -> None:
    """The model re-scores two pairs of a merged person (a re-resolution run) while an analyst splits it.

    A third transaction holds the first pair, so the split queues for it first and the save second;
    saved in another order than the split locks in, the save would hold the second pair the split
    needs next while waiting for the first, which the split then holds: a deadlock.
    """
    a = analyst("alder")
    x, y, z = (person(submit(a, "Ann Lee", text=f"Ann Lee, sighting {i}.")) for i in range(3))
    services.proposals_save([(x, y, 0.9, 5.0, [])])
    services.proposals_save([(y, z, 0.9, 5.0, [])])
    first, second = pair(x, y), pair(y, z)
    for p in (first, second):
        services.judge(actor=a, proposal_id=p.pk, decision=Decision.SAME, reason="same woman")

    errors: dict[str, str] = {}
    pids: dict[str, int] = {}

    def as_(name: str, fn: Any) -> Any:
        def run() -> None:
            pids[name] = backend_pid()
            fn()

        return run

    with transaction.atomic():
        MatchProposal.unscoped_objects.select_for_update().get(pk=first.pk)
        splitter = in_thread("split", errors, as_("split", lambda: services.split(actor=a, entity_id=y, reason="no")))
        wait_until(lambda: "split" in pids and waits_for_a_lock(pids["split"]), "the split to queue")
        # The model's order is whatever it found the pairs in: here the second pair first.
        rescored = [(z, y, 0.91, 5.1, []), (y, x, 0.92, 5.2, [])]
        saver = in_thread("save", errors, as_("save", lambda: services.proposals_save(rescored)))
        wait_until(lambda: "save" in pids and waits_for_a_lock(pids["save"]), "the save to queue")
    for thread in (splitter, saver):
        thread.join(120)
    assert errors == {}
    assert services.cluster_of(y) == {y}
    assert sorted(MatchProposal.unscoped_objects.values_list("probability", flat=True)) == [0.91, 0.92]


# --- a merged person joined through a record the viewer may not know of -------------------------------


def _bridge(level: str) -> dict[str, Any]:
    """Alder's and Bracken's shared records, joined only through Calder's record at ``level`` (Calder judged both)."""
    alder, bracken, calder = analyst("alder"), analyst("bracken"), analyst("calder")
    x = person(submit(alder, "Nguyen Van Minh", dob="1994-03-07"))
    y = person(submit(bracken, "Minh NGUYEN", dob="1994", text="Minh NGUYEN drives the van."))
    z = person(submit(calder, "Nguyen Minh", dob="1994-03-07", level=level, text="Source: he is Minh."))
    services.proposals_save([(x, z, 0.9, 5.0, []), (z, y, 0.9, 5.0, [])])
    for p in (pair(x, z), pair(z, y)):
        services.judge(actor=calder, proposal_id=p.pk, decision=Decision.SAME, reason="the source says so")
    return {"alder": alder, "bracken": bracken, "calder": calder, "x": x, "y": y, "z": z}


@pytest.fixture
def bridged() -> dict[str, Any]:
    return _bridge("confidential")


@pytest.mark.django_db
def test_records_joined_only_through_a_confidential_record_are_not_one_person_to_others(bridged) -> None:
    """Only Calder's confidential intelligence says Alder's and Bracken's men are one: Alder must not learn it."""
    alder, x, y = bridged["alder"], bridged["x"], bridged["y"]
    client = verified_client(alder)
    page = client.get(reverse("linking:person", args=[x])).content.decode()
    assert "Minh NGUYEN" not in page and "Merged person" not in page
    body = client.get(f"/api/v1/people/{x}").json()
    assert body["merged"] is False and [r["entity_id"] for r in body["records"]] == [x]
    assert [r["entity_id"] for r in client.get(f"/api/v1/people/{y}").json()["records"]] == [y]
    # Calder, who may read all three, sees one person.
    body = verified_client(bridged["calder"]).get(f"/api/v1/people/{x}").json()
    assert body["merged"] and {r["entity_id"] for r in body["records"]} == {x, y, bridged["z"]}


@pytest.mark.django_db
def test_a_record_known_only_by_a_flag_is_a_flag_where_it_joins_and_joins_nothing_through_it() -> None:
    """Calder's restricted record is a flag to Alder: it says Calder holds something, not whose men are one."""
    world = _bridge("restricted")
    client = verified_client(world["alder"])
    for own in (world["x"], world["y"]):
        body = client.get(f"/api/v1/people/{own}").json()
        assert [r["entity_id"] for r in body["records"]] == [own], body
        assert len(body["flags"]) == 1 and "contact_point" in body["flags"][0], body


@pytest.mark.django_db
def test_a_person_merged_also_with_a_confidential_record_looks_and_splits_like_one_without(bridged) -> None:
    """Alder merges its record with Bracken's; Calder's confidential record hangs off Bracken's.

    To Alder it is a person of two records, which Alder may split; nothing says a third exists, and
    Calder's own judgement (which Alder may not know of) stays standing.
    """
    alder, x, y, z = bridged["alder"], bridged["x"], bridged["y"], bridged["z"]
    services.judgement_undo(
        actor=bridged["calder"], judgement_id=pair(x, z).judgements.get(undone_at__isnull=True).pk, reason="no"
    )
    services.proposals_save([(x, y, 0.9, 5.0, [])])
    services.judge(actor=alder, proposal_id=pair(x, y).pk, decision=Decision.SAME, reason="same date of birth")
    client = verified_client(alder)
    page = client.get(reverse("linking:person", args=[x])).content.decode()
    assert "Merged person" in page and "Minh NGUYEN" in page
    assert "Only an analyst who may read every record" not in page and 'data-testid="split"' in page
    response = client.post(f"/api/v1/people/{x}/split", {"reason": "twins"}, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"judgements_undone": 1}
    assert services.cluster_of(x) == {x} and services.cluster_of(y) == {y, z}


# --- counts of proposals nobody may show you ----------------------------------------------------------


@pytest.mark.django_db
def test_a_re_resolution_run_does_not_count_proposals_you_may_not_see() -> None:
    calder, bracken = analyst("calder"), analyst("bracken")
    for text in ("Source one on Ann Lee.", "Source two on Ann Lee."):
        submit(calder, "Ann Lee", dob="1990-01-01", level="confidential", text=text)
    run = runs.start(actor=calder)
    runs.execute(run.pk)
    assert MatchProposal.unscoped_objects.count() == 1
    assert selectors.review_queue(actor=bracken).count() == 0
    body = verified_client(bracken).get(f"/api/v1/resolution-runs/{run.pk}").json()
    assert body["proposals_created"] == 0
    page = verified_client(bracken).get(reverse("linking:runs")).content.decode()
    cells = re.findall(r'data-testid="run-proposals">(\d+)<', page)
    assert cells == ["0"]
    # Calder, who may judge the pair, is told of it.
    assert verified_client(calder).get(f"/api/v1/resolution-runs/{run.pk}").json()["proposals_created"] == 1


# --- noise marked while a hit waits to be told ------------------------------------------------------------


@pytest.mark.django_db
def test_a_hit_held_back_by_noise_on_release_is_told_once_the_mark_is_cleared(
    django_capture_on_commit_callbacks,
) -> None:
    alder = UserFactory(organisation=OrganisationFactory(code="alder"), roles=[Role.OFFICER])
    bracken_org = OrganisationFactory(code="bracken")
    bracken = UserFactory(organisation=bracken_org, roles=[Role.OFFICER])
    supervisor = UserFactory(organisation=bracken_org, roles=[Role.SUPERVISOR])
    number = SubjectInput(kind="phone", value="0800 121 700", role="user")
    with django_capture_on_commit_callbacks(execute=True):
        submit_report(alder, number, text="Victim called the number.")
        waiting = submit_report(bracken, number, text="Low grade tip about a number.", source_evaluation="3")
    assert Hit.unscoped_objects.count() == 1 and not Notification.objects.exists()  # awaiting review
    [entity_id] = selectors.selector_entity_ids(waiting)
    services.noise_mark(actor=supervisor, entity_id=entity_id, reason="looks like a helpline")
    with django_capture_on_commit_callbacks(execute=True):
        intelligence.report_review(actor=supervisor, report=waiting, changes={"dissemination": "shared"}, reason="ok")
    assert not Notification.objects.filter(kind__in=["hit", "hit_flag"]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.noise_clear(actor=supervisor, entity_id=entity_id, reason="not a helpline after all")
    told = Notification.objects.filter(kind="hit")
    assert sorted(n.recipient_id for n in told) == sorted([alder.pk, bracken.pk])
    # Told once: marking and clearing again tells no one twice.
    services.noise_mark(actor=supervisor, entity_id=entity_id, reason="again")
    with django_capture_on_commit_callbacks(execute=True):
        services.noise_clear(actor=supervisor, entity_id=entity_id, reason="again")
    assert Notification.objects.filter(kind="hit").count() == 2


# --- runs: one at a time, even when a worker comes back ---------------------------------------------------


@pytest.mark.django_db
def test_an_abandoned_run_stays_failed_when_its_task_runs_later() -> None:
    """Its task was still queued when the worker stopped: a worker that starts again must not run it too."""
    from datetime import timedelta

    from django.utils import timezone

    from cairn.linking.choices import RunState
    from cairn.linking.models import ResolutionRun

    alder = analyst("alder")
    submit(alder, "Ann Lee", dob="1990-01-01", text="Ann Lee, sighting 1.")
    submit(alder, "Ann Lee", dob="1990-01-01", text="Ann Lee, sighting 2.")
    left = runs.start(actor=alder)
    ResolutionRun.objects.filter(pk=left.pk).update(updated_at=timezone.now() - runs.ABANDONED_AFTER - timedelta(1))
    fresh = runs.start(actor=alder)
    assert runs.execute(left.pk) == 0
    left.refresh_from_db()
    assert left.state == RunState.FAILED and left.started_at is None
    assert runs.execute(fresh.pk) == 1
    assert ResolutionRun.objects.get(pk=fresh.pk).state == RunState.DONE


@pytest.mark.django_db
def test_a_run_counts_the_pairs_it_scored_again() -> None:
    """A pair found as a report arrived, then scored again by a run, counts for the run to whoever may judge it."""
    alder = analyst("alder")
    x = person(submit(alder, "Ann Lee", dob="1990-01-01", text="Ann Lee, sighting 1."))
    y = person(submit(alder, "Ann Lee", dob="1990-01-01", text="Ann Lee, sighting 2."))
    services.proposals_save([(x, y, 0.7, 3.0, [])])  # as the second report arrived
    run = runs.start(actor=alder)
    runs.execute(run.pk)
    assert pair(x, y).probability != 0.7  # scored again
    assert selectors.run_proposals_for(actor=alder, runs=[run]) == {run.pk: 1}
    assert verified_client(alder).get(f"/api/v1/resolution-runs/{run.pk}").json()["proposals_created"] == 1


# --- cairn resolve: bad input says what is wrong ------------------------------------------------------


def _refused(tmp_path: Path, name: str, data: bytes) -> str:
    src = tmp_path / name
    src.write_bytes(data)
    out = tmp_path / "clusters.csv"
    r = cairn(str(src), "--out", str(out))
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing left behind
    return r.stderr


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"\xef\xbb\xbf"], ids=["empty", "blank lines", "only a BOM"])
def test_resolve_an_empty_file_says_it_is_empty(tmp_path: Path, data: bytes) -> None:
    message = _refused(tmp_path, "people.csv", data)
    assert "people.csv is empty" in message and "column0" not in message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_resolve_a_utf16_file_says_it_is_utf16(tmp_path: Path, encoding: str) -> None:
    message = _refused(tmp_path, "people.csv", "id,name\n1,Jose Alvarez\n2,José Álvarez\n".encode(encoding))
    assert "UTF-16" in message and "WINDOWS-1252" not in message  # converting from 1252 would garble it


def test_resolve_rows_with_more_fields_than_the_header_are_named(tmp_path: Path) -> None:
    message = _refused(tmp_path, "people.csv", b"id,name\n1,Ann Lee,extra,more\n2,Bob Ray\n")
    assert "has no column id" not in message  # it has: the rows do not fit it
    assert "line 2" in message and "4 fields" in message and "2" in message


def test_resolve_an_open_quote_is_named_not_a_traceback(tmp_path: Path) -> None:
    # Python's reader gives up on a field past 128 KiB: a quote never closed before a long tail.
    message = _refused(tmp_path, "people.csv", b'id,name\n1,"Ann Lee,x,y\n' + b"2,Bob Ray\n" * 20_000)
    assert "line 2" in message and "quote" in message


def test_resolve_a_ragged_record_is_named_by_the_line_it_starts_on(tmp_path: Path) -> None:
    message = _refused(tmp_path, "people.csv", b'id,name\n1,"Ann\nLee"\n2,"Bob\nRay\nJr",x,y\n3,Cy\n')
    assert "line 4 has 4 fields" in message


def test_resolve_a_stray_nul_in_a_utf8_file_is_not_called_utf16(tmp_path: Path) -> None:
    src = tmp_path / "people.csv"
    src.write_bytes("id,name\n1,José Álvarez\x00\n2,Bob Ray\n".encode())
    r = cairn(str(src), "--out", str(tmp_path / "clusters.csv"))
    assert "UTF-16" not in r.stderr and "Traceback" not in r.stderr


# --- the person page is for people ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_person_page_and_api_do_not_show_a_phone_as_a_person() -> None:
    alder = analyst("alder")
    report = submit(alder, "Ann Lee", phone="07700 900461")
    [phone] = selectors.selector_entity_ids(report)
    client = verified_client(alder)
    assert client.get(reverse("linking:person", args=[phone])).status_code == 404
    assert client.get(f"/api/v1/people/{phone}").status_code == 404
    assert client.get(f"/api/v1/people/{person(report)}").status_code == 200


def _two_namesakes_in_one_report(author: Any) -> Any:
    """A father and son of one name and one recorded date of birth, named in one report."""
    return intelligence.report_submit(
        actor=author,
        data=ReportInput(
            text="Nguyen Van Minh and his son, also Nguyen Van Minh, collect the workers.",
            source_evaluation="2",
            intelligence_assessment="B",
            handling_code="P",
            dissemination="shared",
            subjects=[
                SubjectInput(kind="person", value="Nguyen Van Minh", role="suspect", date_of_birth="1994-03-07"),
                SubjectInput(kind="person", value="Nguyen Van Minh", role="associate", date_of_birth="1994-03-07"),
            ],
        ),
    )


@pytest.mark.django_db
def test_a_re_resolution_run_proposes_no_two_people_of_one_report() -> None:
    """As real-time matching holds: two people named in one report are two people."""
    alder = analyst("alder")
    _two_namesakes_in_one_report(alder)
    run = runs.start(actor=alder)
    runs.execute(run.pk)
    assert not MatchProposal.unscoped_objects.exists()


@pytest.mark.django_db
@override_settings(CAIRN_AUTO_MERGE_THRESHOLD=0.95)
def test_a_re_resolution_run_merges_no_two_people_of_one_report_automatically() -> None:
    alder = analyst("alder")
    report = _two_namesakes_in_one_report(alder)
    father, son = Statement.unscoped_objects.filter(
        report=report, entity__kind=EntityKind.PERSON, prop="subject"
    ).values_list("entity_id", flat=True)
    run = runs.start(actor=alder)
    runs.execute(run.pk)
    assert services.cluster_of(father) == {father}
    assert services.cluster_of(son) == {son}


@pytest.mark.django_db
def test_a_re_resolution_run_still_proposes_namesakes_of_two_reports() -> None:
    """The same pair in two reports is proposed: only records of one report are kept apart."""
    alder, bracken = analyst("alder"), analyst("bracken")
    x = person(submit(alder, "Nguyen Van Minh", dob="1994-03-07", text="Nguyen Van Minh at the farm."))
    y = person(submit(bracken, "Nguyen Van Minh", dob="1994-03-07", text="Nguyen Van Minh at the port."))
    run = runs.start(actor=alder)
    runs.execute(run.pk)
    assert MatchProposal.unscoped_objects.filter(left_id=min(x, y), right_id=max(x, y)).exists()
