"""The link chart of issue 6 in headless Chromium.

An analyst opens the chart from an entity page, expands the shared phone, sees the flag of another
force's restricted report (who holds it, whom to call), saves the chart, exports it as SVG and shares
it. A second test loads a 500-node chart and prints its timings without asserting on them: the
measurement against issue 6's target is ``cairn bench chart``.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from cairn.accounts.choices import Role
from cairn.accounts.models import User
from cairn.audit.models import AuditEntry
from cairn.core.testing import OrganisationFactory, UserFactory, browser_sign_in, submit_report
from cairn.entities.models import Entity
from cairn.entities.normalise import normalise
from cairn.intelligence.inputs import SubjectInput
from cairn.network import graph
from cairn.network.models import SavedChart


def make_user(**kwargs: Any) -> User:
    return UserFactory(**kwargs)  # type: ignore[return-value]


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HUB = "07700 900111"
READY = "() => document.getElementById('chart-app').dataset.ready"
COMPLETE = "() => document.getElementById('chart-app').dataset.complete"


def sign_in(browser, live_server, username: str):
    return browser_sign_in(
        browser, live_server.url, username, viewport={"width": 1400, "height": 1000}, timeout_ms=20_000
    )


def give_reason(page) -> None:
    if "/reason/" in page.url:
        page.fill("#id_reason", "Op Juniper JN/12")
        page.click('[data-testid="save-reason"]')


def submit(author, *subjects: SubjectInput, level: str = "shared"):
    return submit_report(author, *subjects, level=level, text="Link chart story report.")


def person(name: str) -> SubjectInput:
    return SubjectInput(kind="person", value=name, role="suspect")


def phone(number: str) -> SubjectInput:
    return SubjectInput(kind="phone", value=number, role="user", linked_to=0, relation="uses")


def phone_id(number: str) -> int:
    return Entity.unscoped_objects.get(kind="phone", key=normalise("phone", number)).pk


def person_of(report) -> int:
    return report.statements.filter(prop="subject", entity__kind="person").values_list("entity_id", flat=True)[0]


def wait_ready(page, after: str | None = None) -> None:
    page.wait_for_function(f"() => {{ const r = ({READY})(); return r && r !== {after!r}; }}" if after else READY)


def select(page, *node_ids: str) -> None:
    page.evaluate(
        "(ids) => { const cy = window.cairnChart.cy; cy.elements().unselect();"
        " ids.forEach((id) => cy.getElementById(id).select()); }",
        list(node_ids),
    )
    # The side panel redraws on the next animation frame; wait for it, or a field filled now is reset.
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def node_ids(page) -> set[str]:
    return set(page.evaluate("() => window.cairnChart.cy.nodes().map((n) => n.id())"))


def test_open_expand_see_a_flag_save_and_share(browser, live_server) -> None:
    aldermoor = OrganisationFactory(code="aldermoor", name="Aldermoor Police")
    bracken = OrganisationFactory(
        code="bracken", name="Brackenridge Constabulary", contact_point="Brackenridge FIB desk"
    )
    analyst = make_user(username="analyst.aldermoor", organisation=aldermoor, roles=[Role.ANALYST])
    colleague = make_user(username="analyst.bracken", organisation=bracken, roles=[Role.ANALYST])
    # Aldermoor knows Ivan and his phone; Brackenridge shared the phone's other user and holds restricted
    # intelligence naming the phone.
    ivan = person_of(submit(analyst, person("Ivan Petrov"), phone(HUB)))
    pavel = person_of(submit(colleague, person("Pavel Shared"), phone(HUB)))
    submit(colleague, person("Marta Restricted"), phone(HUB), level="restricted")
    hub = phone_id(HUB)

    page = sign_in(browser, live_server, analyst.username)
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.goto(f"/entities/{ivan}/")
    give_reason(page)
    page.click('[data-testid="open-in-chart"]')
    wait_ready(page)
    assert {f"e{ivan}", f"e{hub}"} <= node_ids(page)
    assert "Marta" not in page.content()

    # Expand the phone, keeping to people: Pavel (Brackenridge's shared report) joins the chart.
    first = page.evaluate(READY)
    select(page, f"e{hub}")
    page.click("text=Filters for loading and expanding")
    page.select_option("#filter-kind", ["person"])
    page.click('[data-testid="expand"]')
    wait_ready(page, first)
    assert f"e{pavel}" in node_ids(page)

    # The restricted report is a flag on the phone: who holds it and whom to call, nothing else.
    flags = page.evaluate("() => window.cairnChart.cy.nodes('[kind = \"flag\"]').map((n) => n.id())")
    assert len(flags) == 1
    select(page, flags[0])
    panel = page.locator('[data-testid="selection"]')
    panel.get_by_text("Brackenridge FIB desk", exact=True).wait_for()
    assert "Brackenridge Constabulary" in panel.inner_text()
    assert "Marta" not in page.content()

    # Annotate, save and share.
    select(page, f"e{pavel}")
    page.fill("#chart-note", "Second user of the phone")
    page.click('[data-testid="note"]')
    page.fill("#chart-title", "Op Juniper – the shared phone")
    page.click('[data-testid="save"]')
    page.get_by_text("Saved as chart").wait_for()
    saved = SavedChart.objects.get(owner=analyst)
    assert saved.title == "Op Juniper – the shared phone"
    assert set(saved.state["entity_ids"]) >= {ivan, hub, pavel}
    assert saved.state["notes"] == {str(pavel): "Second user of the phone"}
    page.fill("#chart-share-username", colleague.username)
    page.click('[data-testid="share"]')
    page.get_by_text(f"Shared with {colleague.username}").wait_for()
    assert list(saved.shared_with.all()) == [colleague]
    # The drawing as SVG: every node with its label, the note mark, and the handling on it.
    labels = page.evaluate(
        "(ids) => ids.map((id) => window.cairnChart.cy.getElementById(id).data('display'))",
        [f"e{ivan}", f"e{hub}", f"e{pavel}", flags[0]],
    )
    with page.expect_download() as download:
        page.click('[data-testid="export-svg"]')
    assert download.value.suggested_filename == "cairn-chart.svg"
    drawing = Path(download.value.path()).read_text(encoding="utf-8")
    root = ET.fromstring(drawing)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert set(labels) <= texts, (labels, texts)
    assert any(label.endswith("✎") for label in labels)  # Pavel's note
    assert "Handling: OFFICIAL" in drawing
    assert "Marta" not in drawing
    page.get_by_text("Drawing saved as SVG").wait_for()
    drawn = AuditEntry.objects.get(object_type="network.drawing", action="export")
    assert drawn.detail["format"] == "svg" and {ivan, hub, pavel} <= set(drawn.detail["entity_ids"])
    href = page.get_attribute("#export-graphml", "href") or ""
    assert href.startswith("/api/v1/network/export?") and "format=graphml" in href and f"{hub}" in href

    # The colleague opens it: Brackenridge may read its own restricted report, so Marta is no flag for them.
    other = sign_in(browser, live_server, colleague.username)
    other.goto(f"/network/chart/?chart={saved.pk}")
    give_reason(other)
    wait_ready(other)
    assert "Saved chart" in other.inner_text('[data-testid="saved"]')
    assert other.evaluate("() => window.cairnChart.cy.nodes('[kind = \"flag\"]').length") == 0
    assert AuditEntry.objects.filter(actor_username=colleague.username, object_type="network.savedchart").exists()
    # Nothing on the page broke the content security policy (Cytoscape's own <style> included).
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
    page.context.close()
    other.context.close()


def test_a_500_node_chart_loads_and_becomes_interactive(browser, live_server) -> None:
    org = OrganisationFactory(code="aldermoor", name="Aldermoor Police")
    analyst = make_user(username="analyst.big", organisation=org, roles=[Role.ANALYST])
    # 25 people, each with 19 phones of their own and the shared hub phone: 501 entities one hop from the
    # hub, and every report's subjects joined to each other (about 5,000 links).
    started = time.perf_counter()
    for p in range(25):
        phones = [phone(HUB)] + [phone(f"07911 {p:02d}{n:04d}") for n in range(19)]
        submit(analyst, person(f"Person {p:02d} Example"), *phones)
    built = time.perf_counter() - started
    hub = phone_id(HUB)

    page = sign_in(browser, live_server, analyst.username)
    page.goto("/network/chart/")
    give_reason(page)
    page.fill("#chart-seeds", str(hub))
    page.fill("#chart-hops", "1")
    page.fill("#chart-max-nodes", "500")
    t0 = time.perf_counter()
    page.click('[data-testid="chart-load"]')
    wait_ready(page)
    loaded = time.perf_counter() - t0
    page.wait_for_function(COMPLETE)  # a big chart's last links arrive after it is interactive
    nodes = page.evaluate("() => window.cairnChart.cy.nodes().length")
    edges = page.evaluate("() => window.cairnChart.cy.edges().length")
    api_ms = page.evaluate(
        "() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/network/neighbourhood'))"
        ".map((e) => e.duration)[0]"
    )
    # Interactive: a click selects a node and the side panel describes it.
    t1 = time.perf_counter()
    select(page, f"e{hub}")
    page.locator('[data-testid="selection"]').get_by_text("+447700900111", exact=True).wait_for()
    respond = time.perf_counter() - t1
    t2 = time.perf_counter()
    page.evaluate("() => { const cy = window.cairnChart.cy; cy.zoom(cy.zoom() * 1.5); cy.panBy({x: 100, y: 50}); }")
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    zoom = time.perf_counter() - t2
    left_out = page.inner_text('[data-testid="left-out"]')
    folded = page.inner_text('[data-testid="folded"]')
    timings = page.evaluate("() => JSON.parse(document.getElementById('chart-app').dataset.timings)")
    steps = ", ".join(f"{k} {v:.0f} ms" for k, v in timings.items() if k != "clicked")
    print(
        f"\n500-node chart: {nodes} nodes, {edges} edges (data built in {built:.1f} s); "
        f"Load click to interactive {loaded * 1000:.0f} ms (neighbourhood API {api_ms:.0f} ms; in the page: {steps}); "
        f"select + side panel {respond * 1000:.0f} ms; zoom + pan redraw {zoom * 1000:.0f} ms; left out: {left_out!r}"
    )
    assert nodes == 500 and "1 more neighbour not shown" in left_out
    # The 20-subject reports are stars (each subject still linked through its report); "Show every
    # link" draws the rest, and then every link of the answer is on the chart.
    answer = graph.neighbourhood(analyst, [hub], 1, graph.NO_FILTERS, max_nodes=500)
    hidden = int(page.inner_text("#chart-folded-count").replace(",", ""))
    assert "drawn as a star" in folded and hidden > 0 and edges + hidden == len(answer.edges) > 5000
    t3 = time.perf_counter()
    page.click('[data-testid="every-link"]')
    page.wait_for_function(f"() => window.cairnChart.cy.edges().length === {len(answer.edges)}")
    every = time.perf_counter() - t3
    print(f"stars: {edges} links drawn, {hidden} folded; Show every link drew them in {every * 1000:.0f} ms")
    assert page.is_hidden('[data-testid="folded"]')
    page.context.close()
