"""The network over the API: neighbourhoods, paths, common neighbours, centrality, exports and saved charts.

Every operation needs the capability to analyse networks (and to read intelligence): anyone else
is told "not found", as if the operation did not exist. The graph functions apply the
dissemination rule hop by hop; this layer parses, calls one of them, audits and answers.
A saved chart keeps entity ids and the analyst's arrangement only: opening one derives the
chart again for the person opening it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from cairn.access import linking as access
from cairn.access.network import GraphRule
from cairn.accounts.models import Organisation, User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.core.reasons import current_reason
from cairn.network import analytics, exports, graph
from cairn.network.graph import Chart, ChartFilters, EntityNotFound, GraphScope
from cairn.network.models import SavedChart

router = Router(tags=["network"])

MAX_HOPS = 3
MAX_PATH_HOPS = 6
MAX_NODES = 2000
MAX_ENTITIES = 2000
MAX_NOTE = 2000
MAX_TITLE = 200
EXPORTS: dict[str, tuple[str, str, Any]] = {
    "graphml": ("application/graphml+xml", "graphml", exports.graphml),
    "csv": ("application/zip", "zip", exports.csv_zip),
    "anx": ("application/xml", "anx", exports.anx),
}


# --- parsing ----------------------------------------------------------------------------------------


def _analyst(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not access.may_link(user):
        raise HttpError(404, "Not found.")
    return user


def parse_ids(raw: str, name: str, *, limit: int = MAX_ENTITIES) -> list[int]:
    """``"1,2,3"`` -> ``[1, 2, 3]``; anything else is a 400 that names the parameter."""
    parts = [p.strip() for p in (raw or "").split(",") if p.strip()]
    if not parts:
        raise HttpError(400, f"{name}: give one or more entity ids, separated by commas.")
    if not all(p.isdigit() for p in parts):
        raise HttpError(400, f"{name}: entity ids are whole numbers, separated by commas.")
    ids = list(dict.fromkeys(int(p) for p in parts))
    if len(ids) > limit:
        raise HttpError(400, f"{name}: at most {limit:,} entity ids.")
    return ids


def _bounded(value: int, name: str, low: int, high: int) -> int:
    if not low <= value <= high:
        raise HttpError(400, f"{name} must be between {low} and {high:,}.")
    return value


def _date(raw: str, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise HttpError(400, f"{name}: give a date as YYYY-MM-DD.") from None


def _list(raw: str) -> frozenset[str] | None:
    values = frozenset(p.strip() for p in (raw or "").split(",") if p.strip())
    return values or None


class FilterQuery(Schema):
    """The chart filters as query parameters: the same five on every chart, path and export."""

    date_from: str = ""
    date_to: str = ""
    organisation: str = ""
    relationship: str = ""
    kind: str = ""


FILTER_KEYS = tuple(FilterQuery.model_fields)


def parse_filters(
    date_from: str = "", date_to: str = "", organisation: str = "", relationship: str = "", kind: str = ""
) -> ChartFilters:
    """Filters from query parameters; organisations by code (or id). Unknown values are a 400."""
    organisation_ids: frozenset[int] | None = None
    if wanted := _list(organisation):
        ids = {int(v) for v in wanted if v.isdigit()}
        codes = {v for v in wanted if not v.isdigit()}
        found = list(Organisation.objects.filter(code__in=codes).values_list("pk", flat=True)) if codes else []
        if len(found) != len(codes):
            raise HttpError(400, "organisation: unknown organisation code(s).")
        organisation_ids = frozenset(ids | set(found))
    try:
        return ChartFilters(
            date_from=_date(date_from, "date_from"),
            date_to=_date(date_to, "date_to"),
            organisation_ids=organisation_ids,
            relationship_types=_list(relationship),
            entity_kinds=_list(kind),
        )
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None


def filters_dict(f: ChartFilters) -> dict[str, Any]:
    return {
        "date_from": f.date_from.isoformat() if f.date_from else "",
        "date_to": f.date_to.isoformat() if f.date_to else "",
        "organisation": ",".join(str(i) for i in sorted(f.organisation_ids or ())),
        "relationship": ",".join(sorted(f.relationship_types or ())),
        "kind": ",".join(sorted(f.entity_kinds or ())),
    }


def _audit(request: HttpRequest, user: User, what: str, chart: Chart | None, **detail: Any) -> None:
    if chart is not None:
        detail |= {
            "nodes": sum(1 for n in chart.nodes if n.kind != graph.FLAG),
            "flags": len(chart.flags),
            "edges": len(chart.edges),
            "handling": chart.handling.summary(),
        }
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        object_type=f"network.{what}",
        reason=current_reason(request),
        request=request,
        detail=detail,
    )


def _neighbourhood(user: User, ids: list[int], hops: int, max_nodes: int, filter_query: FilterQuery) -> Chart:
    """The chart around ``ids`` within the caller's filters; an unknown seed is a 404."""
    filters = parse_filters(**filter_query.model_dump())
    try:
        return graph.neighbourhood(user, ids, hops, filters, max_nodes=max_nodes)
    except EntityNotFound as exc:
        raise HttpError(404, str(exc)) from None


