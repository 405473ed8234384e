"""Signing in, out and being locked out, as a person does it: in headless Chromium against the live server."""

from __future__ import annotations

import base64
import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from cairn.accounts.models import User
from cairn.audit.models import AuditEntry
from cairn.core.testing import TEST_PASSWORD, OrganisationFactory, UserFactory, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect.set_options(timeout=10_000)

HOME = re.compile(r"^https?://[^/]+/$")
SIGN_IN = re.compile(r"/sign-in/(\?.*)?$")
CODE = re.compile(r"/sign-in/code/$")
ENROL = re.compile(r"/sign-in/enrol/$")
CODE_LABEL = "Code from your authenticator app"


# --- helpers -------------------------------------------------------------------


def submit_password(page: Page, username: str, password: str = TEST_PASSWORD) -> None:
    """Fill in and send the first sign-in page; the caller checks where it led."""
    if not SIGN_IN.search(page.url):
        page.goto("/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    # Wait for the answer page so a following step never types into the page being left.
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()


def submit_code(page: Page, code: str) -> None:
    page.get_by_label(CODE_LABEL).fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def sign_in(page: Page, username: str, code: str | None = None) -> None:
    """Password, then code (the current one from the shared test key unless given); ends on the home page."""
    page.goto("/sign-in/")
    submit_password(page, username)
    expect(page).to_have_url(CODE)
    submit_code(page, code or totp_code())
    expect(page).to_have_url(HOME)
    expect(page.get_by_test_id("sign-out")).to_be_visible()


def code_for_next_sign_in(key: bytes, user: User) -> str:
    """The code an app shows that the user's device will accept next, without waiting for a new step.

    django-otp refuses a code from any step at or before the last one it
    accepted (``last_t``), looks ``tolerance`` (1) steps either side of now,
    and shifts that window by the ``drift`` it learnt at the last sign-in. So a
    second sign-in within the same 30 seconds uses the next step's code. The
    step chosen stays acceptable even if a step boundary passes before the
    server checks it.
    """
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert device.tolerance >= 1, "a second sign-in in the same step needs a tolerance of at least one step"
    totp = TOTP(key, device.step, device.t0, device.digits)
    totp.time = time.time()
    now_t = totp.t()
    totp.drift = max(device.last_t + 1, now_t + device.drift) - now_t
    return f"{totp.token():0{device.digits}d}"


def wrong_code() -> str:
    """A well-formed code that no step near now (beyond the device's tolerance) accepts for the test key."""
    near = {totp_code(offset_steps=k) for k in range(-3, 4)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in near)


def key_from_page(secret: str) -> bytes:
    """The key bytes behind the base32 key the enrol page prints in groups of four."""
    compact = secret.replace(" ", "").upper()
    return base64.b32decode(compact + "=" * (-len(compact) % 8))


def code_from_page_key(secret: str) -> str:
    """What an authenticator app set up from the enrol page's key shows now."""
    return f"{TOTP(key_from_page(secret)).token():06d}"


def wait_out_code_throttle(page: Page, user: User) -> None:
    """django-otp refuses any code for 1, 2, 4... seconds after a wrong one; wait until it would accept one."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    count = device.throttling_failure_count
    if count and device.throttling_failure_timestamp:
        factor = getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)
        ready = device.throttling_failure_timestamp.timestamp() + factor * 2 ** (count - 1)
        remaining = ready - timezone.now().timestamp()
        if remaining > 0:
            page.wait_for_timeout(remaining * 1000 + 200)


def assert_strict_csp(headers: dict[str, str]) -> None:
    csp = headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert "script-src" in directives, f"no script-src in CSP {csp!r}"
    assert "'unsafe-inline'" not in directives["script-src"], csp
    assert "'unsafe-eval'" not in directives["script-src"], csp
    assert directives.get("frame-ancestors") == ["'none'"], csp


def officer(**kwargs: Any) -> User:
    org = OrganisationFactory(code="aldermoor", name="Aldermoor Police")
    defaults: dict[str, Any] = {"username": "pc.jones", "organisation": org, "roles": ["officer"]}
    return UserFactory(**(defaults | kwargs))


# --- tests ---------------------------------------------------------------------


def test_sign_in_with_password_and_code_shows_organisation_and_roles(page: Page) -> None:
    user = officer(first_name="Sam", last_name="Jones", roles=["officer", "analyst"], job_title="Police constable")

    page.goto("/sign-in/")
    expect(page.get_by_role("heading", name="Sign in to Cairn")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("type", "password")
    submit_password(page, "pc.jones")
    expect(page).to_have_url(CODE)
    expect(page.get_by_role("heading", name="Enter the code from your authenticator app")).to_be_visible()
    submit_code(page, totp_code())

    expect(page).to_have_url(HOME)
    expect(page.get_by_role("heading", name="Welcome, Sam Jones")).to_be_visible()
    expect(page.get_by_test_id("organisation")).to_have_text("Aldermoor Police")
    roles = page.get_by_test_id("roles")
    expect(roles).to_have_text("Officer, Intelligence analyst")
    expect(roles).not_to_contain_text("Police constable")
    expect(page.get_by_test_id("capabilities")).to_contain_text("Submit intelligence reports")
    assert AuditEntry.objects.filter(action="sign_in", actor=user).count() == 1


def test_username_is_matched_without_regard_to_case(page: Page) -> None:
    officer()
    page.goto("/sign-in/")
    submit_password(page, "PC.Jones")
    expect(page).to_have_url(CODE)


def test_wrong_password_shows_an_error_and_stays_on_sign_in(page: Page) -> None:
    officer()
    page.goto("/sign-in/")
    submit_password(page, "pc.jones", "not the password at all")

    expect(page.get_by_test_id("sign-in-error")).to_contain_text("The username or password is not right.")
    expect(page).to_have_url(SIGN_IN)
    expect(page.get_by_test_id("sign-out")).to_have_count(0)
    failed = AuditEntry.objects.filter(action="sign_in_failed", object_repr="pc.jones")
    assert failed.count() == 1
    assert failed.get().detail == {"step": "password"}
    assert not AuditEntry.objects.filter(action="sign_in").exists()


def test_unknown_username_gets_the_same_error(page: Page) -> None:
    officer()
    page.goto("/sign-in/")
    submit_password(page, "nobody.here")
    expect(page.get_by_test_id("sign-in-error")).to_contain_text("The username or password is not right.")
    assert AuditEntry.objects.filter(action="sign_in_failed", object_repr="nobody.here").exists()


def test_wrong_code_shows_an_error_then_the_right_code_signs_in(page: Page) -> None:
    user = officer()
    page.goto("/sign-in/")
    submit_password(page, "pc.jones")
    expect(page).to_have_url(CODE)

    submit_code(page, wrong_code())
    expect(page).to_have_url(CODE)
    expect(page.locator(".govuk-error-message")).to_contain_text("The code is not right.")
    expect(page.get_by_test_id("sign-out")).to_have_count(0)
    failed = AuditEntry.objects.filter(action="sign_in_failed", actor=None, object_id=str(user.pk))
    assert failed.count() == 1
    assert failed.get().detail == {"step": "code"}

    wait_out_code_throttle(page, user)
    submit_code(page, totp_code())
    expect(page).to_have_url(HOME)
    expect(page.get_by_test_id("organisation")).to_have_text("Aldermoor Police")
    assert AuditEntry.objects.filter(action="sign_in", actor=user).count() == 1


def test_malformed_code_is_refused_with_a_hint(page: Page) -> None:
    officer()
    page.goto("/sign-in/")
    submit_password(page, "pc.jones")
    expect(page).to_have_url(CODE)
    submit_code(page, "12ab")
    expect(page.locator(".govuk-error-message")).to_contain_text("Enter the 6-digit code")
    expect(page).to_have_url(CODE)


def test_code_page_without_a_password_first_goes_back_to_sign_in(page: Page) -> None:
    page.goto("/sign-in/code/")
    expect(page).to_have_url(SIGN_IN)
    expect(page.get_by_role("heading", name="Sign in to Cairn")).to_be_visible()


def test_first_sign_in_enrols_an_authenticator_then_asks_for_codes(page: Page) -> None:
    user = officer(username="pc.new", totp=False)
    page.goto("/sign-in/")
    submit_password(page, "pc.new")

    expect(page).to_have_url(ENROL)
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code image did not render"
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})*", secret), secret

    # Reloading the page keeps the same key: the app already holds it.
    page.reload()
    assert page.get_by_test_id("totp-secret").inner_text().strip() == secret

    submit_code(page, code_from_page_key(secret))
    expect(page).to_have_url(HOME)
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed
    assert base64.b32encode(device.bin_key).decode() == secret.replace(" ", "")
    assert AuditEntry.objects.filter(action="change", actor=user, object_repr="TOTP enrolled").exists()
    assert AuditEntry.objects.filter(action="sign_in", actor=user).count() == 1

    page.get_by_test_id("sign-out").click()
    expect(page).to_have_url(SIGN_IN)
    submit_password(page, "pc.new")
    expect(page).to_have_url(CODE)
    # The enrolment code's step is spent: use the next code the device accepts.
    submit_code(page, code_for_next_sign_in(key_from_page(secret), user))
    expect(page).to_have_url(HOME)
    assert TOTPDevice.objects.filter(user=user).count() == 1
    assert AuditEntry.objects.filter(action="sign_in", actor=user).count() == 2


def test_five_wrong_passwords_lock_the_account(page: Page) -> None:
    officer()
    limit = settings.AXES_FAILURE_LIMIT
    page.goto("/sign-in/")
    for _ in range(limit - 1):
        submit_password(page, "pc.jones", "wrong password")
        expect(page.get_by_test_id("sign-in-error")).to_be_visible()

    with page.expect_response(lambda r: r.request.method == "POST" and "/sign-in/" in r.url) as last:
        submit_password(page, "pc.jones", "wrong password")
    assert last.value.status == 429
    expect(page.get_by_test_id("locked")).to_be_visible()

    # Even the right password no longer gets as far as the code.
    page.goto("/sign-in/")
    with page.expect_response(lambda r: r.request.method == "POST" and "/sign-in/" in r.url) as again:
        submit_password(page, "pc.jones")
    assert again.value.status == 429
    expect(page.get_by_test_id("locked")).to_be_visible()
    page.goto("/sign-in/code/")
    expect(page).to_have_url(SIGN_IN)
    page.goto("/")
    expect(page).to_have_url(SIGN_IN)
    assert AuditEntry.objects.filter(action="sign_in_failed", object_repr="pc.jones").count() >= limit
    assert not AuditEntry.objects.filter(action="sign_in").exists()


def test_wrong_codes_count_towards_the_lockout(page: Page) -> None:
    officer()
    limit = settings.AXES_FAILURE_LIMIT
    page.goto("/sign-in/")
    submit_password(page, "pc.jones")
    expect(page).to_have_url(CODE)
    bad = wrong_code()
    for _ in range(limit - 1):
        submit_code(page, bad)
        expect(page.locator(".govuk-error-message")).to_contain_text("The code is not right.")
        # django-otp refuses any code for a growing few seconds after a wrong one (and Cairn
        # counts nothing then); skip that wait here, it is not what this test is about.
        TOTPDevice.objects.filter(user__username="pc.jones").update(throttling_failure_timestamp=None)
    with page.expect_response(lambda r: r.request.method == "POST" and "/sign-in/code/" in r.url) as last:
        submit_code(page, bad)
    assert last.value.status == 429
    expect(page.get_by_test_id("locked")).to_be_visible()

    page.goto("/sign-in/")
    submit_password(page, "pc.jones")
    expect(page.get_by_test_id("locked")).to_be_visible()
    assert not AuditEntry.objects.filter(action="sign_in").exists()


def test_sign_out_ends_the_session(page: Page) -> None:
    user = officer()
    sign_in(page, "pc.jones")

    page.get_by_test_id("sign-out").click()
    expect(page).to_have_url(SIGN_IN)
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    expect(page.get_by_test_id("sign-out")).to_have_count(0)
    assert AuditEntry.objects.filter(action="sign_out", actor=user).count() == 1

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/$"))
    expect(page.get_by_role("heading", name="Sign in to Cairn")).to_be_visible()


def test_expired_session_goes_back_to_sign_in(page: Page) -> None:
    officer()
    sign_in(page, "pc.jones")
    assert Session.objects.exists()

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/$"))
    expect(page.get_by_test_id("sign-out")).to_have_count(0)


def test_sign_in_returns_to_the_page_asked_for(page: Page) -> None:
    UserFactory(username="audrey", organisation=OrganisationFactory(code="aldermoor"), roles=["auditor"])
    page.goto("/audit/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/audit/$"))
    submit_password(page, "audrey")
    expect(page).to_have_url(CODE)
    submit_code(page, totp_code())
    expect(page).to_have_url(re.compile(r"/audit/$"))
    expect(page.get_by_test_id("audit-table")).to_be_visible()


class PageProblems:
    """Console errors, uncaught exceptions and failed requests a page reports."""

    def __init__(self, page: Page) -> None:
        self.console: list[str] = []
        self.exceptions: list[str] = []
        self.failed: list[str] = []
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.exceptions.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))

    def clear(self) -> None:
        self.console.clear()
        self.exceptions.clear()
        self.failed.clear()


# htmx 2 injects its request-indicator rules as an inline <style> at start-up,
# which the CSP's style-src 'self' blocks (the hash Chromium reports is that of
# htmx's indicator rules). See the report: fix in base.html, not here.
HTMX_INLINE_STYLE = "Applying inline style violates the following Content Security Policy directive"


def test_pages_have_a_strict_csp_and_load_govuk_styles_and_script(page: Page) -> None:
    officer()
    problems = PageProblems(page)
    css: list[int] = []
    page.on("response", lambda r: css.append(r.status) if r.url.endswith("/govuk-frontend.min.css") else None)

    response = page.goto("/sign-in/")
    assert response is not None and response.status == 200
    assert_strict_csp(response.headers)
    # A fresh browser context has an empty cache, so this is a real fetch.
    assert css == [200], css
    expect(page.get_by_role("heading", name="Sign in to Cairn")).to_have_css("font-family", re.compile("GDS Transport"))

    sign_in(page, "pc.jones")
    problems.clear()
    home = page.reload()
    assert home is not None and home.status == 200
    assert_strict_csp(home.headers)
    page.wait_for_load_state("networkidle")

    # The stylesheet applies (GOV.UK typeface) and the page script ran under the CSP.
    font = page.get_by_role("heading", name=re.compile("Welcome")).evaluate("h => getComputedStyle(h).fontFamily")
    assert "GDS Transport" in font, font
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    assert problems.exceptions == []
    assert problems.failed == []
    assert [m for m in problems.console if HTMX_INLINE_STYLE not in m] == []


def test_home_page_logs_no_console_errors(page: Page) -> None:
    officer()
    sign_in(page, "pc.jones")
    problems = PageProblems(page)
    page.reload()
    page.wait_for_load_state("networkidle")
    assert problems.console == []
    assert problems.exceptions == []


def test_administrator_sees_staff_administration(page: Page) -> None:
    UserFactory(username="admin.ann", organisation=OrganisationFactory(code="aldermoor"), roles=["administrator"])
    sign_in(page, "admin.ann")
    link = page.get_by_role("link", name="Staff administration")
    expect(link).to_be_visible()
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    link.click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_text("Cairn staff administration").first).to_be_visible()
    expect(page.get_by_role("link", name="Organisations", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Users", exact=True)).to_be_visible()


def test_officer_gets_not_found_for_staff_pages(page: Page) -> None:
    officer()
    sign_in(page, "pc.jones")
    expect(page.get_by_role("link", name="Staff administration")).to_have_count(0)
    response = page.goto("/staff/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    response = page.goto("/staff/accounts/user/")
    assert response is not None and response.status == 404


def test_signed_out_visitor_to_staff_pages_is_sent_to_sign_in(page: Page) -> None:
    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/staff/"))


def test_auditor_sees_the_audit_log_with_their_own_sign_in(page: Page) -> None:
    UserFactory(username="audrey", organisation=OrganisationFactory(code="aldermoor"), roles=["auditor"])
    sign_in(page, "audrey")
    expect(page.get_by_role("link", name="Staff administration")).to_have_count(0)
    page.get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(re.compile(r"/audit/$"))
    table = page.get_by_test_id("audit-table")
    expect(table).to_be_visible()
    own = table.locator("tr[data-action=sign_in]").filter(has_text="audrey")
    expect(own).to_have_count(1)
    expect(own).to_contain_text("Sign-in")
    expect(own).to_contain_text("aldermoor")
