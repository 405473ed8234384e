"""``cairn bench chart``: the link chart page, from the click on "Load chart" to interactive, in headless Chromium.

    cairn bench chart [--sizes 100,500,2000] [--runs 7] [--chromium /usr/bin/chromium] [--keep]

Issue 6's target: a 500-node chart loads and becomes interactive in at most 1 s.

``run()`` builds a benchmark database (``cairn.bench.database``) and, through the submission service,
one neighbourhood per size: a hub phone named with 18 phones of their own by each of about
``size / 19`` people, so ``size`` entities lie one hop from the hub and every report's subjects are
linked to each other (about ten links per node: the dense case, as the browser test has it). It then
starts the web application on a threaded HTTP server in this process (what ``cairn serve`` runs,
without the autoreloader), signs an analyst in through the sign-in pages in headless Chromium, and
for each size, after one warm-up, ``--runs`` times: opens the chart page afresh, types the hub's id,
clicks "Load chart" and waits for the page's marks.

Printed per size, p50 and p95 over the runs:

* click to first frame as the page measures it (submit event to the first frame drawn with every
  node and the seed links), and as seen from the driver (Playwright's click, with its overhead);
* the page's breakdown of it: fetch (request, server and JSON parsing), add (positions, elements
  into Cytoscape), layout (force-directed, small charts only), draw (to the first frame);
* click to every link drawn: a big chart's remaining links are added just after the first frame,
  and the page answers clicks again once they are drawn;
* select + side panel: a node selected, and described in the panel, asked for at the first frame;
* the neighbourhood API as the browser saw it (resource timing) and the server's own work
  (``graph.neighbourhood`` and JSON encoding, timed in this process beforehand), with the JSON size.

Each figure comes with the load average: the machine's other work moves them a great deal.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

DEFAULT_SIZES = (100, 500, 2000)
DEFAULT_RUNS = 7
TARGET_SIZE = 500
TARGET_MS = 1000.0
PER_REPORT = 20  # subjects per generated report: one person, the hub and 18 phones of their own
USERNAME = "bench.chart.analyst"
ORGANISATION_CODE = "bench-chart"
READY = "document.getElementById('chart-app').dataset.ready"
COMPLETE = "document.getElementById('chart-app').dataset.complete"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _sizes(raw: str) -> list[int]:
    from cairn.network.api import MAX_NODES

    out = sorted({int(p.strip().replace("_", "").replace(",", "")) for p in raw.split(",") if p.strip()})
    if not out or out[0] < 2 or out[-1] > MAX_NODES:
        raise ValueError(raw)
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cairn.bench.management.commands.bench import positive_int

    parser.add_argument(
        "--sizes", type=_sizes, default=list(DEFAULT_SIZES), help="chart sizes in nodes (default 100,500,2000)"
    )
    parser.add_argument("--runs", type=positive_int, default=DEFAULT_RUNS, help="loads timed per size (default 7)")
    parser.add_argument("--chromium", default="", help="Chromium to drive (default $CAIRN_CHROMIUM or chromium)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")


def chromium_path(given: str = "") -> str:
    path = given or os.environ.get("CAIRN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("cairn bench chart needs Chromium: apt-get install chromium, or pass --chromium PATH")
    return path


# --- the data ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Analyst:
    username: str
    password: str
    totp_key_hex: str


@dataclass(frozen=True)
class Neighbourhood:
    size: int
    hub: int  # entity id of the hub phone
    server_ms: list[float]  # graph.neighbourhood + JSON encoding, in this process
    json_kb: float
    nodes: int
    edges: int


def make_analyst() -> tuple[Any, Analyst]:
    """An analyst with a password and an authenticator, created through the account services."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from cairn.accounts.choices import Jurisdiction, OrganisationKind, Role
    from cairn.accounts.services import organisation_create, user_create

    org = organisation_create(
        actor=None,
        code=ORGANISATION_CODE,
        name="Chart Benchmark Police",
        kind=OrganisationKind.POLICE_FORCE,
        jurisdiction=Jurisdiction.ENGLAND_WALES,
    )
    password = secrets.token_urlsafe(18)
    user = user_create(
        actor=None,
        username=USERNAME,
        organisation_code=org.code,
        roles=[Role.ANALYST],
        first_name="Bench",
        last_name="Analyst",
        password=password,
    )
    key = secrets.token_hex(20)
    TOTPDevice.objects.create(user=user, name="Benchmark authenticator", key=key, confirmed=True)
    return user, Analyst(username=USERNAME, password=password, totp_key_hex=key)


