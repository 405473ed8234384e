"""Search and watches as people of several organisations use them over HTTP: bad input, paging, reasons, alerts.

A review from outside: each test drives the page, the JSON API or the watch services the way a user
or a client would, and checks what they see against the access rule (docs/access-control.md).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.access.flags import flag_token
from cairn.accounts.choices import Role
from cairn.audit.choices import AuditAction
from cairn.audit.models import AuditEntry
from cairn.core.testing import UserFactory, verified_client
from cairn.intelligence import services
from cairn.intelligence.inputs import ReportInput, SubjectInput
from cairn.notifications.models import Notification
from cairn.search import services as watches
from cairn.search.models import Watch
from cairn.search.tests import test_search
from cairn.search.tests.test_search import person, report

pytestmark = pytest.mark.django_db

# test_search's personas: an analyst in each of three forces (alder, bracken, calder).
forces = test_search.forces

API = "/api/v1/search"
REASON = "Op Outside 1"


def phone(number: str) -> SubjectInput:
    return SubjectInput(kind="phone", value=number, role="user")


def page_and_api(user: Any, params: dict[str, str]) -> tuple[Any, Any]:
    """The same search on the page and over the API, as one signed-in person with a stated reason."""
    client = verified_client(user, reason=REASON)
    return client.get(reverse("search:search"), params), client.get(API, {**params, "reason": REASON})


# --- bad input: a clear message on the page and the API, never an error page ----------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": ""}, "Type a name"),
        ({"q": "a"}, "at least two characters"),
        ({"q": "x" * 10_000}, "keep it under 200"),
        ({"q": "\x00 \x00"}, "Type a name"),
        ({"q": "Ana Popescu", "dob": "1985-02-30"}, "not a real date"),
        ({"q": "Ana Popescu", "dob": "150-200"}, "two ages"),
        ({"q": "Ana Popescu", "date_from": "2026-02-30"}, "not a date"),
        ({"q": "Ana Popescu", "date_from": "2026-02-02", "date_to": "2026-02-01"}, "date is after the"),
        ({"q": "Ana Popescu", "page": "1.5"}, "not a number"),
        ({"q": "Ana Popescu", "page": "9" * 5000}, "not a number"),
        ({"q": "Ana Popescu", "kind": "x" * 5000}, "is not one of them"),
        ({"q": "!!", "kind": "person"}, "is not a name"),
    ],
)
def test_bad_input_is_a_message_on_the_page_and_a_422_with_the_same_words_over_the_api(
    forces, params: dict[str, str], message: str
) -> None:
    page, api = page_and_api(forces["alder"], params)
    assert page.status_code == 200 and message in page.content.decode()
    assert api.status_code == 422 and message in api.json()["message"]
    assert api.json()["code"] == "invalid_input"  # as every other 422 of the API is labelled


@pytest.mark.parametrize(
    "query", ["'; DROP TABLE search_watch; --", ".*[(", '"unbalanced', "foo:* & !bar", "%_\\", "(((", "😀😀"]
)
def test_metacharacters_are_searched_as_text_over_the_api_too(forces, query: str) -> None:
    page, api = page_and_api(forces["alder"], {"q": query})
    assert page.status_code == 200 and 'data-testid="understood"' in page.content.decode()
    assert api.status_code == 200 and api.json()["query"] == query and api.json()["total"] == 0


@pytest.mark.parametrize("raw", ["-1", "0", "-99999"])
def test_a_page_number_below_one_is_refused_plainly(forces, raw: str) -> None:
    """Before: silently turned into page 1, and the search's own "Pages start at 1." was never said."""
    report(forces["alder"], "Tomasz Nowak at the factory.", person("Tomasz Nowak"))
    page, api = page_and_api(forces["alder"], {"q": "Tomasz Nowak", "page": raw})
    assert page.status_code == 200 and "Pages start at 1." in page.content.decode()
    assert api.status_code == 422 and api.json()["message"] == "Pages start at 1."


