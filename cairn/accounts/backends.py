"""Signing in with Django's model backend; each request's user arrives with its organisation."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from cairn.accounts.models import User


class CairnModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        # The access rule reads the user's organisation on nearly every page; loading it with the
        # user saves a query per request.
        user = User._default_manager.select_related("organisation").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
