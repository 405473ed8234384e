"""Report references: each organisation numbers its own, from 1 each year."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction
from django.utils import timezone

from cairn.accounts.choices import Role
from cairn.core.testing import OrganisationFactory, UserFactory
from cairn.intelligence import services
from cairn.intelligence.inputs import ReportInput
from cairn.intelligence.models import IntelligenceReport
from cairn.search.tests.test_search import report

pytestmark = pytest.mark.django_db


def _author(code: str):  # type: ignore[no-untyped-def]
    organisation = OrganisationFactory(code=code, name=f"{code} (organisation)")
    return UserFactory(organisation=organisation, roles=[Role.ANALYST, Role.SUPERVISOR])


def _number(r: IntelligenceReport) -> int:
    """Where the reference stands in its organisation's series (its printed number is permuted)."""
    series, number = r.reference.removesuffix("-S").rsplit("-", 1)
    if len(number) == 7:  # counted, before core/0004
        return int(number)
    with connection.cursor() as cursor:
        cursor.execute("SELECT cairn_reference_place(%s, %s)", [int(number), series])
        return int(cursor.fetchone()[0])


def test_each_organisation_numbers_its_own_reports_from_one() -> None:
    alder, calder = _author("alder"), _author("calder")
    year = timezone.now().year
    first = report(alder, "First note.")
    report(calder, "Source: a secret.", level="confidential")
    report(calder, "Another.")
    second = report(alder, "Second note.")
    assert first.reference.startswith(f"ALDER-{year}-") and len(first.reference) == len(f"ALDER-{year}-") + 9
    assert (_number(first), _number(second)) == (1, 2)
    # Printed, the two numbers say nothing of how many lie between (a chance of 2 in 10**9 that they touch).
    assert abs(int(second.reference[-9:]) - int(first.reference[-9:])) > 1
    batch = services.report_submit_many(
        actor=calder,
        items=[
            ReportInput(text=f"Batch {i}.", source_evaluation="2", intelligence_assessment="B", handling_code="P")
            for i in range(3)
        ],
    )
    assert [_number(r) for r in batch] == [3, 4, 5]


def test_a_sanitised_version_takes_the_next_number_of_its_organisation() -> None:
    alder = _author("alder")
    original = report(alder, "Source ALPHA saw the van at the farm.", level="confidential")
    version = services.sanitised_version_create(
        actor=alder, report=original, text="The van was seen at the farm.", dissemination="shared"
    )
    assert version.reference.endswith("-S") and _number(version) == _number(original) + 1


def test_references_written_before_continue_above_the_highest() -> None:
    """A database filled before (or by a benchmark's COPY) holds references the series never drew."""
    alder = _author("alder")
    year = timezone.now().year
    first = report(alder, "First note.")
    IntelligenceReport.unscoped_objects.filter(pk=first.pk).update(reference=f"ALDER-{year}-0004000")
    with connection.cursor() as cursor:
        cursor.execute(services.REFERENCE_SEQUENCES_SQL)
    assert _number(report(alder, "Next note.")) == 4001
    # Run again after the series moved on, it never moves it back.
    with connection.cursor() as cursor:
        cursor.execute(services.REFERENCE_SEQUENCES_SQL)
    latest = report(alder, "And the next.")
    assert _number(latest) == 4002
    # A printed (permuted) reference held is found again at its place.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT cairn_reference_number(9000, %s), cairn_reference_place(cairn_reference_number(9000, %s), %s)",
            [f"ALDER-{year}"] * 3,
        )
        printed, place = cursor.fetchone()
        assert place == 9000
        IntelligenceReport.unscoped_objects.filter(pk=latest.pk).update(reference=f"ALDER-{year}-{printed:09d}")
        cursor.execute(services.REFERENCE_SEQUENCES_SQL)
    assert _number(report(alder, "After the one written so.")) == 9001


@pytest.mark.django_db(transaction=True)
def test_two_first_reports_of_a_year_at_once_both_get_a_number() -> None:
    """Both find no series yet: the second waits for the first to make it instead of failing to make it too."""
    author = _author("race")
    both_started = threading.Barrier(2)

    def file(n: int) -> IntelligenceReport:
        try:
            with transaction.atomic():
                both_started.wait(timeout=10)
                made = report(author, f"Note {n}.")
                time.sleep(0.3)  # the first's series is not yet committed when the second asks for it
            return made
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        made = list(pool.map(file, range(2)))
    assert sorted(_number(r) for r in made) == [1, 2]


def test_organisations_whose_codes_begin_alike_share_a_series_rather_than_a_reference() -> None:
    """A reference names a code's first 16 letters, upper case: such organisations number in one series."""
    north, east, upper = _author("northumbria-police"), _author("northumbria-police-east"), _author("ALDER")
    lower = _author("alder")
    made = [report(author, "A note.") for author in (north, east, north, lower, upper)]
    assert len({r.reference for r in made}) == len(made)
    assert [_number(r) for r in made[:3]] == [1, 2, 3]
    assert made[0].reference.startswith("NORTHUMBRIA-POLI-") and made[4].reference.startswith("ALDER-")
