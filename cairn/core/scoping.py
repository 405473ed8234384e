"""Managers that refuse to query without knowing who is asking.

Models holding intelligence-derived data declare ``objects = ScopedManager()``:
``Model.objects.visible_to(user)`` asks the access policy, and a plain
``Model.objects.filter(...)`` raises. The one bypass is loudly named
``unscoped()``; a test fails if it is used outside the access package, the
services that write, migrations and the demo generator.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


class UnscopedQueryError(RuntimeError):
    pass


class ScopedManager(models.Manager[M], Generic[M]):
    def get_queryset(self) -> models.QuerySet[M]:
        raise UnscopedQueryError(
            f"{self.model.__name__}.objects needs to know who is asking: use .visible_to(user) "
            f"(cairn.access decides), or .unscoped() inside the access policy and writing services."
        )

    def unscoped(self) -> models.QuerySet[M]:
        return super().get_queryset()

    def visible_to(self, user: Any) -> models.QuerySet[M]:
        from cairn.access.intelligence import visible

        return visible(self.model, user)

    # Writes are not reads: creating rows needs no scope.
    def create(self, **kwargs: Any) -> M:
        return self.unscoped().create(**kwargs)

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[M]:
        return self.unscoped().bulk_create(objs, *args, **kwargs)
