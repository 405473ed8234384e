"""Sign-in with password then TOTP, first-time TOTP enrolment, sign-out, API tokens."""

from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, user_login_failed
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from cairn.accounts import services
from cairn.accounts.forms import CodeForm, SignInForm, TokenForm
from cairn.accounts.models import ApiToken, User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction

PENDING_USER = "cairn_pending_user"
PENDING_SINCE = "cairn_pending_since"
PENDING_NEXT = "cairn_pending_next"
# The gap allowed between the password and the code.
PENDING_SECONDS = 300


def locked_out(
    request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """Axes calls this when an account is locked after repeated failures."""
    for key in (PENDING_USER, PENDING_SINCE, PENDING_NEXT):
        request.session.pop(key, None)
    return render(request, "accounts/locked.html", status=429)


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return reverse("core:home")


def _pending_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(PENDING_USER)
    since = request.session.get(PENDING_SINCE, 0)
    if not user_id or timezone.now().timestamp() - since > PENDING_SECONDS:
        return None
    return User.objects.select_related("organisation").filter(pk=user_id, is_active=True).first()


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is None:
            audit.record(
                action=AuditAction.SIGN_IN_FAILED,
                actor=None,
                object_type="accounts.user",
                object_repr=username[:150],
                detail={"step": "password"},
                request=request,
            )
            form.add_error(None, "The username or password is not right.")
        else:
            assert isinstance(user, User)
            request.session.cycle_key()
            request.session[PENDING_USER] = user.pk
            request.session[PENDING_SINCE] = timezone.now().timestamp()
            request.session[PENDING_NEXT] = _safe_next(request, request.GET.get("next"))
            if services.totp_device_for(user, confirmed=True) is None:
                return redirect("accounts:enrol")
            return redirect("accounts:code")
    return render(request, "accounts/sign_in.html", {"form": form})


def _finish_sign_in(request: HttpRequest, user: User, device: Any) -> HttpResponse:
    target = request.session.get(PENDING_NEXT) or reverse("core:home")
    for key in (PENDING_USER, PENDING_SINCE, PENDING_NEXT):
        request.session.pop(key, None)
    login(request, user, backend="cairn.accounts.backends.CairnModelBackend")
    otp_login(request, device)
    audit.record(
        action=AuditAction.SIGN_IN, actor=user, obj=user, request=request, subject_organisation=user.organisation
    )
    return HttpResponseRedirect(target)


def _throttled(device: Any, form: CodeForm) -> bool:
    """After a wrong code django-otp refuses every code for a few seconds; say so, and count nothing."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        form.add_error("code", "Wait a few seconds, then enter the code again.")
    return not allowed


def _code_failed(request: HttpRequest, user: User) -> None:
    """Count a wrong code towards the lockout, exactly as a wrong password counts."""
    user_login_failed.send(sender=__name__, credentials={"username": user.username}, request=request)
    audit.record(
        action=AuditAction.SIGN_IN_FAILED,
        actor=None,
        obj=user,
        detail={"step": "code"},
        request=request,
        organisation=user.organisation,
        subject_organisation=user.organisation,
    )


@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        messages.info(request, "Sign in again: your sign-in was not finished in time.")
        return redirect("accounts:sign-in")
    device = services.totp_device_for(user, confirmed=True)
    if device is None:
        return redirect("accounts:enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _throttled(device, form):
            return render(request, "accounts/code.html", {"form": form, "pending": user})
        if device.verify_token(form.cleaned_data["code"]):
            return _finish_sign_in(request, user, device)
        _code_failed(request, user)
        form.add_error("code", "The code is not right. Check your authenticator app and try again.")
    return render(request, "accounts/code.html", {"form": form, "pending": user})


def _qr_data_uri(device: Any, user: User) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        messages.info(request, "Sign in with your password first.")
        return redirect("accounts:sign-in")
    if services.totp_device_for(user, confirmed=True) is not None:
        return redirect("accounts:code")
    device = services.totp_enrolment_start(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not _throttled(device, form):
        if device.verify_token(form.cleaned_data["code"]):
            services.totp_enrolment_confirm(user=user, device=device)
            return _finish_sign_in(request, user, device)
        _code_failed(request, user)
        form.add_error("code", "The code is not right. Scan the QR code again or type the key, then try again.")
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "pending": user,
        "qr": _qr_data_uri(device, user),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return render(request, "accounts/enrol.html", context)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        assert isinstance(request.user, User)
        audit.record(
            action=AuditAction.SIGN_OUT,
            actor=request.user,
            obj=request.user,
            request=request,
            subject_organisation=request.user.organisation,
        )
    logout(request)
    messages.success(request, "You have signed out.")
    return redirect("accounts:sign-in")


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.token_issue(actor=user, user=user, name=form.cleaned_data["name"])
            form = TokenForm()
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "issued": issued, "tokens": ApiToken.objects.filter(user=user)},
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    token = get_object_or_404(ApiToken, pk=token_id, user=user)
    services.token_revoke(actor=user, token=token)
    messages.success(request, f"Token '{token.name}' revoked.")
    return redirect("accounts:tokens")