def build_neighbourhood(actor: Any, size: int, index: int) -> int:
    """``size`` entities one hop from a hub phone (ceil(size / 19) reports); returns the hub's entity id."""
    from cairn.entities.models import Entity
    from cairn.entities.normalise import normalise
    from cairn.intelligence.inputs import ReportInput, SubjectInput
    from cairn.intelligence.services import report_submit_many

    hub = f"07700 900{index:03d}"
    reports = -(-size // (PER_REPORT - 1))  # one hub plus 19 entities of its own per report
    items = []
    for r in range(reports):
        person = f"Chart{index} Person{r:03d} Example"
        subjects = [SubjectInput(kind="person", value=person, role="suspect")]
        subjects.append(SubjectInput(kind="phone", value=hub, role="user", linked_to=0, relation="uses"))
        for n in range(PER_REPORT - 2):
            number = f"07911 {index}{r:03d}{n:02d}"
            subjects.append(SubjectInput(kind="phone", value=number, role="user", linked_to=0, relation="uses"))
        items.append(
            ReportInput(
                text=f"Chart benchmark report {index}-{r}.",
                source_evaluation="1",
                intelligence_assessment="B",
                handling_code="P",
                dissemination="shared",
                subjects=subjects,
            )
        )
    for start in range(0, len(items), 50):
        report_submit_many(actor=actor, items=items[start : start + 50])
    return Entity.unscoped_objects.get(kind="phone", key=normalise("phone", hub)).pk


def server_side(user: Any, hub: int, size: int, runs: int) -> Neighbourhood:
    """The API's work without HTTP or the browser: the graph walk with the access rule, and the JSON."""
    import copy

    from django.core.serializers.json import DjangoJSONEncoder

    from cairn.network import graph

    times, body, chart = [], b"", None
    for _ in range(runs + 1):  # the first warms the caches, as a running server has them
        fresh = copy.copy(user)
        started = time.perf_counter()
        chart = graph.neighbourhood(fresh, [hub], 1, graph.NO_FILTERS, max_nodes=size)
        body = json.dumps(chart.as_dict(), cls=DjangoJSONEncoder).encode()
        times.append((time.perf_counter() - started) * 1000)
    assert chart is not None
    return Neighbourhood(
        size=size,
        hub=hub,
        server_ms=times[1:],
        json_kb=len(body) / 1024,
        nodes=len(chart.nodes),
        edges=len(chart.edges),
    )


# --- the server and the browser ------------------------------------------------------------------------------


@contextmanager
def http_server() -> Iterator[str]:
    """The WSGI application on Django's threaded development server (what ``cairn serve`` runs), port chosen free."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler, get_internal_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    httpd.set_app(get_internal_wsgi_application())
    thread = threading.Thread(target=httpd.serve_forever, name="cairn-bench-chart-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def sign_in(browser: Any, base_url: str, who: Analyst) -> Any:
    """A new browser context signed in through the sign-in pages, with a reason for consulting stated."""
    from django_otp.oath import TOTP

    context = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto("/sign-in/")
    page.fill("#id_username", who.username)
    page.fill("#id_password", who.password)
    page.click("#id_submit")
    page.fill("#id_code", f"{TOTP(bytes.fromhex(who.totp_key_hex), step=30, digits=6).token():06d}")
    page.click("#id_submit")
    page.wait_for_url(lambda url: "/sign-in/" not in url)
    page.goto("/network/chart/")
    if "/reason/" in page.url:
        page.fill("#id_reason", "Chart benchmark")
        page.click('[data-testid="save-reason"]')
    return page


@dataclass
class Figures:
    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def p(self, name: str, q: float) -> float:
        ordered = sorted(self.values.get(name, []))
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def load_once(page: Any, hub: int, size: int, figures: Figures) -> tuple[int, int]:
    """Open the chart page, load the hub's neighbourhood and record the timings; returns (nodes, edges)."""
    page.goto("/network/chart/")
    page.wait_for_function("() => window.cairnChart && window.cairnChart.cy")
    page.fill("#chart-seeds", str(hub))
    page.fill("#chart-hops", "1")
    page.fill("#chart-max-nodes", str(size))
    started = time.perf_counter()
    page.click('[data-testid="chart-load"]')
    page.wait_for_function(f"() => {READY}", polling="raf")
    figures.add("driver", (time.perf_counter() - started) * 1000)
    # Interactive: at once, while a big chart's last links are still arriving, a node selected is
    # described in the side panel.
    started = time.perf_counter()
    page.evaluate(
        "(id) => { const cy = window.cairnChart.cy; cy.elements().unselect(); cy.getElementById(id).select(); }",
        f"e{hub}",
    )
    page.locator('[data-testid="selection"] dl').wait_for()
    figures.add("select", (time.perf_counter() - started) * 1000)
    page.wait_for_function(f"() => {COMPLETE}", polling="raf")
    timings = page.evaluate("() => JSON.parse(document.getElementById('chart-app').dataset.timings)")
    for name in ("total", "complete", "fetch", "add", "layout", "draw"):
        figures.add(name, float(timings.get(name, float("nan"))))
    api_ms = page.evaluate(
        "() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/network/neighbourhood'))"
        ".map((e) => e.duration).pop()"
    )
    figures.add("api", float(api_ms or float("nan")))
    counts = page.evaluate("() => [window.cairnChart.cy.nodes().length, window.cairnChart.cy.edges().length]")
    return int(counts[0]), int(counts[1])


# --- the run ---------------------------------------------------------------------------------------------


def _load_average() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "unknown"


def run(options: dict[str, Any], out: TextIO) -> dict[int, Figures]:
    from cairn.bench.database import bench_database

    sizes: list[int] = list(options.get("sizes") or DEFAULT_SIZES)
    runs: int = options.get("runs") or DEFAULT_RUNS
    chromium = chromium_path(options.get("chromium") or "")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - a production install without the dev extras
        raise RuntimeError("cairn bench chart needs Playwright: pip install -e '.[dev]'") from exc

    def say(line: str = "") -> None:
        out.write(line + "\n")
        out.flush()

    results: dict[int, Figures] = {}
    with bench_database(keep=bool(options.get("keep"))) as db:
        say(
            f"cairn bench chart: sizes {', '.join(f'{s:,}' for s in sizes)} nodes, {runs} runs each, "
            f"PostgreSQL {db.version} ({db.server}), database {db.name}, Chromium {chromium}"
        )
        started = time.perf_counter()
        user, who = make_analyst()
        hoods = []
        for i, size in enumerate(sizes):
            hub = build_neighbourhood(user, size, i)
            hoods.append(server_side(user, hub, size, runs))
        say(f"  data built in {time.perf_counter() - started:,.1f} s; load average {_load_average()}")
        # Playwright's sync API runs an event loop in this thread: from here on no ORM call in it
        # (the server answers from its own threads).
        with http_server() as base_url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            try:
                page = sign_in(browser, base_url, who)
                for hood in hoods:
                    figures = Figures()
                    load_once(page, hood.hub, hood.size, Figures())  # warm-up: static files cached, JIT warm
                    for _ in range(runs):
                        nodes, edges = load_once(page, hood.hub, hood.size, figures)
                    results[hood.size] = figures
                    _report(say, hood, figures, nodes, edges)
            finally:
                browser.close()
        say()
        target = results.get(TARGET_SIZE)
        if target is not None:

            def verdict(name: str) -> str:
                p95 = target.p(name, 0.95)
                return f"p95 {p95:,.0f} ms ({'meets' if p95 <= TARGET_MS else 'MISSES'} it)"

            say(
                f"target: a {TARGET_SIZE}-node chart loads and becomes interactive in <= {TARGET_MS:,.0f} ms. "
                f"First frame: {verdict('total')}; every link drawn: {verdict('complete')}. "
                f"Load average {_load_average()} on {os.cpu_count()} CPUs."
            )
    return results


def _report(say: Any, hood: Neighbourhood, f: Figures, nodes: int, edges: int) -> None:
    def cell(name: str) -> str:
        return f"{f.p(name, 0.5):>7,.0f} {f.p(name, 0.95):>7,.0f}"

    server = sorted(hood.server_ms)
    say()
    say(
        f"{hood.size:,}-node chart: {nodes:,} nodes, {edges:,} edges on the page; "
        f"API answer {hood.json_kb:,.0f} KB JSON; load average {_load_average()}"
    )
    target = f"  target <= {TARGET_MS:,.0f}" if hood.size == TARGET_SIZE else ""
    say(f"  {'measure':<62} {'p50 ms':>7} {'p95 ms':>7}")
    say(f"  {'click to first frame (every node, the seed links), in the page':<62} {cell('total')}{target}")
    say(f"  {'click to first frame, seen by the driver':<62} {cell('driver')}")
    say(f"  {'  fetch (request, server, JSON parse)':<62} {cell('fetch')}")
    say(f"  {'  add (positions, elements into Cytoscape)':<62} {cell('add')}")
    say(f"  {'  layout (force-directed, small charts only)':<62} {cell('layout')}")
    say(f"  {'  draw (to the first frame)':<62} {cell('draw')}")
    say(f"  {'click to every link drawn (the page answers again), in the page':<62} {cell('complete')}{target}")
    say(f"  {'select a node + side panel, asked at the first frame (driver)':<62} {cell('select')}")
    say(f"  {'neighbourhood API, resource timing in the browser':<62} {cell('api')}")
    say(
        f"  {'neighbourhood API, server work in process (graph + JSON)':<62} "
        f"{statistics.median(server):>7,.0f} {server[min(len(server) - 1, round(0.95 * len(server)) - 1)]:>7,.0f}"
    )
