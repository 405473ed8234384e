"""A chart as a file for the tools analysts already use: GraphML, CSV (zipped), i2 Analyst's Notebook (ANX).

Pure functions: a ``Chart`` in, bytes out. Each file carries the handling of the material behind
the chart (the strictest handling code, conditions, classification and dissemination among its
reports) in its header, and each link the handling of its own reports. Auditing the export is the
caller's job.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from xml.etree import ElementTree as ET

from cairn.network.graph import FLAG, Chart, Edge, Marking, Node

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"

# i2 Analyst's Notebook standard icon types by entity kind.
ANX_ICONS = {
    "person": "Person",
    "phone": "Phone",
    "vehicle": "Car",
    "location": "House",
    "email": "Email",
    "bank_account": "Bank Account",
    "organisation": "Organisation",
    "document": "Passport",
    "online_profile": "Web Site",
    "event": "Event",
    FLAG: "Flag",
}


def _header_lines(chart: Chart) -> list[str]:
    h = chart.handling
    lines = [
        f"{h.classification} — handling code {h.handling_code}",
        f"Handling: {h.summary()}",
        f"Prepared by {chart.viewer or 'unknown'} ({chart.organisation or 'unknown organisation'})"
        + (f" on {chart.generated_at.isoformat(timespec='seconds')}" if chart.generated_at else ""),
        "Contains only what the preparer may see in Cairn; flags show intelligence held elsewhere: ask its holder.",
    ]
    if summary := chart.left_out.summary():
        lines.append(f"Not shown: {summary}")
    return lines


def _edge_marking(chart: Chart, edge: Edge) -> Marking:
    m = Marking()
    for r in edge.report_ids:
        if r in chart.markings:
            m.merge(chart.markings[r])
    return m


def _conditions(m: Marking) -> str:
    return "; ".join(m.handling_conditions + m.handling_conditions_text)


def _references(chart: Chart, ids: Iterable[int]) -> str:
    return " ".join(str(i) for i in ids)


# --- GraphML -------------------------------------------------------------------------------------------


def graphml(chart: Chart) -> bytes:
    """GraphML (directed per edge), with the handling as graph data and a leading comment."""
    ET.register_namespace("", GRAPHML_NS)
    root = ET.Element(f"{{{GRAPHML_NS}}}graphml")
    keys = {
        "graph": ["classification", "handling_code", "handling_conditions", "dissemination", "handling", "not_shown"],
        "node": ["kind", "label", "access", "entity_id", "hops", "organisations", "reports", "flag_contact"],
        "edge": ["type", "label", "reports", "weight", "handling_code", "handling_conditions"],
    }
    for domain, names in keys.items():
        for name in names:
            attr_type = "int" if name in {"entity_id", "hops", "weight"} else "string"
            ET.SubElement(
                root,
                f"{{{GRAPHML_NS}}}key",
                {"id": f"{domain[0]}_{name}", "for": domain, "attr.name": name, "attr.type": attr_type},
            )
    g = ET.SubElement(root, f"{{{GRAPHML_NS}}}graph", {"id": "cairn", "edgedefault": "undirected"})

    def data(parent: ET.Element, key: str, value: object) -> None:
        if value is None or value == "":
            return
        ET.SubElement(parent, f"{{{GRAPHML_NS}}}data", {"key": key}).text = str(value)

    h = chart.handling
    data(g, "g_classification", h.classification)
    data(g, "g_handling_code", h.handling_code)
    data(g, "g_handling_conditions", _conditions(h))
    data(g, "g_dissemination", h.dissemination)
    data(g, "g_handling", h.summary())
    data(g, "g_not_shown", chart.left_out.summary())
    for n in chart.nodes:
        el = ET.SubElement(g, f"{{{GRAPHML_NS}}}node", {"id": n.id})
        data(el, "n_kind", n.kind)
        data(el, "n_label", n.label)
        data(el, "n_access", n.access)
        data(el, "n_entity_id", n.entity_id)
        data(el, "n_hops", n.hops)
        data(el, "n_organisations", " ".join(n.organisations))
        data(el, "n_reports", _references(chart, n.report_ids))
        if n.flag is not None:
            data(el, "n_flag_contact", f"{n.flag.organisation}: {n.flag.contact_point}")
    for e in chart.edges:
        attrs = {"id": e.id, "source": e.source, "target": e.target}
        if e.directed:
            attrs["directed"] = "true"
        el = ET.SubElement(g, f"{{{GRAPHML_NS}}}edge", attrs)
        m = _edge_marking(chart, e)
        data(el, "e_type", e.type)
        data(el, "e_label", e.label)
        data(el, "e_reports", _references(chart, e.report_ids))
        data(el, "e_weight", len(e.report_ids) or 1)
        if e.report_ids:
            data(el, "e_handling_code", m.handling_code)
            data(el, "e_handling_conditions", _conditions(m))
    body = ET.tostring(root, encoding="unicode")
    comment = "\n".join(f"  {_xml_comment_safe(line)}" for line in _header_lines(chart))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!--\n{comment}\n-->\n{body}\n'.encode()


def _xml_comment_safe(text: str) -> str:
    return text.replace("--", "—")


# --- CSV -------------------------------------------------------------------------------------------------


NODE_COLUMNS = [
    "id", "entity_id", "kind", "label", "access", "hops", "organisations", "reports", "first_date", "last_date",
    "flag_organisation", "flag_contact", "flag_token",
]  # fmt: skip
EDGE_COLUMNS = [
    "id",
    "from",
    "to",
    "type",
    "label",
    "directed",
    "strength",
    "reports",
    "handling_code",
    "handling_conditions",
]


def _node_row(n: Node) -> list[object]:
    f = n.flag
    return [
        n.id, n.entity_id or "", n.kind, n.label, n.access, "" if n.hops is None else n.hops, " ".join(n.organisations),
        " ".join(str(r) for r in n.report_ids), n.first_date or "", n.last_date or "",
        f.organisation if f else "", f.contact_point if f else "", f.token if f else "",
    ]  # fmt: skip


def csv_zip(chart: Chart) -> bytes:
    """``nodes.csv`` and ``edges.csv`` (stable ids; from, to, type, strength = reports behind the link) and
    ``HANDLING.txt``, zipped. The CSV files stay plain tables; the handling is in every edge row and the note."""
    nodes = io.StringIO()
    w = csv.writer(nodes)
    w.writerow(NODE_COLUMNS)
    for n in chart.nodes:
        w.writerow(_node_row(n))
    edges = io.StringIO()
    w = csv.writer(edges)
    w.writerow(EDGE_COLUMNS)
    for e in chart.edges:
        m = _edge_marking(chart, e)
        w.writerow(
            [
                e.id, e.source, e.target, e.type, e.label, "yes" if e.directed else "no", len(e.report_ids),
                " ".join(str(r) for r in e.report_ids), m.handling_code if e.report_ids else "",
                _conditions(m) if e.report_ids else "",
            ]
        )  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("HANDLING.txt", "\n".join(_header_lines(chart)) + "\n")
        z.writestr("nodes.csv", nodes.getvalue())
        z.writestr("edges.csv", edges.getvalue())
    return buffer.getvalue()


# --- i2 Analyst's Notebook exchange (ANX) -----------------------------------------------------------------------


def anx(chart: Chart) -> bytes:
    """An i2 Analyst's Notebook exchange chart: entities as End/Entity items with icons by kind, links as
    Link items, attributes for kind, organisations, reports and handling; the handling in the chart summary."""
    root = ET.Element("Chart", {"IdReferenceLinking": "false", "Rigorous": "true"})
    h = chart.handling
    summary = ET.SubElement(root, "Summary")
    fields = ET.SubElement(summary, "CustomPropertyCollection")
    for name, value in (
        ("Classification", h.classification),
        ("Handling code", h.handling_code),
        ("Handling conditions", _conditions(h)),
        ("Dissemination", h.dissemination),
        ("Handling", h.summary()),
        ("Not shown", chart.left_out.summary()),
    ):
        ET.SubElement(fields, "CustomProperty", {"Name": name, "Type": "String", "Value": value})
    origin = ET.SubElement(summary, "Origin", {"Author": chart.viewer, "Organisation": chart.organisation})
    if chart.generated_at:
        origin.set("CreatedDate", chart.generated_at.isoformat(timespec="seconds"))
    ET.SubElement(
        ET.SubElement(summary, "FieldCollection"),
        "Field",
        {"Type": "SummaryFieldComments", "Content": "\n".join(_header_lines(chart))},
    )

    strengths = ET.SubElement(root, "StrengthCollection")
    ET.SubElement(strengths, "Strength", {"Id": "Confirmed", "Name": "Confirmed", "DotStyle": "DotStyleSolid"})
    ET.SubElement(strengths, "Strength", {"Id": "Flag", "Name": "Flag", "DotStyle": "DotStyleDashed"})
    kinds = sorted({n.kind for n in chart.nodes})
    entity_types = ET.SubElement(root, "EntityTypeCollection")
    for kind in kinds:
        ET.SubElement(entity_types, "EntityType", {"Name": kind, "IconFile": ANX_ICONS.get(kind, "General")})
    link_types = ET.SubElement(root, "LinkTypeCollection")
    for link_type in sorted({e.type for e in chart.edges}):
        ET.SubElement(link_types, "LinkType", {"Name": link_type, "Colour": "0"})
    classes = ET.SubElement(root, "AttributeClassCollection")
    for name in ("Kind", "Access", "Organisations", "Reports", "Handling code", "Handling conditions", "Contact"):
        ET.SubElement(classes, "AttributeClass", {"Name": name, "Type": "AttText", "Visible": "true"})

    items = ET.SubElement(root, "ChartItemCollection")
    for i, n in enumerate(chart.nodes):
        item = ET.SubElement(
            items,
            "ChartItem",
            {"Label": n.label, "Description": n.label, "XPosition": str((i % 20) * 120), "DateSet": "false"},
        )
        _attributes(
            item,
            {
                "Kind": n.kind,
                "Access": n.access,
                "Organisations": " ".join(n.organisations),
                "Reports": " ".join(str(r) for r in n.report_ids),
                "Contact": f"{n.flag.organisation}: {n.flag.contact_point}" if n.flag else "",
            },
        )
        end = ET.SubElement(item, "End", {"Y": str((i // 20) * 120)})
        entity = ET.SubElement(end, "Entity", {"EntityId": n.id, "Identity": n.id, "LabelIsIdentity": "false"})
        icon = ET.SubElement(entity, "Icon")
        ET.SubElement(icon, "IconStyle", {"Type": n.kind, "IconFile": ANX_ICONS.get(n.kind, "General")})
    for e in chart.edges:
        m = _edge_marking(chart, e)
        item = ET.SubElement(items, "ChartItem", {"Label": e.label, "Description": e.label, "DateSet": "false"})
        _attributes(
            item,
            {
                "Kind": e.type,
                "Reports": " ".join(str(r) for r in e.report_ids),
                "Handling code": m.handling_code if e.report_ids else "",
                "Handling conditions": _conditions(m) if e.report_ids else "",
            },
        )
        link = ET.SubElement(item, "Link", {"End1Id": e.source, "End2Id": e.target})
        ET.SubElement(
            link,
            "LinkStyle",
            {
                "Type": e.type,
                "Strength": "Flag" if e.type == FLAG else "Confirmed",
                "ArrowStyle": "ArrowOnHead" if e.directed else "ArrowNone",
                "MlStyle": "MultiplicitySingle",
            },
        )
    body = ET.tostring(root, encoding="unicode")
    comment = "\n".join(f"  {_xml_comment_safe(line)}" for line in _header_lines(chart))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!--\n{comment}\n-->\n{body}\n'.encode()


def _attributes(item: ET.Element, values: dict[str, str]) -> None:
    collection = ET.SubElement(item, "AttributeCollection")
    for name, value in values.items():
        if value:
            ET.SubElement(collection, "Attribute", {"AttributeClass": name, "Value": value})