@pytest.mark.parametrize("organisation", ["alder\x00", "no-such-force", "x" * 5000])
def test_an_organisation_filter_that_names_no_organisation_is_refused_plainly(forces, organisation: str) -> None:
    """Before: a NUL byte reached PostgreSQL (an error page, a 500 over the API); an unknown code found nothing."""
    page, api = page_and_api(forces["alder"], {"q": "Tomasz Nowak", "organisation": organisation})
    assert page.status_code == 200 and "Choose an organisation from the list." in page.content.decode()
    assert api.status_code == 422 and api.json()["message"] == "Choose an organisation from the list."


def test_an_api_reason_with_control_characters_is_recorded_without_them(forces) -> None:
    """Before: the NUL byte reached the audit log's COPY and the search was a 500."""
    report(forces["alder"], "Tomasz Nowak at the factory.", person("Tomasz Nowak"))
    client = verified_client(forces["alder"], reason="")
    api = client.get(API, {"q": "Tomasz Nowak", "reason": "Op\x00Lantern\x07 7"})
    assert api.status_code == 200 and api.json()["total"] == 1
    assert AuditEntry.objects.filter(action="search").latest("id").reason == "Op Lantern 7"
    # Nothing but control characters is no reason at all: the search does not run.
    before = AuditEntry.objects.filter(action="search").count()
    refused = client.get(API, {"q": "Tomasz Nowak", "reason": "\x00\x01 "})
    assert refused.status_code == 422 and "reason" in refused.json()["message"]
    assert AuditEntry.objects.filter(action="search").count() == before


def test_a_long_bad_date_of_birth_or_nationality_is_not_echoed_back_whole(forces) -> None:
    for params in ({"q": "Ana Popescu", "dob": "y" * 10_000}, {"q": "Ana Popescu", "nationality": "z" * 10_000}):
        page, api = page_and_api(forces["alder"], params)
        message = api.json()["message"]
        assert api.status_code == 422 and len(message) < 200, message[:80]
        # The form keeps what was typed; the message says what is wrong without repeating all of it.
        error = page.content.decode().split('data-testid="search-error">', 1)[1].split("</p>", 1)[0]
        assert page.status_code == 200 and len(error) < 250, error[:80]


# --- paging: stable order, no duplicates or gaps, the same on the page and the API -----------------


def test_people_with_the_same_score_page_without_duplicates_or_gaps(forces) -> None:
    made = [report(forces["bracken"], f"Seen on visit {i}.", person("Ana Popescu")) for i in range(45)]
    client = verified_client(forces["alder"], reason=REASON)
    pages = [client.get(API, {"q": "Ana Popescu", "page": n, "reason": REASON}).json() for n in (1, 2, 3)]
    assert [p["pages"] for p in pages] == [3, 3, 3] and [len(p["hits"]) for p in pages] == [20, 20, 5]
    assert {h["score"] for p in pages for h in p["hits"]} == {1.0}  # every one ties
    shown = [r["id"] for p in pages for h in p["hits"] for r in h["reports"]]
    assert sorted(shown) == sorted(r.pk for r in made)  # each report once: no duplicate, no gap
    again = client.get(API, {"q": "Ana Popescu", "page": 2, "reason": REASON}).json()
    assert [h["entity_id"] for h in again["hits"]] == [h["entity_id"] for h in pages[1]["hits"]]
    past = client.get(API, {"q": "Ana Popescu", "page": 4, "reason": REASON}).json()
    assert past["hits"] == [] and "only 3 page" in past["message"]


