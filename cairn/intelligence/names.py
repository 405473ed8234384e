"""The matcher of known names used while an officer types a report."""

from __future__ import annotations

from cairn.access import intelligence as policy
from cairn.accounts.models import User
from cairn.entities.choices import Property
from cairn.entities.extraction import NameMatcher

MAX_NAMES = 200_000


def name_matcher_for(user: User) -> NameMatcher:
    """Names of people and organisations the user can already see.

    Built from the user's visible statements only, so a proposal never reveals
    a name from a report they may not read.
    """
    names = (
        policy.statements_visible_to(user)
        .filter(prop=Property.NAME)
        .values_list("value", "entity_id")
        .order_by()
        .distinct()[:MAX_NAMES]
    )
    return NameMatcher(list(names))
