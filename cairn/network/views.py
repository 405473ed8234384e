"""The link chart page. It draws with Cytoscape.js and reads everything through the network API."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from cairn.access import linking as access
from cairn.accounts.models import User
from cairn.core.reasons import reason_required
from cairn.entities.choices import RELATIONSHIPS, EntityKind, Property
from cairn.network import api
from cairn.network.graph import CO_MENTIONED, DEFAULT_MAX_NODES


@login_required
def chart(request: HttpRequest) -> HttpResponse:
    """``?seed=<entity id>`` starts from an entity's neighbourhood, ``?chart=<id>`` opens a saved chart."""
    user = request.user
    assert isinstance(user, User)
    if not access.may_link(user):
        raise Http404
    if needs := reason_required(request):
        return needs
    seed = request.GET.get("seed", "")
    saved = request.GET.get("chart", "")
    labels = dict(Property.choices)
    context = {
        "seed": seed if seed.isdigit() else "",
        "saved": saved if saved.isdigit() else "",
        "api_base": reverse("api:api-root").rstrip("/"),
        "kinds": EntityKind.choices,
        "relationships": [(CO_MENTIONED, "Named together"), *sorted((p.value, labels[p]) for p in RELATIONSHIPS)],
        "max_nodes": DEFAULT_MAX_NODES,
        "max_nodes_limit": api.MAX_NODES,
        "max_hops": api.MAX_HOPS,
    }
    return render(request, "network/chart.html", context)
