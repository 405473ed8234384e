"""Search in the browser: a misspelled name across forces, a phone written another way, a flag."""

from __future__ import annotations

import re

import pytest

from cairn.accounts.choices import Role
from cairn.core.testing import TEST_PASSWORD, OrganisationFactory, UserFactory, totp_code
from cairn.intelligence import services
from cairn.intelligence.inputs import ReportInput, SubjectInput

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _report(author, text, *subjects, level="shared"):
    return services.report_submit(
        actor=author,
        data=ReportInput(
            text=text,
            source_evaluation="2",
            intelligence_assessment="B",
            handling_code="P",
            dissemination=level,
            subjects=list(subjects),
        ),
    )


def test_search_story(page) -> None:
    forces = [
        OrganisationFactory(code=c, name=f"{c.title()} Police") for c in ("aldermoor", "brackenridge", "calderfell")
    ]
    analyst = UserFactory(username="analyst.aldermoor", organisation=forces[0], roles=[Role.ANALYST])
    authors = [UserFactory(organisation=f, roles=[Role.OFFICER]) for f in forces]
    made = [
        _report(
            authors[0],
            "Bogdan Ionescu drives the minibus.",
            SubjectInput(kind="person", value="Bogdan Ionescu", role="suspect"),
        ),
        _report(
            authors[1],
            "IONESCU Bogdan seen at the farm.",
            SubjectInput(kind="person", value="IONESCU Bogdan", role="suspect"),
        ),
        _report(
            authors[2],
            "Bogdan Ionesku paid the workers.",
            SubjectInput(kind="person", value="Bogdan Ionesku", role="suspect"),
        ),
    ]
    held = _report(
        authors[1],
        "Source: the controller's phone is 07700 900888.",
        SubjectInput(kind="phone", value="07700 900888", role="user"),
        level="restricted",
    )

    page.goto("/sign-in/")
    page.fill("#id_username", analyst.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("#id_submit")
    page.fill("#id_code", totp_code())
    page.click("#id_submit")
    page.click("text=Search")
    page.fill("#q", "Bogdan Ionscu")
    page.click('[data-testid="search-button"]')
    page.wait_for_url(re.compile(r".*/reason/.*"))
    page.fill("#id_reason", "Op Harvest 12")
    page.click('[data-testid="save-reason"]')
    page.wait_for_selector('[data-testid="hits"]')
    text = page.inner_text('[data-testid="hits"]')
    for report in made:
        assert report.reference in text
    assert "Brackenridge Police" in text and "Calderfell Police" in text

    page.fill("#q", "+44 (0)7700 900 888".replace("(0)", ""))
    page.click('[data-testid="search-button"]')
    flag = page.locator('[data-testid="flag"]')
    flag.wait_for()
    assert "Brackenridge Police holds restricted intelligence" in flag.inner_text()
    assert held.reference not in page.content() and "controller" not in page.content()

    # A misspelt word finds nothing; the page offers the spelling Aldermoor's readable reports use.
    from cairn.search import vocabulary

    vocabulary.rebuild()
    page.fill("#q", "minibsu")
    page.click('[data-testid="search-button"]')
    page.click('[data-testid="did-you-mean"]')
    page.wait_for_selector('[data-testid="report-hits"]')
    assert made[0].reference in page.inner_text('[data-testid="report-hits"]')
    assert page.input_value("#q") == "minibus"
