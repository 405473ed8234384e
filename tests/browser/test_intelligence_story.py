"""The intelligence story of issue 3, as the people in it would do it, in headless Chromium.

An Aldermoor officer submits a report naming a phone on which Brackenridge
holds restricted intelligence; a Brackenridge analyst sees the new report;
the officer sees Brackenridge's flag and asks for access; Brackenridge's
supervisor grants it; the officer then reads it; the audit log has each step.
"""

from __future__ import annotations

import re

import pytest

from cairn.accounts.choices import Role
from cairn.audit.models import AuditEntry
from cairn.core.testing import (
    OrganisationFactory,
    SharingGroupFactory,
    UserFactory,
    browser_sign_in,
)
from cairn.intelligence import services
from cairn.intelligence.inputs import ReportInput, SubjectInput
from cairn.intelligence.models import IntelligenceReport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(browser, live_server, username: str):
    return browser_sign_in(browser, live_server.url, username)


def test_flag_request_grant_read(browser, live_server) -> None:
    aldermoor = OrganisationFactory(code="aldermoor", name="Aldermoor Police")
    brackenridge = OrganisationFactory(
        code="brackenridge", name="Brackenridge Constabulary", contact_point="Brackenridge FIB, 0300 000 0000"
    )
    SharingGroupFactory(name="Northern Shires Regional Intelligence Cell", members=[aldermoor, brackenridge])
    officer = UserFactory(username="officer.aldermoor", organisation=aldermoor, roles=[Role.OFFICER])
    analyst = UserFactory(username="analyst.brackenridge", organisation=brackenridge, roles=[Role.ANALYST])
    supervisor = UserFactory(username="supervisor.brackenridge", organisation=brackenridge, roles=[Role.SUPERVISOR])
    held = services.report_submit(
        actor=supervisor,
        data=ReportInput(
            text="CHIS reports that Dritan Hoxha runs girls from the Lotus sauna using 07700 900461.",
            source_evaluation="1",
            intelligence_assessment="B",
            handling_code="P",
            dissemination="restricted",
            exploitation_types=["sexual"],
            subjects=[
                SubjectInput(kind="person", value="Dritan Hoxha", role="suspect"),
                SubjectInput(kind="phone", value="07700 900461", role="user", linked_to=0, relation="uses"),
            ],
        ),
    )

    # 1. The officer submits a report; Cairn proposes the phone written another way.
    page = sign_in(browser, live_server, officer.username)
    page.click("text=Submit")
    page.fill("#id_text", "Female at the Eastgate car wash gave her boss's number as +44 7700 900461.")
    accept = page.locator('[data-testid="accept-+447700900461"]')
    accept.wait_for()
    accept.check()
    # The car wash itself, added by hand with its premises type.
    page.select_option("#subject-100-kind", "address")
    page.fill("#subject-100-value", "Eastgate Car Wash, 3 Eastgate, Aldermoor AM1 2AB")
    page.locator('[data-testid="subject-row"]:has(#subject-100-kind) summary').click()
    page.select_option("#subject-100-premises", "car_wash")
    page.locator("input[name=dissemination][value=shared]").check()
    page.locator("input[name=exploitation_types][value=labour]").check()
    page.click('[data-testid="submit-report"]')
    page.wait_for_selector('[data-testid="report-reference"]')
    reference = page.inner_text('[data-testid="report-reference"]')
    new = IntelligenceReport.unscoped_objects.get(reference=reference)
    assert new.dissemination == "shared"
    assert "Premises type: Car wash" in page.inner_text('[data-testid="subjects"]')

    # 2. From the phone, the officer sees Brackenridge's flag — not its text.
    page.click('[data-testid="subjects"] a:has-text("+44 7700 900461")')
    # Looking up a selector is a consultation: Cairn asks why, once per session.
    page.wait_for_url(re.compile(r".*/reason/.*"))
    page.fill("#id_reason", "Op Eastgate AP/123")
    page.click('[data-testid="save-reason"]')
    flag = page.locator('[data-testid="flag"]')
    assert "Brackenridge Constabulary holds restricted intelligence" in flag.inner_text()
    assert "Lotus sauna" not in page.content()
    page.click('[data-testid="flag"] a:has-text("request access")')
    assert "0300 000 0000" in page.inner_text('[data-testid="flag-contact"]')
    page.fill("#id_reason", "Op Eastgate, ref AP/123: the phone is the car wash controller's.")
    page.click('[data-testid="request-access"]')
    assert "pending" in page.inner_text('[data-testid="request-status"]')

    # 3. The Brackenridge analyst can read the officer's new (shared) report.
    other = sign_in(browser, live_server, analyst.username)
    other.goto(f"/intelligence/{new.pk}/")
    assert "Eastgate car wash" in other.inner_text('[data-testid="report-text"]')

    # 4. The Brackenridge supervisor grants the request for the named officer.
    boss = sign_in(browser, live_server, supervisor.username)
    boss.click("text=Supervisor queue")
    card = boss.locator('[data-testid="access-request"]')
    assert officer.username in card.inner_text() or officer.get_full_name() in card.inner_text()
    card.locator("input[value=grant]").check()
    card.locator("input[name=reason]").fill("Joint tasking agreed with Aldermoor")
    card.locator('[data-testid="decide"]').click()
    boss.wait_for_selector("text=Request granted")

    # 5. The officer now reads Brackenridge's report in full.
    page.goto(f"/intelligence/{held.pk}/")
    assert "Lotus sauna" in page.inner_text('[data-testid="report-text"]')

    # 6. The audit log has every step.
    actions = list(AuditEntry.objects.order_by("id").values_list("actor_username", "action", "object_type"))
    assert (officer.username, "create", "intelligence.report") in actions
    assert (officer.username, "view", "entities.entity") in actions
    assert (officer.username, "create", "intelligence.access_request") in actions
    assert (analyst.username, "view", "intelligence.report") in actions
    assert (supervisor.username, "access_decision", "intelligence.access_request") in actions
    assert (supervisor.username, "disclose", "intelligence.report") in actions
    full_views = AuditEntry.objects.filter(
        actor_username=officer.username, action="view", object_type="intelligence.report", object_id=str(held.pk)
    )
    assert {e.detail.get("access") for e in full_views} == {"flag", "full"}
    assert {e.reason for e in full_views if e.detail.get("access") == "full"} == {"Op Eastgate AP/123"}
    disclosure = AuditEntry.objects.get(action="disclose", object_id=str(held.pk))
    assert disclosure.detail["recipient"] == officer.username and disclosure.reason
