"""Reading crime groups as one viewer may see them: the list, one group, its members, spread and history."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import igraph
from django.db.models import Q, QuerySet
from django.http import Http404

from cairn.access import groups as access
from cairn.access import intelligence as rule
from cairn.access.linking import entities_by_id, readable_entity_ids
from cairn.access.network import GraphRule
from cairn.entities.choices import EntityKind, Property
from cairn.groups.models import CrimeGroup, DetectionRun, ThreatAssessment, ThreatScheme
from cairn.network.analytics import spread

_KIND_LABELS = dict(EntityKind.choices)


def entity_key(entity_id: int) -> str:
    entity = entities_by_id([entity_id]).get(entity_id)
    return (entity.key or "") if entity else ""


def member_labels(user: Any, entity_ids: list[int]) -> dict[int, tuple[str, str]]:
    """(kind, label) for each entity: its selector, or the name most of the viewer's readable reports give it.

    Callers pass only entities the viewer may read (a selector's key is the label).
    """
    entities = entities_by_id(list(entity_ids))
    names: dict[int, Counter[str]] = defaultdict(Counter)
    rows = (
        rule.statements_visible_to(user)
        .filter(entity_id__in=list(entities), prop=Property.NAME)
        .values_list("entity_id", "value")
        .order_by()
    )
    for entity_id, value in rows:
        if value:
            names[entity_id][value] += 1
    out: dict[int, tuple[str, str]] = {}
    for entity_id in entity_ids:
        entity = entities.get(entity_id)
        if entity is None:
            continue
        label = entity.key or (
            names[entity_id].most_common(1)[0][0]
            if names[entity_id]
            else f"{_KIND_LABELS.get(entity.kind, entity.kind)} #{entity_id}"
        )
        out[entity_id] = (entity.kind, label)
    return out


@dataclass
class Member:
    entity_id: int
    kind: str
    label: str

    @property
    def kind_label(self) -> str:
        return _KIND_LABELS.get(self.kind, self.kind)


@dataclass
class GroupView:
    """One crime group as the viewer sees it; ``access`` is 'full' or 'flag' (with nothing but the flag)."""

    group: CrimeGroup
    access: str
    members: list[Member] = field(default_factory=list)
    organisations: dict[str, int] = field(default_factory=dict)
    regions: dict[str, int] = field(default_factory=dict)
    assessments: list[ThreatAssessment] = field(default_factory=list)
    flag: rule.Flag | None = None

    @property
    def members_by_kind(self) -> dict[str, list[Member]]:
        out: dict[str, list[Member]] = defaultdict(list)
        for m in self.members:
            out[m.kind_label].append(m)
        return dict(sorted(out.items()))

    def as_dict(self) -> dict[str, Any]:
        g = self.group
        if self.access != "full":
            flag = self.flag
            return {
                "id": g.pk,
                "access": "flag",
                "organisation": flag.organisation if flag else g.organisation.name,
                "contact_point": flag.contact_point if flag else g.organisation.contact_point,
                "recorded": g.adopted_at.date().isoformat(),
                "flag": flag.token if flag else None,  # to ask for access with (GET /flags/{token})
            }
        latest = self.assessments[0] if self.assessments else None
        return {
            "id": g.pk,
            "access": "full",
            "reference": g.reference,
            "name": g.name,
            "entity_id": g.entity_id,
            "report_id": g.report_id,
            "organisation": g.organisation.name,
            "adopted_by": g.adopted_by.get_full_name() or g.adopted_by.username,
            "adopted_at": g.adopted_at.isoformat(),
            "found_by": g.found_by,
            "members": [{"entity_id": m.entity_id, "kind": m.kind, "label": m.label} for m in self.members],
            "organisations": self.organisations,
            "regions": self.regions,
            "assessments": [assessment_dict(a) for a in self.assessments],
            "band": latest.band if latest else None,
        }


def assessment_dict(a: ThreatAssessment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "scheme": str(a.scheme),
        "scheme_example": a.scheme.example,
        "scores": a.scores,
        "total": a.total,
        "band": a.band,
        "rationale": a.rationale,
        "assessed_by": a.assessed_by.get_full_name() or a.assessed_by.username,
        "assessed_at": a.assessed_at.isoformat(),
    }


def group_list(user: Any) -> list[GroupView]:
    """Every group the viewer may read in full, and a flag for each held restricted to them; newest first."""
    rows = list(access.groups_with_access(user).select_related("organisation", "report__organisation"))
    latest: dict[int, ThreatAssessment] = {}
    full_ids = [g.pk for g in rows if g.access == "full"]  # type: ignore[attr-defined]
    for a in access.assessments_visible_to(user).filter(group_id__in=full_ids).select_related("scheme"):
        latest.setdefault(a.group_id, a)  # ordered newest first
    out = []
    for g in rows:
        if g.access == "full":  # type: ignore[attr-defined]
            out.append(GroupView(g, "full", assessments=[latest[g.pk]] if g.pk in latest else []))
        else:
            out.append(GroupView(g, "flag", flag=access.group_flag(user, g)))
    return out


def group_view(user: Any, pk: int) -> GroupView:
    """One group: in full with members, spread and assessments, or as a flag. Http404 if the viewer may not know it."""
    group = (
        access.groups_with_access(user)
        .select_related("organisation", "adopted_by", "report__organisation")
        .filter(pk=pk)
        .first()
    )
    if group is None:
        raise Http404
    if group.access != "full":  # type: ignore[attr-defined]
        return GroupView(group, "flag", flag=access.group_flag(user, group))
    member_ids = list(
        dict.fromkeys(
            access.member_statements(user, group.entity_id).order_by("id").values_list("related_entity_id", flat=True)
        )
    )
    labels = member_labels(user, [m for m in member_ids if m is not None])
    members = sorted(
        (Member(e, kind, label) for e, (kind, label) in labels.items()), key=lambda m: (m.kind, m.label.lower())
    )
    orgs, regions = spread(user, {1: [m.entity_id for m in members]}).get(1, ({}, {}))
    assessments = list(access.assessments_visible_to(user).filter(group=group).select_related("scheme", "assessed_by"))
    return GroupView(group, "full", members, orgs, regions, assessments)


def active_scheme() -> ThreatScheme | None:
    """The scheme new assessments use. Until any scheme is loaded, the shipped example (labelled so) is."""
    scheme = ThreatScheme.objects.filter(active=True).first()
    if scheme is None and not ThreatScheme.objects.exists():
        from cairn.groups.services import example_scheme_data, scheme_load

        scheme = scheme_load(data=example_scheme_data())
    return scheme


def list_counts(views: list[GroupView]) -> dict[str, int]:
    """What a list of groups showed, for its audit entry: groups read in full, and flags."""
    return {"full": sum(v.access == "full" for v in views), "flags": sum(v.access == "flag" for v in views)}


def runs_for(user: Any) -> list[DetectionRun]:
    return list(access.runs_visible_to(user)[:20])


def run_for(user: Any, pk: int) -> DetectionRun:
    run = access.runs_visible_to(user).filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


def candidates_now(user: Any, run: DetectionRun) -> list[dict[str, Any]]:
    """A finished run's candidates as the viewer may see them now: members they can no longer read taken
    out, and the spread and the links counted again from what they may read (a report made confidential
    since the run takes its organisation, region and links with it); labels added."""
    all_ids = {e for c in run.candidates for ids in c["members"].values() for e in ids}
    readable = readable_entity_ids(user, all_ids) if all_ids else set()
    labels = member_labels(user, sorted(readable))
    neighbours = _neighbours(user, readable)
    # Joined as the run's graph joins them: named in one report, or by a relationship statement.
    linked = _related(user, readable, neighbours)
    kept: list[tuple[dict[str, Any], dict[str, list[int]], list[int]]] = []
    for c in run.candidates:
        # Only members the viewer's links still join: people a report hidden since had joined are no
        # longer one group to them (the largest part that still hangs together is kept).
        joined = _largest_part([e for ids in c["members"].values() for e in ids if e in readable], linked)
        members = {kind: [e for e in ids if e in joined] for kind, ids in c["members"].items()}
        members = {kind: ids for kind, ids in members.items() if ids}
        ids = [e for kind_ids in members.values() for e in kind_ids]
        if len(ids) >= 2:
            kept.append((c, members, ids))
    spreads = spread(user, {i: ids for i, (_, _, ids) in enumerate(kept)})
    out = []
    for i, (c, members, ids) in enumerate(kept):
        inside = set(ids)
        internal = sum(len(neighbours[e] & inside) for e in ids) // 2
        n = len(ids)
        organisations, regions = spreads.get(i, ({}, {}))
        out.append(
            c
            | {
                "members": members,
                "size": n,
                "central": [e for e in c["central"] if e in inside],
                "organisations": organisations,
                "regions": regions,
                "internal_links": internal,
                "external_links": sum(len(neighbours[e] - inside) for e in ids),
                "density": round(2 * internal / (n * (n - 1)), 4),
                "labelled": {
                    kind: [{"id": e, "label": labels[e][1] if e in labels else f"#{e}"} for e in kind_ids]
                    for kind, kind_ids in members.items()
                },
                "member_ids": ",".join(str(e) for e in ids),
            }
        )
    return out


def _largest_part(ids: list[int], neighbours: dict[int, set[int]]) -> set[int]:
    """The largest set of ``ids`` joined by links among themselves (igraph's connected components; of
    equal sizes, the one holding the earliest of ``ids``)."""
    if not ids:
        return set()
    at = {e: i for i, e in enumerate(ids)}
    edges = [(at[a], at[b]) for a in ids for b in neighbours.get(a, set()) if b in at and at[a] < at[b]]
    parts = igraph.Graph(n=len(ids), edges=edges).connected_components()
    return {ids[i] for i in max(parts, key=len)}


def _related(user: Any, entity_ids: set[int], neighbours: dict[int, set[int]]) -> dict[int, set[int]]:
    """``neighbours`` with the viewer's relationship statements among these entities added."""
    linked: dict[int, set[int]] = defaultdict(set, {e: set(n) for e, n in neighbours.items()})
    if not entity_ids:
        return linked
    ids = sorted(entity_ids)
    pairs = GraphRule(user).relationships(Q(entity_id__in=ids, related_entity_id__in=ids))
    return _joined(linked, pairs.values_list("entity_id", "related_entity_id"))


def _neighbours(user: Any, entity_ids: set[int]) -> dict[int, set[int]]:
    """Each of these entities' neighbours in the viewer's graph (named in one report they may read)."""
    found: dict[int, set[int]] = defaultdict(set)
    if not entity_ids:
        return found
    ids = sorted(entity_ids)
    pairs = GraphRule(user).subject_pairs(where=Q(entity_id__in=ids) | Q(report__statements__entity_id__in=ids))
    return _joined(found, pairs.values_list("entity_id", "report__statements__entity_id"))


def _joined(into: dict[int, set[int]], pairs: QuerySet[Any]) -> dict[int, set[int]]:
    """``into`` with each (a, b) of ``pairs`` made neighbours both ways."""
    for a, b in pairs.order_by().distinct():
        into[a].add(b)
        into[b].add(a)
    return into