def test_reports_with_the_same_words_page_without_duplicates_or_gaps(forces) -> None:
    made = [report(forces["bracken" if i % 2 else "alder"], "Workers at the quarry.") for i in range(45)]
    report(forces["calder"], "Workers at the quarry, held tight.", level="confidential")
    client = verified_client(forces["alder"], reason=REASON)
    pages = [client.get(API, {"q": "quarry workers", "page": n, "reason": REASON}).json() for n in (1, 2, 3)]
    assert [p["total"] for p in pages] == [45] * 3
    shown = [r["id"] for p in pages for r in p["reports"]]
    assert len(shown) == len(set(shown)) == 45 and set(shown) == {r.pk for r in made}
    html = client.get(reverse("search:search"), {"q": "quarry workers", "page": "2"}).content.decode()
    assert "Page 2 of 3" in html and all(r["reference"] in html for r in pages[1]["reports"])


def test_a_selector_search_is_one_page_and_its_second_page_does_not_repeat_the_first(forces) -> None:
    """Before: page 2 of a phone search said "only 1 page" and then gave page 1's hit again."""
    made = report(forces["bracken"], "Driver uses the phone.", phone("07700 900321"))
    client = verified_client(forces["alder"], reason=REASON)
    first = client.get(API, {"q": "07700 900321", "page": "1", "reason": REASON}).json()
    assert [r["id"] for h in first["hits"] for r in h["reports"]] == [made.pk] and first["pages"] == 1
    second = client.get(API, {"q": "07700 900321", "page": "2", "reason": REASON}).json()
    assert second["hits"] == [] and "only 1 page" in second["message"]
    html = client.get(reverse("search:search"), {"q": "07700 900321", "page": "2"}).content.decode()
    assert made.reference not in html and "only 1 page" in html


def test_a_selector_named_in_more_reports_than_are_read_says_so(forces, monkeypatch) -> None:
    """Only the newest reports naming a selector are read (200); the hit says when there are more."""
    from cairn.search import selectors

    monkeypatch.setattr(selectors, "SELECTOR_REPORTS", 2)
    made = [report(forces["bracken"], f"Driver {i} uses the phone.", phone("07700 900321")) for i in range(3)]
    client = verified_client(forces["alder"], reason=REASON)
    hit = client.get(API, {"q": "07700 900321", "reason": REASON}).json()["hits"][0]
    assert [r["id"] for r in hit["reports"]] == [made[2].pk, made[1].pk] and hit["reports_capped"] is True
    html = client.get(reverse("search:search"), {"q": "07700 900321"}).content.decode()
    assert 'data-testid="reports-capped"' in html
    # Exactly as many as are read is not "more".
    monkeypatch.setattr(selectors, "SELECTOR_REPORTS", 3)
    hit = client.get(API, {"q": "07700 900321", "reason": REASON}).json()["hits"][0]
    assert len(hit["reports"]) == 3 and hit["reports_capped"] is False


def test_a_report_writing_the_selector_twice_is_one_report_against_the_cap(forces, monkeypatch) -> None:
    from cairn.search import selectors

    monkeypatch.setattr(selectors, "SELECTOR_REPORTS", 2)
    made = [
        report(forces["bracken"], f"Driver {i} uses 07700 900321.", phone("07700 900321"), phone("+44 7700 900321"))
        for i in range(2)
    ]
    client = verified_client(forces["alder"], reason=REASON)
    hit = client.get(API, {"q": "07700 900321", "reason": REASON}).json()["hits"][0]
    assert {r["id"] for r in hit["reports"]} == {r.pk for r in made} and hit["reports_capped"] is False


# --- reasons and the audit ----------------------------------------------------------------------


def test_the_audit_of_a_search_records_all_of_what_was_asked(forces) -> None:
    """Before: only the name was recorded; the date of birth, nationality and filters it was narrowed by were lost."""
    report(forces["bracken"], "Ana Popescu at the farm.", person("Ana Popescu", "1990-04-02"))
    page, api = page_and_api(
        forces["alder"],
        {"q": "Ana Popescu", "dob": "1990", "nationality": "ro", "organisation": "bracken", "kind": "person"},
    )
    assert page.status_code == 200 and api.status_code == 200 and api.json()["total"] == 1
    for entry in AuditEntry.objects.filter(action="search").order_by("-id")[:2]:
        assert entry.object_repr == "Ana Popescu" and entry.reason == REASON and entry.detail["results"] == 1
        assert entry.detail["asked"] == {
            "kind": "person",
            "dob": "1990",
            "nationality": "ro",
            "organisation": "bracken",
        }