def _answer(chart: Chart, **extra: Any) -> dict[str, Any]:
    return chart.as_dict() | extra


# --- charts -------------------------------------------------------------------------------------------


@router.get("/network/neighbourhood", response=dict[str, Any], summary="The seeds and their neighbours, as a chart")
def neighbourhood(
    request: HttpRequest,
    filter_query: Query[FilterQuery],
    seeds: str,
    hops: int = 1,
    max_nodes: int = graph.DEFAULT_MAX_NODES,
) -> Any:
    """Cytoscape.js elements, with flag nodes for restricted material and ``left_out`` for a capped chart."""
    user = _analyst(request)
    ids = parse_ids(seeds, "seeds")
    _bounded(hops, "hops", 0, MAX_HOPS)
    _bounded(max_nodes, "max_nodes", 1, MAX_NODES)
    chart = _neighbourhood(user, ids, hops, max_nodes, filter_query)
    _audit(request, user, "neighbourhood", chart, seeds=ids, hops=hops)
    return _answer(chart)


@router.get("/network/paths", response=dict[str, Any], summary="Shortest paths between two entities")
def paths(
    request: HttpRequest,
    filter_query: Query[FilterQuery],
    a: int,
    b: int,
    max_hops: int = MAX_PATH_HOPS,
) -> Any:
    """Paths through what you may see only; none within ``max_hops`` is a 200 with no paths and a message."""
    user = _analyst(request)
    _bounded(max_hops, "max_hops", 1, MAX_PATH_HOPS)
    filters = parse_filters(**filter_query.model_dump())
    try:
        chart = graph.shortest_paths(user, a, b, max_hops, filters)
    except EntityNotFound as exc:
        raise HttpError(404, str(exc)) from None
    _audit(request, user, "paths", chart, a=a, b=b, max_hops=max_hops, paths=len(chart.paths))
    message = "" if chart.paths else f"No path within {max_hops} hops through intelligence you may read."
    return _answer(chart, message=message)


@router.get("/network/common", response=dict[str, Any], summary="Entities next to both of two entities")
def common(
    request: HttpRequest,
    filter_query: Query[FilterQuery],
    a: int,
    b: int,
    max_nodes: int = graph.DEFAULT_MAX_NODES,
) -> Any:
    user = _analyst(request)
    _bounded(max_nodes, "max_nodes", 1, MAX_NODES)
    filters = parse_filters(**filter_query.model_dump())
    try:
        chart = graph.common_neighbours(user, a, b, filters, max_nodes=max_nodes)
    except EntityNotFound as exc:
        raise HttpError(404, str(exc)) from None
    common_count = sum(1 for n in chart.nodes if n.kind != graph.FLAG and n.entity_id not in (a, b))
    _audit(request, user, "common", chart, a=a, b=b, common=common_count)
    message = "" if common_count else "No common neighbours in intelligence you may read."
    return _answer(chart, message=message)


class ScoreOut(Schema):
    entity_id: int
    kind: str
    degree: int
    weighted_degree: float
    pagerank: float
    betweenness: float


@router.get("/network/centrality", response=list[ScoreOut], summary="Degree, PageRank and betweenness among entities")
def centrality(request: HttpRequest, entities: str) -> Any:
    """Scores over your visible graph restricted to these entities; ones you may not see are simply absent."""
    user = _analyst(request)
    ids = parse_ids(entities, "entities")
    g = graph.visible_graph(user, GraphScope(entity_ids=frozenset(ids)))
    scores = analytics.centrality(g)
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        object_type="network.centrality",
        reason=current_reason(request),
        request=request,
        detail={"entities": len(ids), "scored": len(scores)},
    )
    return [vars(s) for s in scores]


