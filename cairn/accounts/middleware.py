from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse


class RequireVerifiedMiddleware:
    """A session counts as signed in only after the second factor.

    The sign-in views call ``login()`` only once the code is verified, so this is
    a second line: any session that is authenticated but not OTP-verified (an
    old session, a bug elsewhere) is signed out before a view sees it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_verified():
            logout(request)
        return self.get_response(request)
