"""What the search box makes of a query, found by an outside review (7 December 2026), over the API.

Words shaped like a document number or a plate that find no such selector are searched as words; a
name of up to eight words is a name; nationality as reports take it (two or three letters); flags
once, on the first page.
"""

from __future__ import annotations

from typing import Any

import pytest

from cairn.core.testing import verified_client
from cairn.intelligence import services
from cairn.intelligence.inputs import ReportInput, SubjectInput
from cairn.search.tests import test_search

pytestmark = pytest.mark.django_db

# test_search's personas: an analyst in each of three forces (alder, bracken, calder).
forces = test_search.forces

API = "/api/v1/search"
REASON = "Op Review 1"


def person(name: str, dob: str = "", nationality: str = "") -> SubjectInput:
    return SubjectInput(kind="person", value=name, role="suspect", date_of_birth=dob, nationality=nationality)


def report(
    author: Any,
    text: str,
    *subjects: SubjectInput,
    level: str = "shared",
    grade: str = "2B",
    kinds: tuple[str, ...] = (),
) -> Any:
    data = ReportInput(
        text=text,
        exploitation_types=list(kinds),
        source_evaluation=grade[0],
        intelligence_assessment=grade[1],
        handling_code="P",
        dissemination=level,
        subjects=list(subjects),
    )
    return services.report_submit(actor=author, data=data)


def api(user: Any, **params: str) -> Any:
    return verified_client(user, reason=REASON).get(API, {**params, "reason": REASON})


def report_ids(body: dict[str, Any]) -> set[int]:
    """Every report a response shows in full: under people and selectors, or as word matches."""
    return {r["id"] for h in body["hits"] for r in h["reports"]} | {r["id"] for r in body["reports"]}


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("room 101", "Eight workers were locked in room 101 above the takeaway."),
        ("M25", "The minibus was stopped on the M25 at junction 10."),
        ("flat 12b", "Two women were moved to flat 12b last week."),
        ("10 Downing Street", "A protest was planned outside 10 Downing Street."),
        ("car wash 2", "Staff rotate between car wash 2 and the depot."),
    ],
)
def test_words_shaped_like_a_document_or_plate_that_no_selector_matches_are_searched_as_words(
    forces: dict[str, Any], query: str, text: str
) -> None:
    made = report(forces["bracken"], text)
    body = api(forces["alder"], q=query).json()
    assert body["kind"] == "text", body
    assert made.pk in report_ids(body), (body["understood_as"], body["normalised"], body["total"])


def test_a_plate_that_is_recorded_is_still_searched_as_a_plate(forces: dict[str, Any]) -> None:
    made = report(forces["bracken"], "A silver van.", SubjectInput(kind="vrm", value="M25 ABC", role="user"))
    body = api(forces["alder"], q="m25abc").json()
    assert (body["kind"], body["understood_as"]) == ("selector", "vehicle registration"), body
    assert made.pk in report_ids(body)


def test_a_selector_asked_for_as_one_is_not_searched_as_words(forces: dict[str, Any]) -> None:
    report(forces["bracken"], "The minibus was stopped on the M25 at junction 10.")
    body = api(forces["alder"], q="M25", kind="selector").json()
    assert body["kind"] == "selector" and body["total"] == 0, body


def test_a_confidential_match_answers_as_no_match_at_all(forces: dict[str, Any]) -> None:
    """The words are searched when a guess finds nothing the searcher may know of, hidden or not."""
    report(forces["bracken"], "The minibus was stopped on the M25 at junction 10.")
    before = api(forces["alder"], q="M25").json()
    report(forces["calder"], "Secret.", SubjectInput(kind="vrm", value="M25", role="user"), level="confidential")
    after = api(forces["alder"], q="M25").json()
    assert (after["kind"], report_ids(after), after["flags"]) == (
        before["kind"],
        report_ids(before),
        before["flags"],
    )


def test_a_full_name_of_seven_words_is_searched_as_a_person(forces: dict[str, Any]) -> None:
    made = report(forces["bracken"], "Seen at the farm.", person("Maria del Carmen de la Cruz Lopez"))
    body = api(forces["alder"], q="Maria del Carmen de la Cruz Lopez").json()
    assert body["kind"] == "person", body
    assert made.pk in report_ids(body)


def test_a_three_letter_nationality_code_is_taken_as_reports_take_it(forces: dict[str, Any]) -> None:
    report(forces["bracken"], "Seen at the farm.", person("Ana Popescu", nationality="ROU"))
    response = api(forces["alder"], q="Ana Popescu", nationality="ROU")
    assert response.status_code == 200, response.json()
    assert "nationality RO" in response.json()["hits"][0]["why"]


@pytest.mark.parametrize("nationality", ["XX", "ROMANIA", "R0"])
def test_a_nationality_that_is_no_country_code_is_refused_with_a_message(
    forces: dict[str, Any], nationality: str
) -> None:
    response = api(forces["alder"], q="Ana Popescu", nationality=nationality)
    assert response.status_code == 422
    assert "country code" in response.json()["message"]