@router.get("/network/communities", response=dict[str, Any], summary="Candidate crime groups among entities")
def communities(request: HttpRequest, entities: str, min_size: int = 3) -> Any:
    """Leiden over your visible graph restricted to these entities (a chart's): candidate groups, largest first.

    For everything you may see, start a background detection run (``POST /api/v1/detection-runs``).
    """
    user = _analyst(request)
    ids = parse_ids(entities, "entities")
    _bounded(min_size, "min_size", 2, MAX_ENTITIES)
    g = graph.visible_graph(user, GraphScope(entity_ids=frozenset(ids)))
    found = analytics.candidate_groups(user, g, min_size=min_size)
    audit.record(
        action=AuditAction.SEARCH,
        actor=user,
        object_type="network.communities",
        reason=current_reason(request),
        request=request,
        detail={"entities": len(ids), "in_graph": g.vcount(), "candidates": len(found)},
    )
    return {"entities": g.vcount(), "links": g.ecount(), "groups": [c.as_dict() for c in found]}


class DrawingIn(Schema):
    format: str
    entities: list[int]
    title: str = ""


@router.post("/network/drawings", response={201: dict[str, Any]}, summary="Record a PNG or SVG drawing of a chart")
def drawing(request: HttpRequest, body: DrawingIn) -> Any:
    """The page draws PNG and SVG itself; it records each here first (and draws nothing if this fails)."""
    user = _analyst(request)
    if body.format not in {"png", "svg"}:
        raise HttpError(400, "format: png or svg.")
    if not body.entities or len(body.entities) > MAX_NODES:
        raise HttpError(400, f"entities: between 1 and {MAX_NODES:,} entity ids.")
    audit.record(
        action=AuditAction.EXPORT,
        actor=user,
        object_type="network.drawing",
        reason=current_reason(request),
        request=request,
        detail={
            "format": body.format,
            "entities": len(body.entities),
            "entity_ids": sorted(set(body.entities))[:MAX_NODES],
            "title": body.title[:MAX_TITLE],
        },
    )
    return Status(201, {"recorded": True})


@router.get("/network/export", summary="A chart as GraphML, CSV (zip) or i2 ANX, with its handling")
def export(
    request: HttpRequest,
    filter_query: Query[FilterQuery],
    format: str,
    seeds: str,
    hops: int = 0,
    max_nodes: int = MAX_NODES,
    title: str = "",
) -> HttpResponse:
    """A file download of the chart around ``seeds`` (``hops=0``: exactly these entities), audited as an export."""
    user = _analyst(request)
    if format not in EXPORTS:
        raise HttpError(400, f"format must be one of: {', '.join(EXPORTS)}.")
    ids = parse_ids(seeds, "seeds")
    _bounded(hops, "hops", 0, MAX_HOPS)
    _bounded(max_nodes, "max_nodes", 1, MAX_NODES)
    chart = _neighbourhood(user, ids, hops, max_nodes, filter_query)
    if title.strip():
        chart.title = title.strip()[:MAX_TITLE]
    content_type, extension, write = EXPORTS[format]
    body: bytes = write(chart)
    audit.record(
        action=AuditAction.EXPORT,
        actor=user,
        object_type="network.export",
        reason=current_reason(request),
        request=request,
        detail={
            "format": format,
            "seeds": ids,
            "hops": hops,
            "nodes": sum(1 for n in chart.nodes if n.kind != graph.FLAG),
            "flags": len(chart.flags),
            "edges": len(chart.edges),
            "reports": sorted(chart.markings),
            "handling": chart.handling.summary(),
        },
    )
    filename = f"cairn-chart-{timezone.localtime():%Y%m%d-%H%M%S}.{extension}"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Cairn-Handling"] = chart.handling.summary().encode("ascii", "replace").decode()
    return response


# --- saved charts -----------------------------------------------------------------------------------------


class ChartIn(Schema):
    title: str
    state: dict[str, Any]


class ShareIn(Schema):
    username: str


class SavedChartOut(Schema):
    id: int
    title: str
    owner: str
    mine: bool
    shared_with: list[str]
    updated_at: str


def _summary(saved: SavedChart, user: User) -> dict[str, Any]:
    mine = saved.owner_id == user.pk
    return {
        "id": saved.pk,
        "title": saved.title,
        "owner": saved.owner.username,
        "mine": mine,
        # Whom else the owner shared it with is the owner's business.
        "shared_with": sorted(u.username for u in saved.shared_with.all()) if mine else [],
        "updated_at": saved.updated_at.isoformat(timespec="seconds"),
    }


def _invalid(message: str) -> HttpError:
    return HttpError(422, message)


