"""The one JSON API, under /api/v1/, with OpenAPI docs at /api/v1/docs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from cairn.accounts.api import router as accounts_router
from cairn.accounts.services import token_authenticate
from cairn.groups.api import router as groups_router
from cairn.intelligence.api import InvalidInput
from cairn.intelligence.api import router as intelligence_router
from cairn.linking.api import router as linking_router
from cairn.network.api import router as network_router
from cairn.search.api import router as search_router


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class VerifiedSessionAuth(SessionAuth):
    """A browser session counts only after the second factor."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None and getattr(user, "is_verified", lambda: False)():
            return user
        return None


api = NinjaAPI(
    title="Cairn API",
    version="1",
    description=(
        "Shared intelligence and case coordination. Every read honours the access policy; "
        "every call that touches sensitive data is audited."
    ),
    auth=[TokenAuth(), VerifiedSessionAuth()],
    urls_namespace="api",
)


def _error(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request,
        401,
        "not_authenticated",
        "Send a valid API token as 'Authorization: Bearer <token>' (tokens are issued at /account/tokens/).",
    )


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, "invalid_input", "The request is not valid.", errors=exc.errors)


@api.exception_handler(InvalidInput)
def on_invalid_input(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    return _error(request, 422, "invalid_input", str(exc), errors=exc.errors)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {
        400: "bad_request",
        403: "forbidden",
        404: "not_found",
        409: "conflict",
        422: "invalid_input",
        429: "too_many_requests",
    }
    return _error(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


api.add_router("/", accounts_router)
api.add_router("/", intelligence_router)
api.add_router("/", search_router)
api.add_router("/", linking_router)
api.add_router("/", network_router)
api.add_router("/", groups_router)
