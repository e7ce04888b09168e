/* Dashboards: draw each chart's plotly figure (served from static/, no CDN) and wire its PNG/SVG downloads. */
(function () {
  "use strict";

  const CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"] };

  function draw(plot) {
    const figure = JSON.parse(document.getElementById(plot.dataset.figure).textContent);
    return window.Plotly.newPlot(plot, figure.data, figure.layout, CONFIG);
  }

  function wireDownloads(chart, plot) {
    chart.querySelectorAll("[data-download]").forEach(function (button) {
      button.addEventListener("click", function () {
        const format = button.dataset.download;
        window.Plotly.downloadImage(plot, { format: format, filename: plot.dataset.name, scale: format === "png" ? 2 : 1 });
      });
    });
  }

  document.querySelectorAll("figure.chart").forEach(function (chart) {
    const plot = chart.querySelector(".plot");
    draw(plot).then(function () { wireDownloads(chart, plot); });
  });
})();
