"""Saved link charts: an analyst's layout and annotations over entity ids, never the drawn material.

A saved chart stores *which entities* were charted and how the analyst arranged them. What is
drawn is derived again, for whoever opens it, from what that person may see: a colleague who may
not read a report the saver could read sees a flag node (or nothing) where the saver saw detail.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


def empty_state() -> dict[str, Any]:
    return {"entity_ids": [], "positions": {}, "pinned": [], "hidden": [], "groups": {}, "notes": {}, "filters": {}}


class SavedChartQuerySet(models.QuerySet["SavedChart"]):
    def visible_to(self, user: Any) -> SavedChartQuerySet:
        """Charts the user owns or that were shared with them; any other chart does not exist for them."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(Q(owner=user) | Q(shared_with=user)).distinct()


class SavedChart(models.Model):
    """A link chart an analyst saved: entity ids, positions, pins, hidden nodes, groups, notes and filters."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="saved_charts")
    title = models.CharField(max_length=200)
    # {"entity_ids": [int], "positions": {node id: {"x", "y"}}, "pinned": [node id], "hidden": [node id],
    #  "groups": {name: [entity id]}, "notes": {entity id: text}, "filters": {...}}
    state = models.JSONField(default=empty_state)
    shared_with = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="charts_shared_with_me", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedChartQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title
