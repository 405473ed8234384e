"""The rule as SQL (``report_rule_sql``) is remembered by who asks: a change to who they are shows at once."""

from __future__ import annotations

import pytest

from cairn.access import intelligence as policy
from cairn.accounts.choices import OrganisationKind, Role
from cairn.core.testing import OrganisationFactory, UserFactory, submit_report
from cairn.intelligence.models import IntelligenceReport

pytestmark = pytest.mark.django_db


def readable(user, *, flag: bool = False) -> set[int]:
    sql, params = policy.report_rule_sql(user, flag=flag)
    return set(IntelligenceReport.unscoped_objects.extra(where=[sql], params=params).values_list("pk", flat=True))


def test_the_remembered_rule_follows_the_user() -> None:
    alder, bracken = OrganisationFactory(code="alder"), OrganisationFactory(code="bracken")
    charity = OrganisationFactory(code="haven", kind=OrganisationKind.CHARITY)
    alder_officer = UserFactory(organisation=alder, roles=[Role.OFFICER])
    bracken_officer = UserFactory(organisation=bracken, roles=[Role.OFFICER])
    own = submit_report(alder_officer, level="confidential")
    held_tight = submit_report(bracken_officer, level="restricted")
    shared = submit_report(bracken_officer, level="shared")

    assert readable(alder_officer) == {own.pk, shared.pk}
    assert readable(alder_officer, flag=True) == {held_tight.pk}

    # Moved to the other force: its reports now, none of the old one's confidential ones.
    alder_officer.organisation = bracken
    assert readable(alder_officer) == {held_tight.pk, shared.pk}
    assert readable(alder_officer, flag=True) == set()

    # A charity is not law enforcement: neither shared police intelligence nor flags.
    alder_officer.organisation = charity
    assert readable(alder_officer) == set()
    assert readable(alder_officer, flag=True) == set()

    # No longer a reader at all.
    alder_officer.organisation, alder_officer.roles = alder, [Role.STATISTICIAN]
    assert readable(alder_officer) == set()
    assert readable(alder_officer, flag=True) == set()
