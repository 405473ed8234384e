// The link chart page. Kept in a file (no inline script or style: the CSP forbids them).
// Everything is read through the network API, which applies the access rule and audits each call;
// the page holds only what the API sent for the person signed in.
(function () {
  "use strict";

  const app = document.getElementById("chart-app");
  if (!app || typeof window.cytoscape === "undefined") {
    return;
  }
  const API = app.dataset.api;
  const CSRF = app.dataset.csrf;
  const BIG = 250; // above this many nodes: the cheapest edges, no edge drawing while panning
  const FORCE_MAX = 100; // up to this many nodes force-directed (about 0.4 s at 100), above that rings
  // A chart with more links than this draws its nodes and the most telling FIRST_EDGES links in its
  // first frame, and the rest just after it, SLICE at a time. Cytoscape spends 0.1 to 0.2 ms a link
  // (adding, styling, drawing) on a two-core machine, so a 500-node chart's 5,000 links kept the
  // canvas blank for a second or more. Smaller slices answered clicks sooner but every slice redraws
  // the whole chart: 800 at a time took half as long again to finish (see `cairn bench chart`).
  const STREAM_ABOVE = 1500;
  const FIRST_EDGES = 600;
  const SLICE = 5000;
  const $ = (id) => document.getElementById(id);
  const status = $("chart-status");
  const canvas = $("chart-canvas");
  // Set through the CSSOM, which the CSP allows (style attributes in markup it does not).
  canvas.style.position = "relative";
  canvas.style.height = "640px";
  canvas.style.border = "1px solid #b1b4b6";
  canvas.style.background = "#ffffff";

  const KIND_COLOURS = {
    person: "#1d70b8",
    phone: "#00703c",
    location: "#f47738",
    vehicle: "#4c2c92",
    bank_account: "#85994b",
    email: "#28a197",
    organisation: "#6f72af",
    document: "#912b88",
    online_profile: "#d53880",
    event: "#505a5f",
  };

  const chart = {
    savedId: app.dataset.saved || "",
    notes: {}, // entity id -> text
    groups: {}, // name -> [entity ids]
    filters: {},
    handling: "",
  };

  const style = [
    {
      selector: "node",
      style: {
        label: "data(display)",
        "font-size": 9,
        "text-valign": "bottom",
        "text-margin-y": 3,
        "min-zoomed-font-size": 7, // labels only once zoomed in far enough to read them: keeps big charts fast
        // Fixed sizes rather than a data() mapper on every node: mappers make Cytoscape style each
        // element on its own. Only nodes given a size (centrality sizing) pay for one.
        width: 26,
        height: 26,
        "background-color": "#505a5f",
        "border-width": 1,
        "border-color": "#0b0c0c",
      },
    },
    { selector: "node[size]", style: { width: "data(size)", height: "data(size)" } },
    ...Object.entries(KIND_COLOURS).map(([kind, colour]) => ({
      selector: `node[kind = "${kind}"]`,
      style: { "background-color": colour },
    })),
    { selector: 'node[kind = "person"]', style: { shape: "ellipse" } },
    { selector: 'node[kind = "location"]', style: { shape: "round-rectangle" } },
    { selector: 'node[kind = "phone"]', style: { shape: "round-triangle" } },
    {
      selector: 'node[kind = "flag"]',
      style: {
        shape: "tag",
        width: 18,
        height: 18,
        "background-color": "#d4351c",
        "border-style": "dashed",
        "border-color": "#942514",
        "border-width": 2,
        color: "#942514",
        "font-weight": "bold",
      },
    },
    {
      selector: 'node[access = "flag"][kind != "flag"]',
      style: { "background-color": "#f3f2f1", "border-style": "dashed", "border-color": "#d4351c", "border-width": 2 },
    },
    { selector: "node[?seed]", style: { "border-width": 4 } },
    { selector: "node.pinned", style: { "border-style": "double", "border-width": 5, "border-color": "#0b0c0c" } },
    {
      selector: ":parent",
      style: {
        "background-opacity": 0.07,
        "background-color": "#1d70b8",
        "border-style": "dashed",
        "text-valign": "top",
        "font-size": 12,
        "font-weight": "bold",
        label: "data(display)",
      },
    },
    { selector: "node:selected", style: { "border-color": "#ffdd00", "border-width": 6 } },
    { selector: ".chart-hidden", style: { display: "none" } },
    { selector: ".faded", style: { opacity: 0.2 } },
    { selector: "node.path", style: { "border-color": "#ffdd00", "border-width": 5 } },
    {
      selector: "edge",
      style: {
        width: 1,
        "line-color": "#b1b4b6",
        "curve-style": "straight",
      },
    },
    // Most links rest on one report: only the others pay for the mapper.
    { selector: "edge[weight > 1]", style: { width: "mapData(weight, 1, 10, 1, 6)" } },
    { selector: "edge[?directed]", style: { "target-arrow-shape": "triangle", "target-arrow-color": "#b1b4b6" } },
    // Big charts: the cheapest edges to draw (no arrows); select an edge to read its type.
    { selector: "edge.fast", style: { "curve-style": "haystack", "haystack-radius": 0 } },
    { selector: 'edge[type = "flag"]', style: { "line-style": "dashed", "line-color": "#d4351c" } },
    { selector: "edge:selected", style: { label: "data(label)", "font-size": 9, "line-color": "#0b0c0c" } },
    { selector: "edge.path", style: { "line-color": "#ffdd00", width: 5, "target-arrow-color": "#ffdd00" } },
  ];

  const cy = window.cytoscape({
    container: canvas,
    elements: [],
    style: style,
    boxSelectionEnabled: true,
    minZoom: 0.05,
    maxZoom: 4,
  });

  // --- talking to the API --------------------------------------------------------------------------

  async function api(path, options) {
    const opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
    opts.headers = Object.assign({ Accept: "application/json" }, opts.headers);
    if (opts.body) {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRFToken"] = CSRF;
    }
    const response = await fetch(API + path, opts);
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (!response.ok) {
      throw new Error((data && data.message) || `The request failed (${response.status}).`);
    }
    return data;
  }

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("govuk-error-message", Boolean(isError));
  }

  function filterParams() {
    const p = new URLSearchParams();
    const multi = (id) =>
      Array.from($(id).selectedOptions)
        .map((o) => o.value)
        .join(",");
    const put = (name, value) => {
      if (value) p.set(name, value);
    };
    put("relationship", multi("filter-relationship"));
    put("kind", multi("filter-kind"));
    put("date_from", $("filter-date-from").value);
    put("date_to", $("filter-date-to").value);
    put("organisation", $("filter-organisation").value.replace(/\s+/g, ""));
    chart.filters = Object.fromEntries(p.entries());
    return p;
  }

  // --- drawing -----------------------------------------------------------------------------------

  function displayLabel(d) {
    if (d.kind === "flag" && d.flag) {
      return `⚑ ${d.flag.organisation}`;
    }
    const note = chart.notes[String(d.entity_id)] ? " ✎" : "";
    // Shortened here rather than by Cytoscape's ellipsis wrapping, which measures text letter by letter.
    const label = d.label || d.id;
    return (label.length > 28 ? `${label.slice(0, 27)}…` : label) + note;
  }

  function entityNodes() {
    return cy.nodes().filter((n) => n.data("entity_id") && n.data("kind") !== "flag" && !n.isParent());
  }

  function entityIds() {
    return entityNodes().map((n) => n.data("entity_id"));
  }

  // Links still to draw (see STREAM_ABOVE), and whoever waits for all of them (the picture exports).
  let pendingEdges = [];
  let foldedEdges = []; // co-mention links of many-subject reports not drawn (see STAR_ABOVE)
  let draining = false;
  let drawnWaiters = [];
  let lastTimings = null;

  function edgeRank(data, seeds) {
    // The first frame shows flags, the seeds' own links and stated relationships; "named together"
    // links (most of a big chart's) follow.
    if (data.type === "flag") return 0;
    if (seeds.has(data.source) || seeds.has(data.target)) return 1;
    return data.type === "co_mentioned" ? 3 : 2;
  }

  // A report naming many subjects joins each to every other: 20 subjects are 190 links, a hairball
  // that hides the network and costs Cytoscape ~0.15 ms a link. Such a report is drawn as a star
  // around its best-connected subject instead; every subject keeps a link through the report, and
  // "Show every link" draws the rest.
  const STAR_ABOVE = 8;

  function foldCliques(edges, keepPairs) {
    const members = new Map(); // report id -> node ids it names on this chart
    const degree = new Map();
    for (const e of edges) {
      const d = e.data;
      degree.set(d.source, (degree.get(d.source) || 0) + 1);
      degree.set(d.target, (degree.get(d.target) || 0) + 1);
      if (d.type !== "co_mentioned") continue;
      for (const r of d.report_ids || []) {
        if (!members.has(r)) members.set(r, new Set());
        members.get(r).add(d.source).add(d.target);
      }
    }
    const hub = new Map();
    for (const [r, ids] of members) {
      if (ids.size <= STAR_ABOVE) continue;
      let best = null;
      for (const id of ids) {
        const better = best === null || (degree.get(id) || 0) > (degree.get(best) || 0) || ((degree.get(id) || 0) === (degree.get(best) || 0) && id < best);
        if (better) best = id;
      }
      hub.set(r, best);
    }
    if (!hub.size) return [edges, []];
    const keep = [];
    const folded = [];
    for (const e of edges) {
      const d = e.data;
      const reports = d.report_ids || [];
      const drawn =
        d.type !== "co_mentioned" ||
        keepPairs.has(`${d.source}|${d.target}`) ||
        keepPairs.has(`${d.target}|${d.source}`) ||
        reports.some((r) => !hub.has(r) || hub.get(r) === d.source || hub.get(r) === d.target);
      (drawn ? keep : folded).push(e);
    }
    return [keep, folded];
  }

  function showFolded() {
    const box = $("chart-folded");
    if (!box) return;
    box.hidden = !foldedEdges.length;
    $("chart-folded-count").textContent = foldedEdges.length.toLocaleString("en-GB");
  }

  function showEveryLink() {
    const edges = foldedEdges;
    foldedEdges = [];
    showFolded();
    queueEdges(edges);
    say(`Drawing ${edges.length.toLocaleString("en-GB")} more links.`);
  }

  function addChart(data, positions, keepPairs) {
    // One cy.add per kind of element (adding thousands one at a time is many times slower), inside a
    // batch so nothing is styled or drawn until all are in.
    const fast = data.elements.nodes.length + cy.nodes().length > BIG;
    const present = new Set(cy.elements().map((e) => e.id()));
    const seeds = new Set(cy.nodes("[?seed]").map((n) => n.id()));
    const nodes = [];
    for (const n of data.elements.nodes) {
      const d = n.data;
      if (d.seed) seeds.add(d.id);
      if (present.has(d.id)) {
        if (d.seed) cy.getElementById(d.id).data("seed", true);
        continue;
      }
      present.add(d.id);
      d.display = displayLabel(d);
      const node = { group: "nodes", data: d };
      if (positions && positions[d.id]) node.position = positions[d.id];
      nodes.push(node);
    }
    let edges = [];
    for (const e of data.elements.edges) {
      if (!present.has(e.data.id) && present.has(e.data.source) && present.has(e.data.target)) {
        present.add(e.data.id);
        edges.push({ group: "edges", data: e.data, classes: fast ? "fast" : "" });
      }
    }
    const [drawn, folded] = foldCliques(edges, keepPairs || new Set());
    edges = drawn;
    if (folded.length) {
      foldedEdges = foldedEdges.concat(folded);
      showFolded();
    }
    let later = [];
    if (edges.length > STREAM_ABOVE) {
      const ranked = edges.map((e, i) => [edgeRank(e.data, seeds), i, e]);
      ranked.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      edges = ranked.slice(0, FIRST_EDGES).map((r) => r[2]);
      later = ranked.slice(FIRST_EDGES).map((r) => r[2]);
    }
    let added = cy.collection();
    cy.batch(() => {
      added = cy.add(nodes);
      cy.add(edges);
    });
    if (later.length) queueEdges(later);
    showSummary(data);
    updateExports();
    return added;
  }

  function queueEdges(edges) {
    pendingEdges = pendingEdges.concat(edges);
    if (draining) return;
    draining = true;
    // After the frame that shows the nodes (and after ready() has marked it), one slice per task.
    cy.one("render", () => window.requestAnimationFrame(() => window.setTimeout(drainEdges, 0)));
    cy.forceRender(); // a chart already drawn has no frame of its own coming
  }

  function drainEdges() {
    const slice = pendingEdges.splice(0, SLICE).filter((e) => {
      const d = e.data;
      // The chart may have changed meanwhile (expanded, or another chart loaded).
      const there = (id) => cy.getElementById(id).nonempty();
      return !there(d.id) && there(d.source) && there(d.target);
    });
    if (slice.length) cy.batch(() => cy.add(slice));
    if (pendingEdges.length) {
      cy.one("render", () => window.setTimeout(drainEdges, 0));
      cy.forceRender();
      return;
    }
    draining = false;
    cy.one("render", () =>
      window.requestAnimationFrame(() => {
        if (draining || pendingEdges.length) return; // more arrived meanwhile
        if (lastTimings && lastTimings.clicked !== undefined) {
          lastTimings.complete = performance.now() - lastTimings.clicked;
          app.dataset.timings = JSON.stringify(lastTimings);
        }
        app.dataset.complete = String(Date.now());
        const waiters = drawnWaiters;
        drawnWaiters = [];
        waiters.forEach((resolve) => resolve());
      }),
    );
    cy.forceRender();
  }

  function allDrawn() {
    // Resolves once every link of the chart is on it.
    if (!draining && !pendingEdges.length) return Promise.resolve();
    return new Promise((resolve) => drawnWaiters.push(resolve));
  }

  function clearChart() {
    pendingEdges = [];
    foldedEdges = [];
    showFolded();
    cy.elements().remove();
  }

  function showSummary(data) {
    const box = $("chart-left-out");
    const summary = data.left_out && data.left_out.summary;
    if (summary) {
      box.textContent = `Not shown, to keep the chart usable: ${summary}. Narrow the filters or expand one node at a time.`;
      box.hidden = false;
    } else {
      box.hidden = true;
      box.textContent = "";
    }
    if (data.handling) {
      chart.handling = data.handling.summary;
      $("chart-handling").textContent = `Handling of the material shown: ${data.handling.summary}.`;
    }
  }

  function ringPositions(nodeData, edgeData) {
    // Rings by distance from the seeds, computed before the nodes are added: a big chart appears at
    // once (force-directed and Cytoscape's own concentric layouts took seconds at 500 nodes on the
    // project machine), and analysts read distance from the seeds off it. Flags sit just outside.
    const hopsOf = new Map(nodeData.map((d) => [d.id, d.hops]));
    const flagOwner = new Map(edgeData.filter((e) => e.type === "flag").map((e) => [e.target, e.source]));
    const rings = new Map();
    for (const d of nodeData) {
      let level = d.hops === null || d.hops === undefined ? 9 : d.hops;
      if (d.kind === "flag") level = (hopsOf.get(flagOwner.get(d.id)) || 0) + 0.5;
      if (!rings.has(level)) rings.set(level, []);
      rings.get(level).push(d.id);
    }
    let radius = 0;
    const positions = {};
    for (const level of Array.from(rings.keys()).sort((a, b) => a - b)) {
      const members = rings.get(level);
      radius = members.length === 1 && radius === 0 ? 0 : Math.max(radius + 140, (members.length * 36) / (2 * Math.PI));
      members.forEach((id, i) => {
        const angle = (2 * Math.PI * i) / members.length;
        positions[id] = { x: radius * Math.cos(angle), y: radius * Math.sin(angle) };
      });
    }
    return positions;
  }

  function fitBox(bb) {
    const w = cy.width() - 40;
    const h = cy.height() - 40;
    const zoom = Math.min(cy.maxZoom(), Math.max(cy.minZoom(), Math.min(w / Math.max(bb.w, 1), h / Math.max(bb.h, 1))));
    cy.viewport({
      zoom: zoom,
      pan: { x: 20 + (w - zoom * (bb.x1 + bb.x2)) / 2, y: 20 + (h - zoom * (bb.y1 + bb.y2)) / 2 },
    });
  }

  function fitPositions(positions) {
    // Fit to positions computed here, before the nodes are drawn: no measuring of elements at all.
    let x1 = Infinity;
    let y1 = Infinity;
    let x2 = -Infinity;
    let y2 = -Infinity;
    for (const id in positions) {
      const p = positions[id];
      x1 = Math.min(x1, p.x);
      y1 = Math.min(y1, p.y);
      x2 = Math.max(x2, p.x);
      y2 = Math.max(y2, p.y);
    }
    if (!isFinite(x1)) return;
    const r = 13; // half a node
    fitBox({ x1: x1 - r, y1: y1 - r, x2: x2 + r, y2: y2 + r, w: x2 - x1 + 2 * r, h: y2 - y1 + 2 * r });
  }

  function fitAll() {
    // Fit to the nodes' shapes, without measuring every label and edge (slow on big charts).
    const bb = cy.nodes().boundingBox({ includeLabels: false, includeOverlays: false });
    if (!bb || !isFinite(bb.w) || cy.nodes().empty()) return;
    fitBox(bb);
  }

  function forceLayout() {
    // From the rings (not at random): fewer rounds settle, and the same chart looks the same each time.
    const rounds = 250;
    cy.layout({
      name: "cose",
      animate: false,
      randomize: false,
      fit: false,
      numIter: rounds,
      coolingFactor: Math.pow(0.001, 1 / rounds), // cool fully within the rounds
      nodeRepulsion: () => 6000,
    }).run();
  }

  function layoutAll() {
    // Rings by distance from the seeds; a small chart then settles force-directed from them.
    const positions = ringPositions(
      cy.nodes().map((n) => n.data()),
      cy.edges().map((e) => e.data()),
    );
    cy.batch(() =>
      cy.nodes().forEach((n) => {
        if (positions[n.id()] && !n.isParent()) n.position(positions[n.id()]);
      }),
    );
    if (cy.nodes().length > FORCE_MAX) {
      fitPositions(positions);
    } else {
      forceLayout();
      fitAll();
    }
  }

  function placeAround(centre, nodes) {
    if (nodes.empty()) return;
    const p = centre.position();
    if (nodes.length === 1) {
      nodes.position({ x: p.x + 70, y: p.y - 50 });
      return;
    }
    const r = Math.max(80, nodes.length * 9);
    nodes
      .layout({
        name: "circle",
        animate: false,
        fit: false,
        boundingBox: { x1: p.x - r, y1: p.y - r, w: 2 * r, h: 2 * r },
      })
      .run();
  }

  function configureForSize() {
    const big = cy.nodes().length > BIG;
    const r = cy.renderer();
    if (r) {
      r.textureOnViewport = big;
      r.hideEdgesOnViewport = big;
    }
  }

  function ready(timings) {
    // data-ready marks the first frame drawn with these elements; data-complete the frame with every
    // link of the chart (the same frame unless a big chart's links come in after it).
    const drawn = performance.now();
    lastTimings = timings || null;
    cy.one("render", () =>
      window.requestAnimationFrame(() => {
        if (timings) {
          const now = performance.now();
          timings.draw = now - drawn;
          if (timings.clicked !== undefined) timings.total = now - timings.clicked;
          if (!draining && timings.total !== undefined) timings.complete = timings.total;
          app.dataset.timings = JSON.stringify(timings);
        }
        app.dataset.ready = String(Date.now());
        if (draining) delete app.dataset.complete;
        else app.dataset.complete = app.dataset.ready;
      }),
    );
    cy.forceRender();
  }

  // --- loading -------------------------------------------------------------------------------------

  async function loadSeeds(seeds, hops, maxNodes, clicked) {
    const p = filterParams();
    p.set("seeds", seeds);
    p.set("hops", hops);
    p.set("max_nodes", maxNodes);
    say("Loading…");
    const t0 = performance.now();
    const data = await api(`/network/neighbourhood?${p}`);
    const t1 = performance.now();
    clearChart();
    // Positions first (cheap: rings by distance from the seeds), so the nodes are added where they
    // stay and the view is set before anything is drawn or measured.
    const positions = ringPositions(
      data.elements.nodes.map((n) => n.data),
      data.elements.edges.map((e) => e.data),
    );
    const rings = data.elements.nodes.length > FORCE_MAX;
    if (rings) fitPositions(positions);
    addChart(data, positions);
    configureForSize();
    const t2 = performance.now();
    if (!rings) {
      forceLayout();
      fitAll();
    }
    const timings = { clicked: clicked, fetch: t1 - t0, add: t2 - t1, layout: performance.now() - t2 };
    say(`${entityNodes().length} entities and ${cy.nodes('[kind = "flag"]').length} flags on the chart.`);
    ready(timings);
  }

  async function loadSaved(id) {
    say("Opening the saved chart…");
    const data = await api(`/network/charts/${encodeURIComponent(id)}`);
    chart.savedId = String(data.id);
    const st = data.state;
    chart.notes = st.notes || {};
    chart.groups = {};
    $("chart-title").value = data.title;
    clearChart();
    addChart(data.chart);
    configureForSize();
    const positions = st.positions || {};
    const missing = cy.nodes().filter((n) => !positions[n.id()]);
    if (Object.keys(positions).length) {
      cy.nodes().forEach((n) => {
        if (positions[n.id()]) n.position(positions[n.id()]);
      });
      missing.forEach((n) => {
        const owner = n.connectedEdges().connectedNodes().filter((m) => positions[m.id()]);
        if (owner.nonempty()) placeAround(owner.first(), n);
      });
      fitAll();
    } else {
      layoutAll();
    }
    for (const id of st.pinned || []) cy.getElementById(id).lock().addClass("pinned");
    for (const id of st.hidden || []) cy.getElementById(id).addClass("chart-hidden");
    for (const [name, members] of Object.entries(st.groups || {})) {
      groupNodes(name, cy.nodes().filter((n) => members.includes(n.data("entity_id"))));
    }
    refreshLabels();
    $("chart-saved").textContent = `Saved chart ${data.id}: “${data.title}” by ${data.owner}. Shown as you may see it.`;
    say(`${entityNodes().length} entities and ${cy.nodes('[kind = "flag"]').length} flags on the chart.`);
    updateExports();
    ready();
  }

  async function refreshEdges() {
    // Links between newly added entities and entities already on the chart.
    const ids = entityIds();
    if (ids.length < 2 || ids.length > 500) return;
    const p = filterParams();
    p.set("seeds", ids.join(","));
    p.set("hops", "0");
    p.set("max_nodes", "2000");
    const data = await api(`/network/neighbourhood?${p}`);
    const present = new Set(cy.elements().map((e) => e.id()));
    cy.add(
      data.elements.edges
        .filter((e) => !present.has(e.data.id) && present.has(e.data.source) && present.has(e.data.target))
        .map((e) => ({ group: "edges", data: e.data })),
    );
  }


  // --- actions ---------------------------------------------------------------------------------------

  function selectedEntities() {
    return cy.nodes(":selected").filter((n) => n.data("entity_id") && n.data("kind") !== "flag" && !n.isParent());
  }

  function clearHighlights() {
    cy.elements().removeClass("faded path");
  }

  async function expand() {
    const chosen = selectedEntities().filter((n) => n.data("access") === "full");
    if (chosen.empty()) {
      say("Select one or more entities (not flags) to expand.", true);
      return;
    }
    const p = filterParams();
    p.set("seeds", chosen.map((n) => n.data("entity_id")).join(","));
    p.set("hops", "1");
    p.set("max_nodes", $("chart-max-nodes").value || app.dataset.maxNodes);
    say("Expanding…");
    const data = await api(`/network/neighbourhood?${p}`);
    const added = addChart(data);
    placeAround(chosen.first(), added);
    await refreshEdges();
    configureForSize();
    say(`${added.length} added; ${entityNodes().length} entities and ${cy.nodes('[kind = "flag"]').length} flags on the chart.`);
    ready();
  }

  function twoSelected() {
    const chosen = selectedEntities();
    if (chosen.length !== 2) {
      say("Select exactly two entities (shift-click the second).", true);
      return null;
    }
    return chosen;
  }

  async function path() {
    const chosen = twoSelected();
    if (!chosen) return;
    const [a, b] = chosen.map((n) => n.data("entity_id"));
    const p = filterParams();
    p.set("a", a);
    p.set("b", b);
    say("Looking for paths…");
    const data = await api(`/network/paths?${p}`);
    clearHighlights();
    const onPath = new Set();
    for (const route of data.paths) route.forEach((e, i) => i && onPath.add(`e${route[i - 1]}|e${e}`));
    const added = addChart(data, null, onPath);
    placeAround(chosen.first(), added);
    if (!data.paths.length) {
      say(data.message || "No path found.");
      return;
    }
    cy.elements().addClass("faded");
    for (const route of data.paths) {
      const ids = route.map((e) => `e${e}`);
      ids.forEach((id, i) => {
        const node = cy.getElementById(id).removeClass("faded").addClass("path");
        if (i > 0) node.edgesWith(cy.getElementById(ids[i - 1])).removeClass("faded").addClass("path");
      });
    }
    say(`${data.paths.length} shortest path(s) of ${data.paths[0].length - 1} hop(s).`);
  }

  async function common() {
    const chosen = twoSelected();
    if (!chosen) return;
    const [a, b] = chosen.map((n) => n.data("entity_id"));
    const p = filterParams();
    p.set("a", a);
    p.set("b", b);
    const data = await api(`/network/common?${p}`);
    clearHighlights();
    const added = addChart(data);
    placeAround(chosen.first(), added);
    const shared = data.elements.nodes.filter((n) => n.data.kind !== "flag" && n.data.entity_id !== a && n.data.entity_id !== b);
    if (!shared.length) {
      say(data.message || "No common neighbours.");
      return;
    }
    cy.elements().addClass("faded");
    chosen.removeClass("faded");
    for (const n of shared) {
      const node = cy.getElementById(n.data.id).removeClass("faded").addClass("path");
      node.edgesWith(chosen).removeClass("faded").addClass("path");
    }
    say(`${shared.length} common neighbour(s).`);
  }

  async function centrality() {
    const ids = entityIds();
    if (!ids.length) return;
    const scores = await api(`/network/centrality?entities=${ids.join(",")}`);
    const top = Math.max(...scores.map((s) => s.pagerank), 0.0001);
    cy.batch(() => {
      entityNodes().data("size", 16);
      for (const s of scores) {
        cy.getElementById(`e${s.entity_id}`).data("size", 16 + Math.round(50 * (s.pagerank / top)));
      }
    });
    const best = scores.slice(0, 5).map((s) => cy.getElementById(`e${s.entity_id}`).data("label") || s.entity_id);
    say(`Sized by PageRank. Most central: ${best.join(", ") || "none"}.`);
  }

  function pin() {
    cy.nodes(":selected").forEach((n) => {
      if (n.locked()) n.unlock().removeClass("pinned");
      else n.lock().addClass("pinned");
    });
  }

  function hide() {
    cy.nodes(":selected").addClass("chart-hidden").unselect();
    say(`${cy.nodes(".chart-hidden").length} hidden.`);
  }

  function showHidden() {
    cy.nodes(".chart-hidden").removeClass("chart-hidden");
  }

  function groupNodes(name, nodes) {
    const id = `g:${name}`;
    if (cy.getElementById(id).empty()) {
      cy.add({ group: "nodes", data: { id: id, kind: "group", label: name, display: name, size: 30 } });
    }
    nodes.move({ parent: id });
    chart.groups[name] = cy
      .getElementById(id)
      .children()
      .map((n) => n.data("entity_id"))
      .filter(Boolean);
  }

  function group() {
    const name = $("chart-group-name").value.trim();
    const chosen = selectedEntities();
    if (!name || chosen.empty()) {
      say("Select entities and give the group a name.", true);
      return;
    }
    groupNodes(name, chosen);
    say(`Group “${name}”: ${chart.groups[name].length} entities.`);
  }

  function refreshLabels() {
    cy.nodes().forEach((n) => {
      if (!n.isParent() && n.data("kind") !== "group") n.data("display", displayLabel(n.data()));
    });
  }

  function note() {
    const chosen = selectedEntities();
    if (chosen.length !== 1) {
      say("Select one entity to annotate.", true);
      return;
    }
    const id = String(chosen.first().data("entity_id"));
    const text = $("chart-note").value.trim();
    if (text) chart.notes[id] = text;
    else delete chart.notes[id];
    refreshLabels();
    describeSelection();
    say(text ? "Note saved on the chart (save the chart to keep it)." : "Note removed.");
  }

  function currentState() {
    const positions = {};
    cy.nodes().forEach((n) => {
      if (!n.isParent()) positions[n.id()] = n.position();
    });
    return {
      entity_ids: entityIds(),
      positions: positions,
      pinned: cy.nodes(".pinned").map((n) => n.id()),
      hidden: cy.nodes(".chart-hidden").map((n) => n.id()),
      groups: chart.groups,
      notes: chart.notes,
      filters: chart.filters,
    };
  }

  async function save() {
    const title = $("chart-title").value.trim();
    if (!title) {
      say("Give the chart a title to save it.", true);
      return;
    }
    const saved = await api("/network/charts", {
      method: "POST",
      body: JSON.stringify({ title: title, state: currentState() }),
    });
    chart.savedId = String(saved.id);
    const link = `${app.dataset.chartUrl}?chart=${saved.id}`;
    $("chart-saved").textContent = `Saved as chart ${saved.id} (${link}).`;
    window.history.replaceState(null, "", link);
    say(`Saved “${saved.title}”.`);
  }

  async function share() {
    const username = $("chart-share-username").value.trim();
    if (!chart.savedId) {
      say("Save the chart before sharing it.", true);
      return;
    }
    if (!username) {
      say("Give the username of the analyst to share with.", true);
      return;
    }
    const saved = await api(`/network/charts/${chart.savedId}/share`, {
      method: "POST",
      body: JSON.stringify({ username: username }),
    });
    say(`Shared with ${saved.shared_with.join(", ")}. They will see only what they may see.`);
  }

  // --- pictures ------------------------------------------------------------------------------------

  function download(blob, name) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(a.href), 60000);
  }

  // A drawing leaves Cairn as surely as an export does: it is recorded first, and not made if that fails.
  async function recordDrawing(format) {
    const title = (document.getElementById("chart-title") || {}).value || "";
    await api("/network/drawings", { method: "POST", body: JSON.stringify({ format, entities: entityIds(), title }) });
  }

  async function png() {
    await allDrawn();
    await recordDrawing("png");
    download(cy.png({ full: true, output: "blob", bg: "#ffffff", maxWidth: 4000, maxHeight: 4000 }), "cairn-chart.png");
    say(`Picture saved. Handling: ${chart.handling || "as the material shown"} — mark it before sharing.`);
  }

  // SVG is written here from the chart's elements and their computed style, through Cytoscape's public
  // API. The one extension for it (cytoscape-svg) is GPL-3.0 and unmaintained; Cytoscape's authors
  // suggest exactly this (cytoscape/cytoscape.js#2923). It covers the shapes, lines and marks this
  // page uses; an unknown shape is drawn as an ellipse.
  const POLYGONS = {
    // Unit polygons (x, y from -1 to 1), as Cytoscape draws these shapes.
    triangle: [0, -1, 1, 1, -1, 1],
    "round-triangle": [0, -1, 1, 1, -1, 1],
    tag: [-1, -1, 0.25, -1, 1, 0, 0.25, 1, -1, 1],
    "round-tag": [-1, -1, 0.25, -1, 1, 0, 0.25, 1, -1, 1],
    diamond: [0, -1, 1, 0, 0, 1, -1, 0],
    "round-diamond": [0, -1, 1, 0, 0, 1, -1, 0],
  };
  const DASHES = { dashed: ' stroke-dasharray="6 3"', dotted: ' stroke-dasharray="1 3"' };

  const ENTITIES = { "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" };

  function esc(text) {
    return String(text).replace(/[<>&"']/g, (c) => ENTITIES[c]);
  }

  const num = (value) => Math.round(Number(value) * 100) / 100;
  const px = (ele, name) => parseFloat(ele.style(name)) || 0;

  function svgNode(n) {
    const p = n.position();
    const w = n.width();
    const h = n.height();
    const shape = n.style("shape");
    const paint =
      `fill="${esc(n.style("background-color"))}" fill-opacity="${num(n.style("background-opacity"))}" ` +
      `stroke="${esc(n.style("border-color"))}" stroke-width="${num(px(n, "border-width"))}"` +
      (DASHES[n.style("border-style")] || "");
    if (POLYGONS[shape]) {
      const pts = POLYGONS[shape];
      const points = [];
      for (let i = 0; i < pts.length; i += 2) {
        points.push(`${num(p.x + (pts[i] * w) / 2)},${num(p.y + (pts[i + 1] * h) / 2)}`);
      }
      const join = shape.startsWith("round") ? "round" : "miter";
      return `<polygon points="${points.join(" ")}" stroke-linejoin="${join}" ${paint}/>`;
    }
    if (shape.includes("rectangle") || shape === "square") {
      const r = shape.startsWith("round") ? Math.min(w, h) / 4 : 0;
      const box = `x="${num(p.x - w / 2)}" y="${num(p.y - h / 2)}" width="${num(w)}" height="${num(h)}"`;
      return `<rect ${box} rx="${num(r)}" ${paint}/>`;
    }
    return `<ellipse cx="${num(p.x)}" cy="${num(p.y)}" rx="${num(w / 2)}" ry="${num(h / 2)}" ${paint}/>`;
  }

  function svgText(ele, text, x, y) {
    const weight = ele.style("font-weight") === "bold" ? ' font-weight="bold"' : "";
    const font = `font-size="${num(px(ele, "font-size"))}" fill="${esc(ele.style("color"))}"${weight}`;
    return `<text x="${num(x)}" y="${num(y)}" ${font}>${esc(text)}</text>`;
  }

  function svgEdge(e) {
    const s = e.source().position();
    const t = e.target().position();
    const width = px(e, "width");
    const colour = esc(e.style("line-color"));
    let x2 = t.x;
    let y2 = t.y;
    let arrow = "";
    const len = Math.hypot(t.x - s.x, t.y - s.y);
    if (e.data("directed") && len > 0) {
      // Stop at the target's edge and draw the arrowhead there.
      const ux = (t.x - s.x) / len;
      const uy = (t.y - s.y) / len;
      const back = e.target().width() / 2 + 1;
      x2 = t.x - ux * back;
      y2 = t.y - uy * back;
      const size = 4 + 2 * width;
      const bx = x2 - ux * size;
      const by = y2 - uy * size;
      arrow =
        `<polygon points="${num(x2)},${num(y2)} ${num(bx - (uy * size) / 2)},${num(by + (ux * size) / 2)} ` +
        `${num(bx + (uy * size) / 2)},${num(by - (ux * size) / 2)}" fill="${colour}"/>`;
    }
    const line =
      `<line x1="${num(s.x)}" y1="${num(s.y)}" x2="${num(x2)}" y2="${num(y2)}" stroke="${colour}" ` +
      `stroke-width="${num(width)}"${DASHES[e.style("line-style")] || ""}/>`;
    const label = e.style("label");
    const text = label ? svgText(e, label, (s.x + t.x) / 2, (s.y + t.y) / 2 - 3) : "";
    return line + arrow + text;
  }

  function chartSvg() {
    const shown = cy.elements(":visible");
    const bb = shown.nodes().boundingBox({ includeLabels: true, includeOverlays: false });
    const pad = 20;
    const head = 36; // the caption with the handling
    const title = $("chart-title").value.trim() || "Cairn link chart";
    const handling = `Handling: ${chart.handling || "as the material shown"}`;
    // Wide enough for the caption too (about 0.6 em a character): the handling must not be cut off.
    const caption = Math.max(14 * 0.6 * title.length, 11 * 0.6 * handling.length);
    const x0 = bb.x1 - pad;
    const y0 = bb.y1 - pad - head;
    const width = Math.max(bb.w, caption) + 2 * pad;
    const height = bb.h + 2 * pad + head;
    const out = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${num(x0)} ${num(y0)} ${num(width)} ${num(height)}" ` +
        `width="${Math.ceil(width)}" height="${Math.ceil(height)}" font-family="Helvetica, Arial, sans-serif">`,
      `<title>${esc(title)}</title>`,
      `<desc>${esc(handling)}</desc>`,
      `<rect x="${num(x0)}" y="${num(y0)}" width="${num(width)}" height="${num(height)}" fill="#ffffff"/>`,
      `<text x="${num(x0 + pad)}" y="${num(y0 + pad)}" font-size="14" font-weight="bold" fill="#0b0c0c">${esc(title)}</text>`,
      `<text x="${num(x0 + pad)}" y="${num(y0 + pad + 16)}" font-size="11" fill="#0b0c0c">${esc(handling)}</text>`,
    ];
    // Groups behind everything, then links, then nodes with their labels.
    shown.nodes(":parent").forEach((g) => {
      const b = g.boundingBox({ includeLabels: false, includeOverlays: false });
      out.push(
        `<rect x="${num(b.x1)}" y="${num(b.y1)}" width="${num(b.w)}" height="${num(b.h)}" ` +
          `fill="${esc(g.style("background-color"))}" fill-opacity="${num(g.style("background-opacity"))}" ` +
          `stroke="${esc(g.style("border-color"))}" stroke-dasharray="6 3"/>`,
        svgText(g, g.data("display") || "", b.x1, b.y1 - 4),
      );
    });
    out.push('<g class="links">');
    shown.edges().forEach((e) => {
      const opacity = num(e.style("opacity"));
      out.push(opacity < 1 ? `<g opacity="${opacity}">${svgEdge(e)}</g>` : svgEdge(e));
    });
    out.push('</g><g class="nodes" text-anchor="middle">');
    shown
      .nodes()
      .filter((n) => !n.isParent())
      .forEach((n) => {
        const p = n.position();
        const opacity = num(n.style("opacity"));
        const label = n.data("display") || "";
        const size = px(n, "font-size");
        const text = label ? svgText(n, label, p.x, p.y + n.height() / 2 + 3 + size) : "";
        const body = svgNode(n) + text;
        out.push(opacity < 1 ? `<g opacity="${opacity}">${body}</g>` : body);
      });
    out.push("</g></svg>");
    return out.join("\n");
  }

  async function svg() {
    await allDrawn();
    await recordDrawing("svg");
    download(new Blob([chartSvg()], { type: "image/svg+xml" }), "cairn-chart.svg");
    say(`Drawing saved as SVG. Handling: ${chart.handling || "as the material shown"} — it is marked on the drawing.`);
  }

  function updateExports() {
    const ids = entityIds();
    for (const link of document.querySelectorAll("[data-format]")) {
      if (!ids.length) {
        link.removeAttribute("href");
        continue;
      }
      const p = new URLSearchParams(chart.filters);
      p.set("format", link.dataset.format);
      p.set("seeds", ids.join(","));
      p.set("hops", "0");
      p.set("max_nodes", "2000");
      const title = $("chart-title").value.trim();
      if (title) p.set("title", title);
      link.href = `${API}/network/export?${p}`;
    }
  }

  // --- the selection panel ------------------------------------------------------------------------

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function describeSelection() {
    const panel = $("chart-selection");
    panel.replaceChildren();
    const chosen = cy.nodes(":selected");
    if (chosen.empty()) {
      panel.append(el("p", "Nothing selected.", "govuk-body-s"));
      return;
    }
    if (chosen.length > 1) {
      panel.append(el("p", `${chosen.length} selected: ${chosen.map((n) => n.data("display")).join("; ")}`, "govuk-body-s"));
      return;
    }
    const d = chosen.first().data();
    const list = el("dl", undefined, "govuk-summary-list govuk-summary-list--no-border");
    const row = (k, v) => {
      const r = el("div", undefined, "govuk-summary-list__row");
      r.append(el("dt", k, "govuk-summary-list__key"), el("dd", v, "govuk-summary-list__value"));
      list.append(r);
    };
    if (d.kind === "flag" && d.flag) {
      const f = d.flag;
      panel.append(el("p", d.label, "govuk-body govuk-!-font-weight-bold"));
      row("Held by", f.organisation);
      row("Contact", f.contact_point);
      row("Date", f.date);
      if (f.exploitation_types && f.exploitation_types.length) row("Exploitation", f.exploitation_types.join(", "));
      panel.append(list);
      const a = el("a", "Ask for access", "govuk-link");
      a.href = app.dataset.flagUrl.replace(/_\/$/, `${f.token}/`);
      panel.append(a);
      return;
    }
    if (d.kind === "group") {
      panel.append(el("p", `Group “${d.label}”`, "govuk-body"));
      return;
    }
    row("Entity", d.label);
    row("Kind", d.kind);
    row("Access", d.access === "full" ? "you may read the reports" : "known to you by a flag only");
    if (d.hops !== null && d.hops !== undefined) row("Hops from the seeds", String(d.hops));
    if (d.organisations && d.organisations.length) row("Reports of", d.organisations.join(", "));
    if (d.report_ids) row("Reports", String(d.report_ids.length));
    if (d.first_date) row("Dates", `${d.first_date} – ${d.last_date}`);
    const text = chart.notes[String(d.entity_id)];
    if (text) row("Note", text);
    panel.append(list);
    $("chart-note").value = text || "";
    if (d.access === "full") {
      const a = el("a", "Open the entity page", "govuk-link");
      a.href = app.dataset.entityUrl.replace(/0\/$/, `${d.entity_id}/`);
      panel.append(a);
    }
  }

  cy.on("select unselect", "node", () => window.requestAnimationFrame(describeSelection));

  // --- wiring --------------------------------------------------------------------------------------

  const actions = {
    expand: expand,
    pin: pin,
    hide: hide,
    show: showHidden,
    path: path,
    common: common,
    centrality: centrality,
    fit: () => fitAll(),
    group: group,
    note: note,
    save: save,
    share: share,
    png: png,
    svg: svg,
    "every-link": async () => showEveryLink(),
  };

  async function run(fn) {
    try {
      await fn();
    } catch (err) {
      say(err.message, true);
    }
  }

  for (const button of app.querySelectorAll("[data-action]")) {
    button.addEventListener("click", () => run(actions[button.dataset.action]));
  }
  $("chart-load").addEventListener("submit", (event) => {
    const clicked = performance.now();
    event.preventDefault();
    const seeds = $("chart-seeds").value.replace(/\s+/g, "");
    if (!seeds) {
      say("Give one or more entity ids.", true);
      return;
    }
    chart.savedId = "";
    chart.notes = {};
    chart.groups = {};
    $("chart-saved").textContent = "";
    run(() => loadSeeds(seeds, $("chart-hops").value || "1", $("chart-max-nodes").value || app.dataset.maxNodes, clicked));
  });
  $("chart-title").addEventListener("change", updateExports);

  if (app.dataset.saved) {
    run(() => loadSaved(app.dataset.saved));
  } else if (app.dataset.seed) {
    run(() => loadSeeds(app.dataset.seed, "1", app.dataset.maxNodes));
  } else {
    say("Give an entity id (or open one from an entity page) to start.");
  }

  // For the browser tests, the console and other scripts on this page (a panel that adds to the chart
  // listens for "cairn:chart-ready"): the drawing, the entity ids on it, and the status line.
  window.cairnChart = { cy: cy, entityIds: entityIds, say: say };
  document.dispatchEvent(new CustomEvent("cairn:chart-ready"));
})();
