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
  const BIG = 250; // above this many nodes: fast layout, no edge drawing while panning
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
        width: "data(size)",
        height: "data(size)",
        "background-color": "#505a5f",
        "border-width": 1,
        "border-color": "#0b0c0c",
      },
    },
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
        width: "mapData(weight, 1, 10, 1, 6)",
        "line-color": "#b1b4b6",
        "curve-style": "straight",
      },
    },
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
  window.cairnChart = cy; // for the browser tests and the console

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

  function addChart(data, positions) {
    // One cy.add per kind of element: adding thousands one at a time is many times slower.
    const fast = data.elements.nodes.length + cy.nodes().length > BIG;
    const present = new Set(cy.elements().map((e) => e.id()));
    const nodes = [];
    for (const n of data.elements.nodes) {
      const d = n.data;
      if (present.has(d.id)) {
        if (d.seed) cy.getElementById(d.id).data("seed", true);
        continue;
      }
      present.add(d.id);
      d.display = displayLabel(d);
      d.size = d.kind === "flag" ? 18 : 26;
      const node = { group: "nodes", data: d };
      if (positions && positions[d.id]) node.position = positions[d.id];
      nodes.push(node);
    }
    const edges = [];
    for (const e of data.elements.edges) {
      if (!present.has(e.data.id) && present.has(e.data.source) && present.has(e.data.target)) {
        present.add(e.data.id);
        edges.push({ group: "edges", data: e.data, classes: fast ? "fast" : "" });
      }
    }
    const added = cy.add(nodes);
    cy.add(edges);
    showSummary(data);
    updateExports();
    return added;
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

  function fitAll() {
    // Fit to the nodes' shapes, without measuring every label and edge (slow on big charts).
    const bb = cy.nodes().boundingBox({ includeLabels: false, includeOverlays: false });
    if (!bb || !isFinite(bb.w) || cy.nodes().empty()) return;
    const w = cy.width() - 40;
    const h = cy.height() - 40;
    const zoom = Math.min(cy.maxZoom(), Math.max(cy.minZoom(), Math.min(w / Math.max(bb.w, 1), h / Math.max(bb.h, 1))));
    cy.viewport({
      zoom: zoom,
      pan: { x: 20 + (w - zoom * (bb.x1 + bb.x2)) / 2, y: 20 + (h - zoom * (bb.y1 + bb.y2)) / 2 },
    });
  }

  function layoutAll() {
    if (cy.nodes().length > BIG) {
      const positions = ringPositions(
        cy.nodes().map((n) => n.data()),
        cy.edges().map((e) => e.data()),
      );
      cy.layout({ name: "preset", positions: positions, fit: false, animate: false }).run();
    } else {
      cy.layout({ name: "cose", animate: false, randomize: true, numIter: 600, nodeRepulsion: () => 6000 }).run();
    }
    fitAll();
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

  function ready() {
    // The chart is interactive once the first frame with these elements has been drawn.
    cy.one("render", () =>
      window.requestAnimationFrame(() => {
        app.dataset.ready = String(Date.now());
      }),
    );
    cy.style().update();
  }

  // --- loading -------------------------------------------------------------------------------------

  async function loadSeeds(seeds, hops, maxNodes) {
    const p = filterParams();
    p.set("seeds", seeds);
    p.set("hops", hops);
    p.set("max_nodes", maxNodes);
    say("Loading…");
    const t0 = performance.now();
    const data = await api(`/network/neighbourhood?${p}`);
    const t1 = performance.now();
    cy.elements().remove();
    const big = data.elements.nodes.length > BIG;
    addChart(data, big ? ringPositions(data.elements.nodes.map((n) => n.data), data.elements.edges.map((e) => e.data)) : null);
    const t2 = performance.now();
    configureForSize();
    if (big) fitAll();
    else layoutAll();
    app.dataset.timings = JSON.stringify({ fetch: t1 - t0, add: t2 - t1, layout: performance.now() - t2 });
    say(`${entityNodes().length} entities and ${cy.nodes('[kind = "flag"]').length} flags on the chart.`);
    ready();
  }

  async function loadSaved(id) {
    say("Opening the saved chart…");
    const data = await api(`/network/charts/${encodeURIComponent(id)}`);
    chart.savedId = String(data.id);
    const st = data.state;
    chart.notes = st.notes || {};
    chart.groups = {};
    $("chart-title").value = data.title;
    cy.elements().remove();
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
    const added = addChart(data);
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

  function png() {
    const blob = cy.png({ full: true, output: "blob", bg: "#ffffff", maxWidth: 4000, maxHeight: 4000 });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "cairn-chart.png";
    document.body.appendChild(a);
    a.click();
    a.remove();
    say(`Picture saved. Handling: ${chart.handling || "as the material shown"} — mark it before sharing.`);
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
      a.href = app.dataset.reportUrl.replace(/0\/$/, `${f.report_id}/`);
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
    run(() => loadSeeds(seeds, $("chart-hops").value || "1", $("chart-max-nodes").value || app.dataset.maxNodes));
  });
  $("chart-title").addEventListener("change", updateExports);

  if (app.dataset.saved) {
    run(() => loadSaved(app.dataset.saved));
  } else if (app.dataset.seed) {
    run(() => loadSeeds(app.dataset.seed, "1", app.dataset.maxNodes));
  } else {
    say("Give an entity id (or open one from an entity page) to start.");
  }
})();
