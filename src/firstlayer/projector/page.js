// The projector page: draws the points with plotly.js and answers the search box and clicks.
// Everything it shows comes from the JSON block that firstlayer wrote (#projector-data): the
// coordinates, the groups and each point's nearest neighbours, computed in Python in the
// original space. This script only draws and looks things up.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("projector-data").textContent);
  const n = data.keys.length;
  const plot = document.getElementById("plot");
  const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
  const search = byTestId("search");
  const matchList = byTestId("matches");
  const selectedBox = byTestId("selected");
  const neighbourList = byTestId("neighbours");
  const font = getComputedStyle(document.documentElement).getPropertyValue("--font").trim();
  const config = { responsive: true, displaylogo: false, scrollZoom: true };
  const MAX_MATCHES = 50;

  const byKey = new Map(data.keys.map((key, i) => [key, i]));
  let view = "2d";
  let selected = -1; // index of the selected point, -1 for none

  // One trace per group, so that the legend names (and can hide) the groups.
  const members = data.groups.map(() => []);
  data.group.forEach((g, i) => members[g].push(i));
  const colour = (i) => data.groups[data.group[i]].color;

  // A trace of the points `idx` in the current view: scattergl (WebGL) in 2-D, scatter3d in 3-D.
  // customdata holds each point's index, which a click hands back.
  function trace(idx, style) {
    const columns = view === "3d" ? data.xyz : data.xy;
    const t = {
      x: idx.map((i) => columns[0][i]),
      y: idx.map((i) => columns[1][i]),
      customdata: idx,
      text: idx.map((i) => data.keys[i]),
      hovertemplate: "%{text}<extra></extra>",
      textposition: "top center",
      ...style,
    };
    if (view === "3d") {
      t.type = "scatter3d";
      t.z = idx.map((i) => columns[2][i]);
    } else {
      t.type = "scattergl";
    }
    return t;
  }

  function traces() {
    const size = view === "3d" ? 4 : 7;
    const dim = selected >= 0; // with a selection, the other points fade: more when many
    const faded = n > 1000 ? 0.1 : 0.3;
    const all = data.groups.map((g, gi) =>
      trace(members[gi], {
        name: g.name,
        mode: data.labelsAll ? "markers+text" : "markers",
        marker: { color: g.color, size, opacity: dim ? faded : 0.85 },
        textfont: { size: 11, color: dim ? "#bbb" : "#444" },
        showlegend: data.showLegend,
      })
    );
    const near = selected >= 0 ? data.neighbours[selected] : [];
    all.push(trace(near, {
      name: "neighbours",
      mode: "markers+text",
      marker: { color: near.map(colour), size: size + 6, line: { color: "#222", width: 1.5 } },
      textfont: { size: 13, color: "#111" },
      showlegend: false,
    }));
    const mark = selected >= 0 ? [selected] : [];
    all.push(trace(mark, {
      name: "selected",
      mode: "markers+text",
      marker: { color: "#e31a1c", size: size + 10, line: { color: "#000", width: 2 } },
      textfont: { size: 16, color: "#000" },
      showlegend: false,
    }));
    return all;
  }

  function layout() {
    const axes = view === "3d" ? data.axes3 : data.axes2;
    const axis = (title) => ({ title: { text: title }, zeroline: false });
    const base = {
      font: { family: font },
      margin: { l: 60, r: 10, t: 36, b: 50 }, // t: room for the toolbar above the legend
      hovermode: "closest",
      legend: { title: { text: data.legendTitle }, itemsizing: "constant" },
      uirevision: view, // keep the zoom and the camera while the selection changes
    };
    if (view === "3d") {
      base.scene = {
        xaxis: axis(axes[0]), yaxis: axis(axes[1]), zaxis: axis(axes[2]),
        dragmode: "turntable",
      };
    } else {
      base.xaxis = axis(axes[0]);
      base.yaxis = axis(axes[1]);
      base.dragmode = "pan";
    }
    return base;
  }

  function draw() {
    return Plotly.react(plot, traces(), layout(), config);
  }

  function select(i) {
    selected = i;
    selectedBox.textContent = data.keys[i];
    search.value = data.keys[i];
    matchList.replaceChildren();
    neighbourList.replaceChildren(
      ...data.neighbours[i].map((j, rank) => {
        const li = document.createElement("li");
        const key = document.createElement("span");
        key.className = "key";
        key.textContent = data.keys[j];
        const cos = document.createElement("span");
        cos.className = "cos";
        cos.textContent = data.cosines[i][rank].toFixed(3);
        li.append(key, " ", cos);
        li.addEventListener("click", () => select(j));
        return li;
      })
    );
    return draw();
  }

  // Keys containing the text typed (any case), those starting with it first.
  function findKeys(text) {
    const needle = text.trim().toLowerCase();
    if (!needle) return [];
    const starts = [];
    const contains = [];
    for (let i = 0; i < n && starts.length < MAX_MATCHES; i++) {
      const key = data.keys[i].toLowerCase();
      if (key.startsWith(needle)) starts.push(i);
      else if (contains.length < MAX_MATCHES && key.includes(needle)) contains.push(i);
    }
    return starts.concat(contains).slice(0, MAX_MATCHES);
  }

  function showMatches() {
    matchList.replaceChildren(
      ...findKeys(search.value).map((i) => {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = data.keys[i];
        button.addEventListener("click", () => select(i));
        const li = document.createElement("li");
        li.append(button);
        return li;
      })
    );
  }

  search.addEventListener("input", showMatches);
  search.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    const exact = byKey.get(search.value.trim());
    const found = exact !== undefined ? exact : findKeys(search.value)[0];
    if (found !== undefined) select(found);
  });

  function setView(v) {
    view = v;
    document.querySelectorAll(".views button").forEach((b) => {
      b.setAttribute("aria-pressed", String(b.dataset.view === view));
    });
    return draw();
  }
  document.querySelectorAll(".views button").forEach((b) => {
    b.addEventListener("click", () => setView(b.dataset.view));
  });

  byTestId("count").textContent = `${n} points`;
  byTestId("variance").textContent = data.variance;
  setView("2d").then(() => {
    plot.on("plotly_click", (event) => {
      const point = event.points && event.points[0];
      if (point && point.customdata !== undefined) select(point.customdata);
    });
    document.body.dataset.ready = "true"; // drawn: for scripts (and tests) that wait on it
  });
  // for the browser console: projector.select(byKey.get("猫"))
  window.projector = { data, select, setView, byKey };
})();
