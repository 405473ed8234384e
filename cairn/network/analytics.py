"""Centrality and communities over a viewer's visible graph (``graph.visible_graph``).

Everything here takes an igraph Graph that was already built within the access rule, so
analytics never see more than the viewer may. ``candidate_groups`` goes back to the
database only for the spread of each group across organisations and regions, again
through the viewer's visible statements.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import igraph
import leidenalg

from cairn.access.network import GraphRule
from cairn.entities.choices import EntityKind

# Exact betweenness is O(V·E); above this many vertices only paths up to the cutoff are counted.
EXACT_BETWEENNESS_UP_TO = 5_000
APPROXIMATE_CUTOFF = 4
DEFAULT_SEED = 42
# Reports per pair of members a group must exceed (CPM). On the benchmark's planted groups (10 to 100
# members) 0.02 recovers them with NMI 0.99; raise it for tighter groups.
DEFAULT_CPM_RESOLUTION = 0.02
# Modularity's resolution limit merges small groups only in large graphs (it compares each group with
# the whole graph); on a chart-sized graph it needs no parameter, so "auto" uses it there. CPM's
# threshold is absolute: at 0.02 two five-member cliques joined by one link would merge.
AUTO_MODULARITY_UP_TO = 50_000

# How a candidate group's members are listed, by what an analyst calls them.
MEMBER_GROUPS: dict[str, str] = {
    EntityKind.PERSON: "people",
    EntityKind.LOCATION: "premises",
    EntityKind.PHONE: "phones",
    EntityKind.VEHICLE: "vehicles",
    EntityKind.BANK_ACCOUNT: "accounts",
    EntityKind.EMAIL: "emails",
    EntityKind.ORGANISATION: "organisations",
}


@dataclass
class NodeScore:
    entity_id: int
    kind: str
    degree: int
    weighted_degree: float
    pagerank: float
    betweenness: float


def _weights(g: igraph.Graph) -> str | None:
    return "weight" if "weight" in g.es.attributes() else None


def centrality(g: igraph.Graph, *, betweenness_cutoff: int | None = None) -> list[NodeScore]:
    """Degree, weighted degree, PageRank and betweenness for every vertex, highest PageRank first.

    Betweenness is exact up to ``EXACT_BETWEENNESS_UP_TO`` vertices; above it (or when a cutoff is
    given) only shortest paths up to the cutoff are counted, an approximation that ranks the brokers
    of a large graph in seconds rather than hours. Weights count reports, so for betweenness they
    are used as they are (more reports make a link stronger, not longer): unweighted paths.
    """
    if g.vcount() == 0:
        return []
    weights = _weights(g)
    cutoff = betweenness_cutoff
    if cutoff is None and g.vcount() > EXACT_BETWEENNESS_UP_TO:
        cutoff = APPROXIMATE_CUTOFF
    degree = g.degree()
    strength = g.strength(weights=weights) if weights else degree
    pagerank = g.pagerank(weights=weights)
    betweenness = g.betweenness(cutoff=cutoff)
    kinds = g.vs["kind"] if "kind" in g.vs.attributes() else [""] * g.vcount()
    scores = [
        NodeScore(int(e), k, d, float(s), float(p), float(b))
        for e, k, d, s, p, b in zip(g.vs["entity_id"], kinds, degree, strength, pagerank, betweenness, strict=True)
    ]
    return sorted(scores, key=lambda s: (-s.pagerank, s.entity_id))


def leiden(
    g: igraph.Graph,
    *,
    objective: str = "auto",
    resolution: float = DEFAULT_CPM_RESOLUTION,
    seed: int = DEFAULT_SEED,
    iterations: int = -1,
    engine: str = "igraph",
) -> list[int]:
    """Leiden communities, seeded so the same graph gives the same groups: a membership list.

    ``objective`` is ``"auto"`` (modularity up to ``AUTO_MODULARITY_UP_TO`` vertices, CPM above),
    ``"cpm"`` (constant Potts model: a group must be denser than ``resolution``,
    in reports per pair of members; no resolution limit, so the many small groups of a large
    graph stay apart) or ``"modularity"`` (no parameter; on a million entities it merges small
    groups, see docs/network.md). ``engine`` is igraph's own C implementation (the default: several
    times faster) or ``"leidenalg"``. ``iterations=-1`` runs until stable.
    """
    if objective == "auto":
        objective = "modularity" if g.vcount() <= AUTO_MODULARITY_UP_TO else "cpm"
    if objective not in {"cpm", "modularity"}:
        raise ValueError(f"Unknown objective {objective!r}: use 'auto', 'cpm' or 'modularity'.")
    weights = _weights(g)
    if engine == "igraph":
        # igraph draws from Python's random module unless told otherwise: a private seeded generator.
        igraph.set_random_number_generator(random.Random(seed))
        try:
            clusters = g.community_leiden(
                objective_function="CPM" if objective == "cpm" else "modularity",
                weights=weights,
                resolution=resolution if objective == "cpm" else 1.0,
                n_iterations=iterations,
            )
        finally:
            igraph.set_random_number_generator(random)
        return list(clusters.membership)
    if engine != "leidenalg":
        raise ValueError(f"Unknown engine {engine!r}: use 'igraph' or 'leidenalg'.")
    n = iterations if iterations > 0 else -1
    if objective == "modularity":
        part = leidenalg.find_partition(
            g, leidenalg.ModularityVertexPartition, weights=weights, n_iterations=n, seed=seed
        )
    else:
        part = leidenalg.find_partition(
            g, leidenalg.CPMVertexPartition, weights=weights, resolution_parameter=resolution, n_iterations=n, seed=seed
        )
    return list(part.membership)


def compare(truth: Sequence[int], found: Sequence[int]) -> tuple[float, float]:
    """(ARI, NMI) of two memberships over the same vertices, by igraph."""
    ari = igraph.compare_communities(list(truth), list(found), method="adjusted_rand")
    nmi = igraph.compare_communities(list(truth), list(found), method="nmi")
    return float(ari), float(nmi)


@dataclass
class CandidateGroup:
    """A community as a candidate crime group: who and what is in it and how far it reaches."""

    number: int
    size: int
    members: dict[str, list[int]]  # "people", "premises", "phones", "vehicles", ... -> entity ids
    internal_links: int
    external_links: int
    density: float
    central: list[int]  # the members with the highest PageRank inside the group, most central first
    organisations: dict[str, int] = field(default_factory=dict)  # organisation code -> members it reported
    regions: dict[str, int] = field(default_factory=dict)  # region -> members reported there

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "size": self.size,
            "members": self.members,
            "internal_links": self.internal_links,
            "external_links": self.external_links,
            "density": round(self.density, 4),
            "central": self.central,
            "organisations": self.organisations,
            "regions": self.regions,
        }


def candidate_groups(
    user: Any,
    g: igraph.Graph,
    membership: Sequence[int] | None = None,
    *,
    objective: str = "auto",
    resolution: float = DEFAULT_CPM_RESOLUTION,
    seed: int = DEFAULT_SEED,
    min_size: int = 3,
    limit: int = 50,
    central: int = 5,
) -> list[CandidateGroup]:
    """The largest communities of ``g`` (Leiden unless ``membership`` is given) as candidate groups.

    Spread across organisations and regions comes from the viewer's visible statements only.
    """
    if g.vcount() == 0:
        return []
    membership = (
        list(membership) if membership is not None else leiden(g, objective=objective, resolution=resolution, seed=seed)
    )
    clusters = igraph.VertexClustering(g, membership)
    order = sorted(
        (c for c in range(len(clusters)) if len(clusters[c]) >= min_size), key=lambda c: (-len(clusters[c]), c)
    )[:limit]
    crossing = clusters.crossing()
    internal: Counter[int] = Counter()
    external: Counter[int] = Counter()
    for edge, crosses in zip(g.es, crossing, strict=True):
        a, b = edge.tuple
        if crosses:
            external[membership[a]] += 1
            external[membership[b]] += 1
        else:
            internal[membership[a]] += 1
    entity_ids = g.vs["entity_id"]
    kinds = g.vs["kind"]
    groups: list[CandidateGroup] = []
    for number, c in enumerate(order, 1):
        vertices = clusters[c]
        members: dict[str, list[int]] = defaultdict(list)
        for v in vertices:
            members[MEMBER_GROUPS.get(kinds[v], "other")].append(int(entity_ids[v]))
        sub = g.subgraph(vertices)
        ranks = sub.pagerank(weights=_weights(sub))
        top = sorted(range(len(vertices)), key=lambda i: (-ranks[i], entity_ids[vertices[i]]))[:central]
        n = len(vertices)
        groups.append(
            CandidateGroup(
                number=number,
                size=n,
                members={k: sorted(v) for k, v in sorted(members.items())},
                internal_links=internal[c],
                external_links=external[c],
                density=(2 * internal[c] / (n * (n - 1))) if n > 1 else 0.0,
                central=[int(entity_ids[vertices[i]]) for i in top],
            )
        )
    _spread(user, groups)
    return groups


def _spread(user: Any, groups: list[CandidateGroup]) -> None:
    found = spread(user, {grp.number: [e for ids in grp.members.values() for e in ids] for grp in groups})
    for grp in groups:
        grp.organisations, grp.regions = found.get(grp.number, ({}, {}))


def spread(user: Any, groups: dict[int, list[int]]) -> dict[int, tuple[dict[str, int], dict[str, int]]]:
    """For each group (number -> member entity ids): members per reporting organisation and per region.

    Counted from the viewer's visible statements only, so the spread never shows an organisation
    whose material the viewer may not read.
    """
    group_of = {e: number for number, ids in groups.items() for e in ids}
    if not group_of:
        return {}
    rows = (
        GraphRule(user)
        .subjects()
        .filter(entity_id__in=sorted(group_of))
        .values_list("entity_id", "report__organisation__code", "report__organisation__region")
        .order_by()
        .distinct()
    )
    orgs: dict[int, set[tuple[int, str]]] = defaultdict(set)
    regions: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for entity, code, region in rows:
        number = group_of[entity]
        orgs[number].add((entity, code))
        regions[number].add((entity, region or "unknown"))
    return {
        number: (
            dict(sorted(Counter(code for _, code in orgs[number]).items())),
            dict(sorted(Counter(region for _, region in regions[number]).items())),
        )
        for number in groups
    }