def test_flags_come_once_on_the_first_page_of_a_person_search(forces: dict[str, Any]) -> None:
    for i in range(25):
        report(forces["bracken"], f"Seen on visit {i}.", person("Ana Popescu", f"{1960 + i}"))
    report(forces["calder"], "Held tight.", person("Ana Popescu"), level="restricted")
    pages = [api(forces["alder"], q="Ana Popescu", page=str(n)).json() for n in (1, 2, 3)]
    assert [p["pages"] for p in pages] == [2, 2, 2]
    assert [len(p["flags"]) for p in pages] == [1, 0, 0]


def test_a_phrase_taken_for_a_name_offers_its_words_on_the_page(forces: dict[str, Any]) -> None:
    """'nail bar' finds 'Neil Barr' as a person; the page offers the words, which find the nail bar."""
    import re

    from django.urls import reverse

    report(forces["bracken"], "Neil Barr was seen at the port.", person("Neil Barr"))
    nail_bar = report(forces["bracken"], "Women were moved to the nail bar by minibus.")
    client = verified_client(forces["alder"], reason=REASON)
    page = client.get(reverse("search:search"), {"q": "nail bar"}).content.decode()
    link = re.search(r'data-testid="search-as-words"><a class="govuk-link" href="\?([^"]+)"', page)
    assert link, page
    words = client.get(reverse("search:search") + "?" + link.group(1).replace("&amp;", "&")).content.decode()
    assert reverse("intelligence:detail", args=[nail_bar.pk]) in words
    assert 'data-testid="search-as-words"' not in words


def test_an_age_range_leaves_out_someone_a_full_date_of_birth_makes_older(forces: dict[str, Any]) -> None:
    from datetime import date

    today = date.today()
    # 41 since the first of January, though born in a year the range 30-40 reaches (today's year - 41).
    older = date(today.year - 41, 1, 1)
    within = date(today.year - 35, 6, 15)
    report(forces["bracken"], "Seen at the farm.", person("Ana Popescu", older.isoformat()))
    report(forces["bracken"], "Seen at the port.", person("Ana Popescu", within.isoformat()))
    report(forces["bracken"], "Seen at the mill.", person("Ana Popescu", str(today.year - 41)))  # a year only
    body = api(forces["alder"], q="Ana Popescu", dob="30-40").json()
    born = sorted(h["birth_date"] for h in body["hits"])
    assert older.isoformat() not in born, born
    assert within.isoformat() in born and str(today.year - 41) in born, born


@pytest.mark.parametrize(("query", "kind"), [("14 Mill Lane", "address"), ("AB 123456", "passport or identity")])
def test_a_selector_asked_for_as_one_tells_an_address_from_a_document(
    forces: dict[str, Any], query: str, kind: str
) -> None:
    body = api(forces["alder"], q=query, kind="selector").json()
    assert body["kind"] == "selector" and body["understood_as"].startswith(kind), body


def test_word_search_facets_count_the_grades_of_readable_reports_only(forces: dict[str, Any]) -> None:
    report(forces["bracken"], "Workers collected from the car wash at dawn.", grade="1A")
    report(forces["bracken"], "A minibus at the car wash.", grade="2B")
    report(forces["alder"], "Car wash staff paid in cash.", grade="2B")
    report(forces["calder"], "Car wash owner, held tight.", grade="3E", level="confidential")
    body = api(forces["bracken"], q="car wash").json()
    assert body["kind"] == "text" and body["total"] == 3, body
    assert body["facets"]["grading"] == [["1A", 1], ["2B", 2]]


def test_facets_on_the_page_narrow_the_search_to_what_they_count(forces: dict[str, Any]) -> None:
    """Each facet value is a link applying its filter; exploitation types are shown by their names."""
    import html
    import re

    from django.urls import reverse

    mine = report(forces["alder"], "Car wash staff paid in cash.", grade="1A", kinds=("labour",))
    theirs = report(forces["bracken"], "A minibus at the car wash.", kinds=("domestic_servitude",))
    client = verified_client(forces["alder"], reason=REASON)
    url = reverse("search:search")
    page = client.get(url, {"q": "car wash", "kind": "text"}).content.decode()
    links = {
        html.unescape(label): html.unescape(href)
        for href, label in re.findall(r'<a class="govuk-link" href="\?([^"]+)">([^<]+)</a>: \d', page)
    }
    assert {"Labour exploitation", "Domestic servitude", "1A", "2B"} <= set(links), links
    assert "domestic_servitude:" not in page
    bracken = forces["bracken"].organisation.name
    for label, wanted, unwanted in (
        (bracken, theirs, mine),
        ("Labour exploitation", mine, theirs),
        ("1A", mine, theirs),
    ):
        narrowed = client.get(url + "?" + links[label]).content.decode()
        assert reverse("intelligence:detail", args=[wanted.pk]) in narrowed, label
        assert reverse("intelligence:detail", args=[unwanted.pk]) not in narrowed, label
