"""The link chart page: analysts only, no inline script or style, reached from the menu and entity pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from cairn.accounts.choices import Role
from cairn.accounts.models import User
from cairn.core.testing import OrganisationFactory, UserFactory, verified_client
from cairn.intelligence import services
from cairn.intelligence.inputs import ReportInput, SubjectInput

pytestmark = pytest.mark.django_db


def make_user(**kwargs: Any) -> User:
    return UserFactory(**kwargs)  # type: ignore[return-value]


@pytest.fixture
def analyst() -> User:
    return make_user(organisation=OrganisationFactory(code="alder"), roles=[Role.ANALYST])


def test_the_page_carries_its_data_in_attributes_and_loads_scripts_from_files(analyst: User) -> None:
    response = verified_client(analyst).get(reverse("network:chart"), {"seed": "42"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-seed="42"' in html and 'data-api="/api/v1"' in html
    assert "/static/cytoscape/cytoscape.min.js" in html and "/static/cairn/chart.js" in html
    assert 'data-testid="export-svg"' in html and "not yet" not in html
    # Every script comes from a file and there is no style attribute or element: the CSP forbids them.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_a_bad_seed_is_ignored_and_a_saved_chart_is_passed_on(analyst: User) -> None:
    html = verified_client(analyst).get(reverse("network:chart"), {"seed": "x<script>", "chart": "7"}).content.decode()
    assert 'data-seed=""' in html and 'data-saved="7"' in html


def test_the_scripts_are_served(analyst: User) -> None:
    client = verified_client(analyst)
    for url in ("/static/cytoscape/cytoscape.min.js", "/static/cairn/chart.js"):
        response = client.get(url)
        assert response.status_code == 200, url


def test_a_reason_is_asked_first(analyst: User) -> None:
    response = verified_client(analyst, reason="").get(reverse("network:chart"))
    assert response.status_code == 302 and reverse("core:reason") in response["Location"]


def test_officers_do_not_find_the_page_nor_the_menu_link(analyst: User) -> None:
    officer = make_user(organisation=analyst.organisation, roles=[Role.OFFICER])
    client = verified_client(officer)
    assert client.get(reverse("network:chart")).status_code == 404
    assert "Link chart" not in client.get(reverse("core:home")).content.decode()
    assert "Link chart" in verified_client(analyst).get(reverse("core:home")).content.decode()


def test_an_entity_page_opens_in_the_link_chart(analyst: User) -> None:
    report = services.report_submit(
        actor=analyst,
        data=ReportInput(
            text="Uses 07700 900222.",
            source_evaluation="1",
            intelligence_assessment="B",
            handling_code="P",
            dissemination="shared",
            subjects=[SubjectInput(kind="phone", value="07700 900222", role="user")],
        ),
    )
    entity_id = report.statements.filter(prop="subject").values_list("entity_id", flat=True)[0]
    page = verified_client(analyst).get(reverse("entities:detail", args=[entity_id])).content.decode()
    assert f'href="/network/chart/?seed={entity_id}"' in page
    officer = make_user(organisation=analyst.organisation, roles=[Role.OFFICER])
    assert (
        "Open in link chart"
        not in verified_client(officer).get(reverse("entities:detail", args=[entity_id])).content.decode()
    )
