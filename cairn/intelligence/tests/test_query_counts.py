"""A page of 50 results must not run 50 queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cairn.accounts.choices import Role
from cairn.core.testing import OrganisationFactory, UserFactory, verified_client
from cairn.intelligence import services
from cairn.intelligence.inputs import ReportInput, SubjectInput

pytestmark = pytest.mark.django_db


def _reports(author, n: int) -> list:
    return services.report_submit_many(
        actor=author,
        items=[
            ReportInput(
                text=f"Report {i}: Ana Popescu uses 07700 900{i:03d}.",
                source_evaluation="2",
                intelligence_assessment="B",
                handling_code="P",
                dissemination="shared",
                subjects=[
                    SubjectInput(kind="person", value="Ana Popescu", role="victim"),
                    SubjectInput(kind="phone", value=f"07700 900{i:03d}", role="user", linked_to=0, relation="uses"),
                ],
            )
            for i in range(n)
        ],
    )


def _count(client, url, django_assert_max_num_queries, limit: int) -> None:
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("n", [5, 60])
def test_report_list_queries_do_not_grow(n: int, django_assert_max_num_queries) -> None:
    author = UserFactory(organisation=OrganisationFactory(code="q"), roles=[Role.ANALYST])
    _reports(author, n)
    _count(verified_client(author), reverse("intelligence:list"), django_assert_max_num_queries, 18)
    _count(verified_client(author), "/api/v1/reports?limit=50", django_assert_max_num_queries, 18)


@pytest.mark.parametrize("n", [5, 60])
def test_search_queries_do_not_grow(n: int, django_assert_max_num_queries) -> None:
    author = UserFactory(organisation=OrganisationFactory(code="q"), roles=[Role.ANALYST])
    _reports(author, n)
    client = verified_client(author)
    _count(client, reverse("search:search") + "?q=Ana+Popescu", django_assert_max_num_queries, 26)
    _count(client, "/api/v1/search?q=Ana+Popescu&reason=x", django_assert_max_num_queries, 26)


def test_report_page_queries_do_not_grow_with_subjects(django_assert_max_num_queries) -> None:
    author = UserFactory(organisation=OrganisationFactory(code="q"), roles=[Role.ANALYST])
    (report,) = services.report_submit_many(
        actor=author,
        items=[
            ReportInput(
                text="Many subjects.",
                source_evaluation="2",
                intelligence_assessment="B",
                handling_code="P",
                dissemination="shared",
                subjects=[SubjectInput(kind="phone", value=f"07700 900{i:03d}", role="user") for i in range(40)],
            )
        ],
    )
    _count(verified_client(author), reverse("intelligence:detail", args=[report.pk]), django_assert_max_num_queries, 26)
