"""Exports parse back and carry the handling of the material behind the chart."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any
from xml.etree import ElementTree as ET

import igraph
import pytest

from cairn.accounts.choices import Role
from cairn.accounts.models import User
from cairn.core.testing import OrganisationFactory, UserFactory, submit_report
from cairn.entities.models import Entity
from cairn.intelligence import services
from cairn.intelligence.inputs import SubjectInput
from cairn.network import exports, graph

pytestmark = pytest.mark.django_db


def make_user(**kwargs: Any) -> User:
    return UserFactory(**kwargs)  # type: ignore[return-value]


NS = {"g": exports.GRAPHML_NS}


def submit(author, *subjects: SubjectInput, level: str = "shared", conditions: list[str] | None = None):
    return submit_report(
        author,
        *subjects,
        level=level,
        text="Export test report.",
        handling_code="C" if conditions else "P",
        handling_conditions=conditions or [],
        classification="OFFICIAL-SENSITIVE" if conditions else "OFFICIAL",
    )


@pytest.fixture
def chart() -> graph.Chart:
    bracken = OrganisationFactory(code="bracken")
    author = make_user(organisation=bracken, roles=[Role.ANALYST])
    supervisor = make_user(organisation=bracken, roles=[Role.SUPERVISOR])
    person = SubjectInput(kind="person", value="Ivan Petrov", role="suspect")
    phone = SubjectInput(kind="phone", value="07700 900111", role="user", linked_to=0, relation="uses")
    conditioned = submit(author, person, phone, conditions=["A1", "S2"])
    services.report_review(actor=supervisor, report=conditioned, changes={}, reason="released")
    car = SubjectInput(kind="vrm", value="AB12 CDE", role="other")
    submit(author, SubjectInput(kind="phone", value="07700 900111", role="user"), car)
    submit(author, SubjectInput(kind="phone", value="07700 900111", role="user"), level="restricted")
    viewer = make_user(organisation=OrganisationFactory(code="alder"), roles=[Role.ANALYST], username="analyst.alder")
    hub = Entity.unscoped_objects.get(kind="phone").pk
    return graph.neighbourhood(viewer, [hub], hops=2)


def test_the_chart_behind_the_exports(chart: graph.Chart) -> None:
    assert {n.kind for n in chart.nodes} == {"person", "phone", "vehicle", "flag"}
    assert chart.handling.handling_code == "C" and chart.handling.handling_conditions == ["A1", "S2"]
    assert chart.handling.classification == "OFFICIAL-SENSITIVE"


def test_graphml_parses_back_with_igraph_and_carries_the_handling(chart: graph.Chart, tmp_path) -> None:
    data = exports.graphml(chart)
    assert b"OFFICIAL-SENSITIVE \xe2\x80\x94 handling code C" in data.split(b"-->")[0]
    path = tmp_path / "chart.graphml"
    path.write_bytes(data)
    g = igraph.Graph.Read_GraphML(str(path))
    assert g.vcount() == len(chart.nodes) and g.ecount() == len(chart.edges)
    assert g["handling_code"] == "C" and g["handling_conditions"] == "A1; S2"
    assert g["classification"] == "OFFICIAL-SENSITIVE"
    assert sorted(g.vs["kind"]) == sorted(n.kind for n in chart.nodes)
    uses = g.es.find(type="uses")
    assert uses["handling_code"] == "C" and uses["handling_conditions"] == "A1; S2"
    root = ET.fromstring(data)
    assert root.find("g:graph", NS) is not None


def test_csv_zip_has_nodes_edges_and_the_handling(chart: graph.Chart) -> None:
    with zipfile.ZipFile(io.BytesIO(exports.csv_zip(chart))) as z:
        assert sorted(z.namelist()) == ["HANDLING.txt", "edges.csv", "nodes.csv"]
        handling = z.read("HANDLING.txt").decode()
        nodes = list(csv.DictReader(io.StringIO(z.read("nodes.csv").decode())))
        edges = list(csv.DictReader(io.StringIO(z.read("edges.csv").decode())))
    assert handling.startswith("OFFICIAL-SENSITIVE — handling code C\n") and "A1; S2" in handling
    assert "Prepared by analyst.alder" in handling
    assert {n["id"] for n in nodes} == {n.id for n in chart.nodes}
    flag = next(n for n in nodes if n["kind"] == "flag")
    assert flag["flag_organisation"] == "Bracken Police" and flag["flag_contact"]
    uses = next(e for e in edges if e["type"] == "uses")
    assert (uses["handling_code"], uses["handling_conditions"], uses["strength"]) == ("C", "A1; S2", "1")
    co = next(e for e in edges if e["type"] == "co_mentioned")
    assert co["handling_code"] == "P"


def test_anx_is_an_i2_chart_with_entities_links_and_the_handling(chart: graph.Chart) -> None:
    data = exports.anx(chart)
    root = ET.fromstring(data)
    assert root.tag == "Chart"
    props = {p.get("Name"): p.get("Value") for p in root.iter("CustomProperty")}
    assert props["Handling code"] == "C" and props["Handling conditions"] == "A1; S2"
    assert props["Classification"] == "OFFICIAL-SENSITIVE"
    items = root.find("ChartItemCollection")
    assert items is not None
    entities = {e.get("EntityId"): e for e in items.iter("Entity")}
    assert set(entities) == {n.id for n in chart.nodes}
    icons = {str(e.find("Icon/IconStyle").get("IconFile")) for e in entities.values()}  # type: ignore[union-attr]
    assert sorted(icons) == ["Car", "Flag", "Person", "Phone"]
    links = list(items.iter("Link"))
    assert len(links) == len(chart.edges)
    assert all(link.get("End1Id") in entities and link.get("End2Id") in entities for link in links)
    styles = {s.get("Type"): s.get("ArrowStyle") for s in root.iter("LinkStyle")}
    assert styles["uses"] == "ArrowOnHead" and styles["co_mentioned"] == "ArrowNone"
    link_handling = [a.get("Value") for a in root.iter("Attribute") if a.get("AttributeClass") == "Handling conditions"]
    assert link_handling == ["A1; S2"]
