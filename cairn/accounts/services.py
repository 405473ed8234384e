"""Writes for accounts: each a keyword-only function with its acting user, atomic, audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from cairn.accounts.choices import LAW_ENFORCEMENT_KINDS, Role
from cairn.accounts.models import ApiToken, Organisation, Unit, User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction

TOKEN_PREFIX = "cairn"


def organisation_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    kind: str,
    jurisdiction: str,
    region: str = "",
    contact_point: str = "",
    is_law_enforcement: bool | None = None,
) -> Organisation:
    org = Organisation(
        code=code,
        name=name,
        kind=kind,
        jurisdiction=jurisdiction,
        region=region,
        contact_point=contact_point,
        is_law_enforcement=kind in LAW_ENFORCEMENT_KINDS if is_law_enforcement is None else is_law_enforcement,
    )
    org.full_clean()
    with transaction.atomic():
        org.save()
        audit.record(action=AuditAction.CREATE, actor=actor, obj=org, organisation=actor.organisation if actor else org)
    return org


def user_create(
    *,
    actor: User | None,
    username: str,
    organisation_code: str,
    roles: list[str],
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    unit: Unit | None = None,
    job_title: str = "",
    check_password: bool = True,
) -> User:
    """Create an account. Raises ValidationError with a message per field."""
    errors: dict[str, str] = {}
    username = username.strip()
    if not username:
        errors["username"] = "Enter a username."
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = f"The username '{username}' is already taken."
    organisation = Organisation.objects.filter(code=organisation_code).first()
    if organisation is None:
        errors["organisation"] = f"There is no organisation with the code '{organisation_code}'."
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        errors["roles"] = f"Unknown role(s): {', '.join(unknown)}. Known roles: {', '.join(Role.values)}."
    if errors:
        raise ValidationError(errors)
    assert organisation is not None
    user = User(
        username=username,
        organisation=organisation,
        roles=sorted(set(roles)),
        email=email,
        first_name=first_name,
        last_name=last_name,
        unit=unit,
        job_title=job_title,
        # Administrators use the staff pages; nobody else does.
        is_staff=Role.ADMINISTRATOR in roles,
    )
    if password:
        if check_password:
            validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    with transaction.atomic():
        user.save()
        audit.record(
            action=AuditAction.CREATE,
            actor=actor,
            obj=user,
            detail={"roles": user.roles, "organisation": organisation.code},
            subject_organisation=organisation,
            organisation=actor.organisation if actor else organisation,
        )
    return user


def totp_device_for(user: User, *, confirmed: bool | None = None) -> TOTPDevice | None:
    qs = TOTPDevice.objects.filter(user=user)
    if confirmed is not None:
        qs = qs.filter(confirmed=confirmed)
    return qs.order_by("-confirmed", "id").first()


def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """Return the unconfirmed device a user is enrolling, creating it on first sight."""
    device = totp_device_for(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def totp_enrolment_confirm(*, user: User, device: TOTPDevice) -> None:
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.record(
            action=AuditAction.CHANGE,
            actor=user,
            obj=device,
            object_repr="TOTP enrolled",
            subject_organisation=user.organisation,
        )


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_issue(*, actor: User, user: User, name: str) -> IssuedToken:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, such as the system that will use it."})
    if actor.pk != user.pk:
        raise ValidationError("You can issue tokens only for your own account.")
    prefix = secrets.token_hex(5)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=prefix, digest=_digest(secret))
        audit.record(action=AuditAction.CREATE, actor=actor, obj=token, subject_organisation=user.organisation)
    return IssuedToken(token=token, secret=secret)


def token_revoke(*, actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk:
        raise ValidationError("You can revoke only your own tokens.")
    if token.revoked_at is not None:
        return
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            action=AuditAction.CHANGE,
            actor=actor,
            obj=token,
            object_repr=f"revoked {token}",
            subject_organisation=actor.organisation,
        )


def token_authenticate(secret: str) -> User | None:
    """The user a presented token belongs to, or None for a malformed, unknown, revoked or expired token."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != 10:
        return None
    token = ApiToken.objects.select_related("user", "user__organisation").filter(prefix=parts[1]).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    if not secrets.compare_digest(token.digest, _digest(secret)):
        return None
    now = timezone.now()
    # Only touch the row once a minute; a busy client should not write on every call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
