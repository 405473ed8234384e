// "Detect groups" on the link chart: Leiden over the charted entities (as far as the rule lets the
// analyst read them), each candidate ringed in its own colour and listed with a link to adopt it as
// a crime group. Kept in a file of its own (the CSP forbids inline script); it talks to the chart
// through window.cairnChart, which chart.js sets once the chart is ready.
(function () {
  "use strict";

  const panel = document.getElementById("chart-groups");
  if (!panel) {
    return;
  }
  const API = panel.dataset.api;
  const ADOPT = panel.dataset.adoptUrl;
  const list = document.getElementById("chart-groups-list");
  const button = document.getElementById("chart-groups-detect");
  const COLOURS = ["#d4351c", "#1d70b8", "#00703c", "#f47738", "#4c2c92", "#d53880", "#28a197", "#85994b"];

  function chart() {
    return window.cairnChart || null;
  }

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function clearRings(cy) {
    cy.nodes().removeStyle("border-width border-color");
  }

  function ring(cy, ids, colour) {
    cy.batch(() => {
      ids.forEach((id) => {
        const node = cy.getElementById("e" + id);
        if (node && node.length) node.style({ "border-width": 5, "border-color": colour });
      });
    });
  }

  function describe(group, colour) {
    const item = el("li", "", "govuk-!-margin-bottom-3");
    item.dataset.testid = "chart-candidate";
    const swatch = el("span", "\u25CF ");
    swatch.style.color = colour; // set through the CSSOM, which the CSP allows
    item.appendChild(swatch);
    item.appendChild(el("strong", `Candidate ${group.number}: ${group.size} members`));
    const kinds = Object.entries(group.members)
      .map(([kind, ids]) => `${ids.length} ${kind}`)
      .join(", ");
    const orgs = Object.entries(group.organisations)
      .map(([code, n]) => `${code} (${n})`)
      .join(", ");
    item.appendChild(el("p", `${kinds}. Reported by ${orgs || "—"}.`, "govuk-body-s govuk-!-margin-bottom-1"));
    const ids = Object.values(group.members).flat();
    const show = el("button", "Select", "govuk-button govuk-button--secondary govuk-!-margin-bottom-0 govuk-!-margin-right-2");
    show.type = "button";
    show.addEventListener("click", () => {
      const c = chart();
      if (!c) return;
      c.cy.elements().unselect();
      ids.forEach((id) => c.cy.getElementById("e" + id).select());
    });
    item.appendChild(show);
    const adopt = el("a", "Adopt as a crime group", "govuk-link");
    adopt.href = `${ADOPT}?members=${ids.join(",")}&found_by=${encodeURIComponent("the link chart")}`;
    adopt.dataset.testid = "chart-adopt";
    item.appendChild(adopt);
    return item;
  }

  async function detect() {
    const c = chart();
    if (!c) return;
    const ids = c.entityIds();
    if (ids.length < 2) {
      c.say("Load a chart first: group detection needs at least two entities.", true);
      return;
    }
    button.disabled = true;
    c.say("Finding groups among the charted entities…");
    try {
      const response = await fetch(`${API}/network/communities?entities=${ids.join(",")}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const data = await response.json();
      if (!response.ok) {
        c.say(data.message || "Group detection failed.", true);
        return;
      }
      clearRings(c.cy);
      list.replaceChildren();
      data.groups.forEach((group, i) => {
        const colour = COLOURS[i % COLOURS.length];
        ring(c.cy, Object.values(group.members).flat(), colour);
        list.appendChild(describe(group, colour));
      });
      c.say(
        data.groups.length
          ? `${data.groups.length} candidate group(s) among ${data.entities} entities you may read.`
          : "No group of three or more among the entities you may read."
      );
    } catch (err) {
      c.say("Group detection failed: " + err, true);
    } finally {
      button.disabled = false;
    }
  }

  button.addEventListener("click", detect);
})();