def _node_keys(raw: Any, name: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(v, str) and len(v) <= 40 for v in raw):
        raise _invalid(f"state.{name}: a list of node ids.")
    return list(dict.fromkeys(raw))[: MAX_ENTITIES * 2]


def clean_state(raw: dict[str, Any]) -> dict[str, Any]:
    """The parts of a chart's state Cairn keeps, checked: entity ids, layout, groups, notes and filters."""
    ids = raw.get("entity_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and i > 0 for i in ids):
        raise _invalid("state.entity_ids: a list of one or more entity ids.")
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_ENTITIES:
        raise _invalid(f"state.entity_ids: at most {MAX_ENTITIES:,} entities.")
    positions: dict[str, dict[str, float]] = {}
    for key, pos in (raw.get("positions") or {}).items():
        if not (isinstance(pos, dict) and all(isinstance(pos.get(c), int | float) for c in ("x", "y"))):
            raise _invalid("state.positions: {node id: {x, y}}.")
        positions[str(key)[:40]] = {"x": float(pos["x"]), "y": float(pos["y"])}
    groups: dict[str, list[int]] = {}
    for name, members in (raw.get("groups") or {}).items():
        if not isinstance(members, list) or not all(isinstance(m, int) for m in members):
            raise _invalid("state.groups: {name: [entity ids]}.")
        groups[str(name).strip()[:100]] = [m for m in members if m in ids]
    notes: dict[str, str] = {}
    for key, text in (raw.get("notes") or {}).items():
        if not str(key).isdigit() or not isinstance(text, str):
            raise _invalid("state.notes: {entity id: text}.")
        if text.strip():
            notes[str(key)] = text.strip()[:MAX_NOTE]
    filters = raw.get("filters") or {}
    if not isinstance(filters, dict):
        raise _invalid("state.filters: an object.")
    parse_filters(**{k: str(filters.get(k, "")) for k in FILTER_KEYS})
    return {
        "entity_ids": ids,
        "positions": positions,
        "pinned": _node_keys(raw.get("pinned") or [], "pinned"),
        "hidden": _node_keys(raw.get("hidden") or [], "hidden"),
        "groups": groups,
        "notes": notes,
        "filters": {k: str(filters.get(k, "")) for k in FILTER_KEYS},
    }


def _saved(user: User, chart_id: int) -> SavedChart:
    saved = SavedChart.objects.visible_to(user).select_related("owner").filter(pk=chart_id).first()
    if saved is None:
        raise HttpError(404, "Not found.")
    return saved


def _owned(user: User, chart_id: int) -> SavedChart:
    """A chart only its owner may change: for anyone else (a colleague it is shared with too) it is not there."""
    saved = _saved(user, chart_id)
    if saved.owner_id != user.pk:
        raise HttpError(404, "Not found.")
    return saved


def chart_for_viewer(user: User, saved: SavedChart) -> dict[str, Any]:
    """The saved chart derived again from what ``user`` may see now: never the saver's drawn material.

    Entities the viewer may not know are left out (not counted: a count would say something exists);
    entities known only by flag become flag nodes. The saver's layout, groups and notes are kept for
    the entities the viewer may read in full only.
    """
    state = saved.state
    known = GraphRule(user).entity_access(state.get("entity_ids", []))
    ids = [i for i in state.get("entity_ids", []) if i in known]
    full = {i for i in ids if known[i][0] == "full"}
    filters = parse_filters(**state.get("filters", {}))
    if ids:
        chart = graph.neighbourhood(user, ids, 0, filters, max_nodes=MAX_NODES).as_dict()
    else:
        chart = {"elements": {"nodes": [], "edges": []}, "seeds": [], "paths": [], "left_out": {"summary": ""}}
    drawn = {n["data"]["id"] for n in chart["elements"]["nodes"]}
    full_nodes = {f"e{i}" for i in full}

    def ok(node_id: str) -> bool:
        return node_id in full_nodes and node_id in drawn

    view_state = {
        "entity_ids": ids,
        "positions": {k: v for k, v in state.get("positions", {}).items() if ok(k)},
        "pinned": [k for k in state.get("pinned", []) if ok(k)],
        "hidden": [k for k in state.get("hidden", []) if ok(k)],
        "groups": {
            name: kept
            for name, members in state.get("groups", {}).items()
            if (kept := [m for m in members if m in full])
        },
        "notes": {k: v for k, v in state.get("notes", {}).items() if int(k) in full},
        "filters": state.get("filters", {}),
    }
    return {"state": view_state, "chart": chart}


@router.get("/network/charts", response=list[SavedChartOut], summary="Your saved charts and charts shared with you")
def chart_list(request: HttpRequest) -> Any:
    user = _analyst(request)
    charts = list(SavedChart.objects.visible_to(user).select_related("owner").prefetch_related("shared_with")[:200])
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        object_type="network.saved_charts",
        request=request,
        detail={"shown": len(charts)},
    )
    return [_summary(c, user) for c in charts]