def test_no_reason_no_search_on_the_page_or_the_api(forces) -> None:
    report(forces["alder"], "Tomasz Nowak at the factory.", person("Tomasz Nowak"))
    client = verified_client(forces["alder"], reason="")
    for params in ({"q": "Tomasz Nowak"}, {"q": "07700 900321"}, {"q": "quarry", "kind": "text"}):
        page = client.get(reverse("search:search"), params)
        assert page.status_code == 302 and reverse("core:reason") in page["Location"]
        api = client.get(API, {**params, "reason": "   "})
        assert api.status_code == 422
    assert not AuditEntry.objects.filter(action="search").exists()


# --- watches --------------------------------------------------------------------------------------


def test_a_watch_of_an_unknown_kind_is_refused_not_made_a_watch_on_words(forces) -> None:
    """Before: kind 'telepathy' on a phone made a word watch, which never flags restricted holdings of the phone."""
    client = verified_client(forces["alder"])
    api = client.post(
        "/api/v1/watches",
        {"query": "07700 900461", "kind": "telepathy", "reason": "op"},
        content_type="application/json",
    )
    assert api.status_code == 422 and "telepathy" in api.json()["message"]
    page = client.post(reverse("search:watches"), {"query": "07700 900461", "kind": "telepathy", "reason": "op"})
    assert page.status_code == 422 and "telepathy" in page.content.decode()
    assert not Watch.objects.exists()
    made = client.post("/api/v1/watches", {"query": "07700 900461", "reason": "op"}, content_type="application/json")
    assert made.status_code == 201 and made.json()["kind"] == "selector"


def test_a_watch_is_a_standing_search_and_needs_a_reason(forces) -> None:
    client = verified_client(forces["alder"], reason="")
    api = client.post("/api/v1/watches", {"query": "07700 900461"}, content_type="application/json")
    assert api.status_code == 422 and "reason" in api.json()["message"]
    page = client.post(reverse("search:watches"), {"query": "07700 900461", "reason": "  \x00 "})
    assert page.status_code == 422 and "Give a reason" in page.content.decode()
    assert not Watch.objects.exists()
    # Given once on the page, it is remembered for the session, as a search's reason is.
    client.post(reverse("search:watches"), {"query": "07700 900461", "reason": "OP-ASH 14/2026"})
    client.post(reverse("search:watches"), {"query": "Ilir Krasniqi"})
    made = AuditEntry.objects.filter(object_type="search.watch", action=AuditAction.CREATE).order_by("id")
    assert [(e.object_repr, e.reason) for e in made] == [
        ("watch on '07700 900461'", "OP-ASH 14/2026"),
        ("watch on 'Ilir Krasniqi'", "OP-ASH 14/2026"),
    ]
    assert 'value="OP-ASH 14/2026"' in client.get(reverse("search:watches")).content.decode()


def test_someone_elses_watch_cannot_be_listed_or_stopped(forces) -> None:
    owner, other = verified_client(forces["alder"]), verified_client(forces["bracken"])
    watch_id = owner.post(
        "/api/v1/watches", {"query": "07700 900461", "reason": "op"}, content_type="application/json"
    ).json()["id"]
    assert other.get("/api/v1/watches").json() == []
    # The same answer as for a watch that does not exist: its existence is not confirmed.
    assert other.delete(f"/api/v1/watches/{watch_id}").status_code == 204
    assert other.post(reverse("search:watch-stop", args=[watch_id])).status_code == 302
    assert Watch.objects.get(pk=watch_id).active
    assert not AuditEntry.objects.filter(object_type="search.watch", actor=forces["bracken"]).exists()
    assert [w["id"] for w in owner.get("/api/v1/watches").json()] == [watch_id]
    assert owner.delete(f"/api/v1/watches/{watch_id}").status_code == 204
    assert owner.get("/api/v1/watches").json() == [] and not Watch.objects.get(pk=watch_id).active


