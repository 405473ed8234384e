from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from cairn.access.capabilities import Capability
from cairn.access.policy import can


class CairnAdminSite(admin.AdminSite):
    """Staff pages for organisations, units, sharing groups and accounts.

    Open to administrators only, after the second factor; it holds no intelligence.
    Everyone else signed in gets "not found", as for any page not theirs.
    """

    site_header = "Cairn staff administration"
    site_title = "Cairn staff administration"
    index_title = "Organisations and accounts"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        verified = getattr(user, "is_verified", lambda: False)()
        return bool(user.is_authenticated and verified and can(user, Capability.MANAGE_ACCOUNTS))

    def admin_view(self, view: Callable[..., Any], cacheable: bool = False) -> Any:  # type: ignore[override]
        inner = super().admin_view(view, cacheable)

        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if request.user.is_authenticated and not self.has_permission(request):
                raise Http404
            return inner(request, *args, **kwargs)

        return update_wrapper(wrapper, view)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # One sign-in for all of Cairn, with its second factor and lockout.
        if request.user.is_authenticated:
            raise Http404
        return redirect(f"{reverse('accounts:sign-in')}?next={reverse('admin:index')}")