@router.post("/network/charts", response={201: SavedChartOut}, summary="Save a chart (entity ids and your layout)")
def chart_save(request: HttpRequest, body: ChartIn) -> Any:
    user = _analyst(request)
    title = body.title.strip()
    if not title:
        raise _invalid("title: give the chart a title.")
    state = clean_state(body.state)
    # Only what the saver may know can be saved: an unknown id is "no such entity", whatever the reason.
    if len(GraphRule(user).entity_access(state["entity_ids"])) != len(state["entity_ids"]):
        raise HttpError(404, graph.NOT_FOUND)
    with transaction.atomic():
        saved = SavedChart.objects.create(owner=user, title=title[:MAX_TITLE], state=state)
        audit.record(
            action=AuditAction.CREATE,
            actor=user,
            obj=saved,
            request=request,
            detail={"entities": len(state["entity_ids"])},
        )
    return Status(201, _summary(saved, user))


@router.get("/network/charts/{chart_id}", response=dict[str, Any], summary="A saved chart, as you may see it")
def chart_open(request: HttpRequest, chart_id: int) -> Any:
    user = _analyst(request)
    saved = _saved(user, chart_id)
    derived = chart_for_viewer(user, saved)
    nodes = derived["chart"]["elements"]["nodes"]
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        obj=saved,
        reason=current_reason(request),
        request=request,
        detail={
            "nodes": sum(1 for n in nodes if n["data"]["kind"] != graph.FLAG),
            "flags": sum(1 for n in nodes if n["data"]["kind"] == graph.FLAG),
        },
    )
    return _summary(saved, user) | derived


@router.post("/network/charts/{chart_id}/share", response=SavedChartOut, summary="Share a saved chart with an analyst")
def chart_share(request: HttpRequest, chart_id: int, body: ShareIn) -> Any:
    """The owner shares with a named analyst of any organisation; they will see only what they may see."""
    user = _analyst(request)
    saved = _owned(user, chart_id)
    colleague = User.objects.filter(username=body.username.strip(), is_active=True).first()
    if colleague is None or not access.may_link(colleague):
        raise _invalid("username: no analyst with that username.")
    if colleague.pk == user.pk:
        raise _invalid("username: the chart is already yours.")
    with transaction.atomic():
        saved.shared_with.add(colleague)
        audit.record(
            action=AuditAction.CHANGE,
            actor=user,
            obj=saved,
            request=request,
            detail={"shared_with": colleague.username, "organisation": colleague.organisation.code},
        )
    return _summary(saved, user)


@router.delete(
    "/network/charts/{chart_id}/share/{username}", response=SavedChartOut, summary="Stop sharing a saved chart"
)
def chart_unshare(request: HttpRequest, chart_id: int, username: str) -> Any:
    """The owner takes a colleague off the chart; it no longer exists for them."""
    user = _analyst(request)
    saved = _owned(user, chart_id)
    colleague = saved.shared_with.filter(username=username.strip()).first()
    if colleague is None:
        raise _invalid("username: the chart is not shared with that username.")
    with transaction.atomic():
        saved.shared_with.remove(colleague)
        audit.record(
            action=AuditAction.CHANGE,
            actor=user,
            obj=saved,
            request=request,
            detail={"unshared_with": colleague.username, "organisation": colleague.organisation.code},
        )
    return _summary(saved, user)


@router.delete("/network/charts/{chart_id}", response={204: None}, summary="Delete a saved chart")
def chart_delete(request: HttpRequest, chart_id: int) -> Any:
    """The owner deletes the chart, for everyone it was shared with too; the audit log keeps what it was."""
    user = _analyst(request)
    saved = _owned(user, chart_id)
    with transaction.atomic():
        audit.record(
            action=AuditAction.ERASE,
            actor=user,
            obj=saved,
            request=request,
            detail={
                "title": saved.title,
                "entities": len(saved.state.get("entity_ids", [])),
                "shared_with": sorted(u.username for u in saved.shared_with.all()),
            },
        )
        saved.delete()
    return Status(204, None)