def test_a_watcher_hears_when_a_report_is_released_from_review_and_again_when_it_is_widened(
    forces, django_capture_on_commit_callbacks
) -> None:
    watcher, holder = forces["alder"], forces["calder"]
    supervisor = UserFactory(organisation=holder.organisation, roles=[Role.SUPERVISOR])
    watches.watch_create(actor=watcher, query="07700 900999")
    with django_capture_on_commit_callbacks(execute=True):
        held = services.report_submit(
            actor=holder,
            data=ReportInput(
                text="Phone 07700 900999 at the flat.",
                source_evaluation="3",  # awaiting review: the originator's only
                intelligence_assessment="B",
                handling_code="P",
                dissemination="restricted",
                subjects=[phone("07700 900999")],
            ),
        )
    assert not Notification.objects.exists()
    phone_id = held.statements.get(entity__kind="phone", prop="subject").entity_id
    link = f"/intelligence/flags/{flag_token(watcher.pk, held.pk, phone_id)}/"  # the flag's token, never the id

    with django_capture_on_commit_callbacks(execute=True):
        services.report_review(actor=supervisor, report=held, changes={"source_evaluation": "2"})
    told = Notification.objects.get(recipient=watcher)
    assert (told.kind, told.link) == ("watch_flag", link) and "Calder Police" in told.text
    interest = Notification.objects.get(kind="interest")
    assert interest.recipient == holder and held.reference in interest.text
    assert watcher.username not in interest.text and watcher.organisation.name not in interest.text

    with django_capture_on_commit_callbacks(execute=True):
        services.report_edit(actor=supervisor, report=held, changes={"dissemination": "shared"}, reason="wider")
    assert sorted(Notification.objects.filter(recipient=watcher).values_list("kind", "link")) == [
        ("watch", f"/intelligence/{held.pk}/"),  # readable now: the report itself
        ("watch_flag", link),
    ]
    assert Notification.objects.filter(kind="interest").count() == 1  # no second interest notice


def test_alerting_reads_each_watchers_access_once_whatever_the_number_of_reports(
    forces, django_capture_on_commit_callbacks
) -> None:
    """Before: one query per readable report (is it the watcher's own?) and one per flagged report (its author)."""
    watcher, holder = forces["alder"], forces["bracken"]
    watches.watch_create(actor=watcher, query="07700 900444")

    def batch(n: int, level: str) -> list[int]:
        data = ReportInput(
            text="The phone again.",
            source_evaluation="2",
            intelligence_assessment="B",
            handling_code="P",
            dissemination=level,
            subjects=[phone("07700 900444")],
        )
        with django_capture_on_commit_callbacks(execute=False):
            made = services.report_submit_many(actor=holder, items=[data] * n)
        return [r.pk for r in made]

    def queries(report_ids: list[int]) -> int:
        Notification.objects.all().delete()
        with CaptureQueriesContext(connection) as ran:
            watches.notify_watchers(report_ids)
        return len(ran)

    # The watcher's own report in the batch: still no alert about it.
    with django_capture_on_commit_callbacks(execute=False):
        own = report(watcher, "My own note of the phone.", phone("07700 900444"))
    few = batch(2, "shared") + batch(2, "restricted")
    many = batch(8, "shared") + batch(8, "restricted")
    assert queries([*few, own.pk]) == queries([*many, own.pk])
    mine = Notification.objects.filter(recipient=watcher)
    assert sorted(mine.filter(kind="watch").values_list("link", flat=True)) == sorted(
        f"/intelligence/{pk}/" for pk in many[:8]
    )
    assert mine.filter(kind="watch_flag").count() == 8
    assert not mine.filter(link=f"/intelligence/{own.pk}/").exists()
    assert Notification.objects.filter(recipient=holder, kind="interest").count() == 8
