"""Test helpers shared by every app's tests: factories, signed-in clients, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import factory
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cairn.accounts.choices import LAW_ENFORCEMENT_KINDS, Jurisdiction, OrganisationKind
from cairn.accounts.models import Organisation, SharingGroup, User
from cairn.core.reasons import SESSION_KEY as REASON_KEY

TEST_PASSWORD = "correct horse battery staple"
TEST_TOTP_KEY_HEX = b"cairn-test-totp-key!".hex()


@cache
def _password_hash() -> str:
    # Argon2 is slow by design: hash the shared test password once per run.
    return make_password(TEST_PASSWORD)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"org{n}")
    name = factory.LazyAttribute(lambda o: f"{o.code.title()} Police")
    kind = OrganisationKind.POLICE_FORCE
    jurisdiction = Jurisdiction.ENGLAND_WALES
    is_law_enforcement = factory.LazyAttribute(lambda o: o.kind in LAW_ENFORCEMENT_KINDS)
    contact_point = factory.LazyAttribute(lambda o: f"{o.name} intelligence desk")


class SharingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SharingGroup
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Sharing group {n}")

    @factory.post_generation
    def members(self, create: bool, extracted: list[Organisation] | None, **kwargs: object) -> None:
        if create and extracted:
            self.members.set(extracted)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    roles = factory.LazyFunction(list)
    password = factory.LazyFunction(_password_hash)

    @factory.post_generation
    def totp(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        """Enrolled by default; pass ``totp=False`` for an account that must enrol at first sign-in."""
        if create and extracted is not False:
            TOTPDevice.objects.create(user=self, name="Test authenticator", key=TEST_TOTP_KEY_HEX, confirmed=True)


def totp_code(key_hex: str = TEST_TOTP_KEY_HEX, *, offset_steps: int = 0) -> str:
    import time

    totp = TOTP(bytes.fromhex(key_hex), step=30, digits=6)
    totp.time = time.time() + offset_steps * 30
    return f"{totp.token():06d}"


def verified_client(user: User, *, reason: str = "Test case 1") -> Client:
    """A test client signed in as ``user`` with the second factor done and a stated reason."""
    client = Client()
    client.force_login(user, backend="cairn.accounts.backends.CairnModelBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test authenticator", key=TEST_TOTP_KEY_HEX, confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    if reason:
        session[REASON_KEY] = reason
    session.save()
    return client


def run_cli(
    *args: str, input_text: str | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the ``cairn`` command as a user would, against the test database."""
    full_env = {**os.environ, "CAIRN_DB_NAME": connection.settings_dict["NAME"], **(env or {})}
    full_env.pop("DJANGO_SETTINGS_MODULE", None)
    cairn = os.path.join(os.path.dirname(sys.executable), "cairn")
    return subprocess.run(
        [cairn, *args],
        input=input_text,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=settings.BASE_DIR,
        check=False,
    )


def browser_sign_in(
    browser: Any,
    base_url: str,
    username: str,
    *,
    password: str = TEST_PASSWORD,
    key_hex: str = TEST_TOTP_KEY_HEX,
    viewport: dict[str, int] | None = None,
    timeout_ms: int = 15_000,
) -> Any:
    """A new browser context signed in as ``username`` (password, then the authenticator code)."""
    import re

    context = browser.new_context(base_url=base_url, **({"viewport": viewport} if viewport else {}))
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto("/sign-in/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#id_submit")
    page.fill("#id_code", totp_code(key_hex))
    page.click("#id_submit")
    page.wait_for_url(re.compile(r".*/$"))
    return page


def submit_report(
    author: User,
    *subjects: Any,
    level: str = "shared",
    groups: list[int] | None = None,
    text: str = "Test report.",
    **fields: Any,
) -> Any:
    """A report graded 1B, handling P (unless ``fields`` say otherwise), submitted through the service."""
    from cairn.intelligence import services
    from cairn.intelligence.inputs import ReportInput

    data = {
        "text": text,
        "source_evaluation": "1",
        "intelligence_assessment": "B",
        "handling_code": "P",
        "dissemination": level,
        "sharing_group_ids": groups or [],
        "subjects": list(subjects),
    } | fields
    return services.report_submit(actor=author, data=ReportInput(**data))


def ask_for_access(actor: User, report_id: int, reason: str = "Op Lantern", entity_id: int | None = None) -> Any:
    """An access request made as the flag page makes it: through the token of the report's flag."""
    from cairn.access.flags import flag_token
    from cairn.intelligence import services

    return services.access_request_create(
        actor=actor, flag_token=flag_token(actor.pk, report_id, entity_id), reason=reason
    )


def flag_report(user: User, token: str) -> int | None:
    """The report a flag shown to ``user`` stands for (tests only: nothing shown to a user says this)."""
    from cairn.access.flags import open_token

    address = open_token(user.pk, token)
    return address.report_id if address else None


# --- two transactions at once (race tests) ------------------------------------------------------------


def wait_until(check: Callable[[], bool], what: str) -> None:
    """Poll ``check``; a safety net so a regression fails instead of hanging the run (nothing asserts on time)."""
    deadline = time.monotonic() + 60
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def backend_pid() -> int:
    """This thread's PostgreSQL backend."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()  # type: ignore[misc]
    return int(pid)


def waits_for_a_lock(pid: int) -> bool:
    """Whether that backend is waiting for a lock (pg_locks is read live, even inside a transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted)", [pid])
        (waiting,) = cursor.fetchone()  # type: ignore[misc]
    return bool(waiting)


def in_thread(name: str, errors: dict[str, str], fn: Callable[[], object]) -> threading.Thread:
    """Run ``fn`` on its own connection in a named thread; an exception is put in ``errors`` for the test."""

    def run() -> None:
        try:
            fn()
        except Exception as exc:  # reported by the test
            errors[name] = repr(exc)[:300]
        finally:
            connection.close()

    thread = threading.Thread(name=name, target=run)
    thread.start()
    return thread


def two_rounds_at_once(
    monkeypatch: Any, module: Any, pause_in: str, round_: Callable[[], object], *, after: bool = False
) -> dict[str, str]:
    """Run ``round_`` twice at once: the first, in a thread, pauses in ``module.pause_in`` (before the call,
    or ``after`` it) until the second, on this thread, has finished or waits for a lock the first holds.

    Returns the first round's error, if any, by name. Without a lock between them both rounds read the
    same state; with one, the second waits and reads what the first committed.
    """
    first_paused, second_done = threading.Event(), threading.Event()
    second_pid = backend_pid()
    real = getattr(module, pause_in)

    def pausing(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs) if after else None
        if threading.current_thread().name == "first":
            first_paused.set()
            wait_until(lambda: second_done.is_set() or waits_for_a_lock(second_pid), "the second round")
        return result if after else real(*args, **kwargs)

    monkeypatch.setattr(module, pause_in, pausing)
    errors: dict[str, str] = {}
    first = in_thread("first", errors, round_)
    wait_until(first_paused.is_set, "the first round to pause")
    round_()
    second_done.set()
    first.join(120)
    return errors
