// Draws each <canvas data-chart="id"> of the trends and finance pages from the JSON the server put beside it.
(function () {
  const palette = ["#4f46e5", "#079455", "#dc6803", "#d92d20", "#0e9384", "#7a5af8", "#c11574", "#475467", "#98a2b3"];

  function draw(canvas) {
    // getChart, not a flag: a page htmx restores from history has fresh, empty canvases carrying old attributes
    if (!window.Chart || window.Chart.getChart(canvas)) return;
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    canvas.dataset.drawn = "1";
    new window.Chart(canvas, {
      type: spec.type || "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map((set, i) => ({ ...set, backgroundColor: palette[i % palette.length], borderColor: palette[i % palette.length] })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        // a horizontal chart's rows are names (tags): every one labelled, none skipped for room
        scales: { x: { stacked: !!spec.stacked }, y: { stacked: !!spec.stacked, beginAtZero: true, ticks: { autoSkip: !spec.horizontal } } },
        plugins: { legend: { display: spec.datasets.length > 1, position: "bottom" } },
      },
    });
  }

  function drawAll(root) {
    root.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => drawAll(document));
  else drawAll(document);
  document.addEventListener("htmx:afterSettle", (event) => drawAll(event.target));
  document.addEventListener("htmx:historyRestore", () => drawAll(document));
})();
