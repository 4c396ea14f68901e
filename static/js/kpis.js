// The dashboard's charts: each panel arrives by htmx with its numbers as JSON; a click on a bar or point opens the
// tickets behind it. The table toggle shows the same numbers as a table.
(function () {
  if (window.kpisLoaded) return;
  window.kpisLoaded = true;

  function format(value, unit) {
    if (value === null || value === undefined) return "—";
    const number = Math.abs(value) >= 100 ? Math.round(value).toLocaleString() : value.toLocaleString(undefined, { maximumFractionDigits: 2 });
    return unit === "%" ? number + "%" : number + " " + unit;
  }

  const COUNTED = ["tickets", "findings", "events"];

  function draw(canvas) {
    if (canvas.dataset.drawn) return;
    const data = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
    const valueAxis = data.horizontal ? "x" : "y";
    const labelAxis = data.horizontal ? "y" : "x";
    const scales = {};
    scales[valueAxis] = { type: data.log ? "logarithmic" : "linear", beginAtZero: !data.log, stacked: data.stacked,
      title: { display: true, text: data.unit },
      ticks: COUNTED.includes(data.unit) ? { precision: 0 } : {} };  // no 0.2 of a ticket
    scales[labelAxis] = { stacked: data.stacked, ticks: { autoSkip: true, maxRotation: 0 } };
    if (data.horizontal) {  // long check names end in an ellipsis rather than losing their start; tooltips say all
      scales[labelAxis].ticks.callback = function (value) {
        const label = this.getLabelForValue(value);
        return label.length > 40 ? label.slice(0, 39) + "…" : label;
      };
    }
    const chart = new Chart(canvas, {
      type: data.kind,
      data: {
        labels: data.labels,
        datasets: data.series.map((s) => ({
          label: s.name, data: s.values, backgroundColor: s.colour, borderColor: s.colour,
          borderWidth: data.kind === "line" ? 2 : 0, pointRadius: data.labels.length > 60 ? 0 : 3, tension: 0.25,
          links: s.links,
        })),
      },
      options: {
        indexAxis: data.horizontal ? "y" : "x", maintainAspectRatio: false, animation: false,
        interaction: { mode: data.kind === "line" ? "index" : "nearest", intersect: data.kind !== "line" },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: (c) => c.dataset.label + ": " + format(c.raw, data.unit) } },
        },
        scales: scales,
        onHover: (event, elements) => { event.native.target.style.cursor = elements.length ? "pointer" : "default"; },
        onClick: (event, elements) => {
          if (!elements.length) return;
          const element = elements[0];
          const links = chart.data.datasets[element.datasetIndex].links || [];
          if (links[element.index]) window.location.href = links[element.index];
        },
      },
    });
    canvas.dataset.drawn = "true";
  }

  let waited = 0;
  function drawAll(root) {
    if (!window.Chart) {  // chart.umd.min.js still loading (pages reached through hx-boost load it late)
      if (waited++ < 100) setTimeout(() => drawAll(document), 50);
      return;
    }
    root.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-table-toggle]");
    if (!button) return;
    const table = button.closest(".chart-card").querySelector(".chart-table");
    table.hidden = !table.hidden;
    button.setAttribute("aria-expanded", String(!table.hidden));
    button.textContent = table.hidden ? "Table" : "Hide table";
  });
  // Slots filled by other apps' endpoints keep their empty state when those answer with an error
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.xhr.status >= 400 && event.detail.target.closest("[data-optional-panel]")) {
      event.detail.shouldSwap = false;
    }
  });
  document.addEventListener("htmx:afterSettle", (event) => drawAll(event.target));
  drawAll(document);
})();
