// The risk heat map: an ECharts heatmap (domains × levels) from the JSON in the element named by
// data-risk-heatmap; clicking a cell opens the register filtered to that domain and level.
// A static file because the Content-Security-Policy forbids inline scripts.
(function () {
  function render(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-risk-heatmap]").forEach(function (el) {
      var source = document.getElementById(el.dataset.riskHeatmap);
      if (!source || el.dataset.rendered) return;
      var data = JSON.parse(source.textContent);
      var chart = window.echarts.init(el);
      chart.setOption({
        tooltip: {
          position: "top",
          formatter: function (p) { return data.domains[p.value[1]] + " · " + data.levels[p.value[0]] + "：" + p.value[2] + " 项"; }
        },
        grid: { left: 100, right: 30, top: 20, bottom: 70 },
        xAxis: { type: "category", data: data.levels, splitArea: { show: true } },
        yAxis: { type: "category", data: data.domains, splitArea: { show: true }, inverse: true },
        visualMap: { min: 0, max: Math.max(data.max, 1), calculable: true, orient: "horizontal", left: "center",
                     bottom: 0, inRange: { color: ["#f1f5f9", "#f59f00", "#d63939"] } },
        series: [{ name: "风险数", type: "heatmap", data: data.cells, label: { show: true },
                   emphasis: { itemStyle: { shadowBlur: 8, shadowColor: "rgba(0,0,0,.3)" } } }]
      });
      chart.on("click", function (p) {
        var domain = data.domain_ids[p.value[1]], level = data.level_codes[p.value[0]];
        var sep = data.href.indexOf("?") === data.href.length - 1 ? "" : "&";
        window.location.href = data.href + sep + "domain=" + domain + "&level=" + level;
      });
      el.dataset.rendered = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.addEventListener("htmx:afterSettle", function (e) { render(e.target); });
})();
