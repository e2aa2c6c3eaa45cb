// The charts of 统计分析 (ECharts, served from js/vendor/ by bin/setup). The data, with the
// proposal list behind each figure, is the page's <script type="application/json" id="chart-data">;
// clicking a bar or a slice opens that list.
(function () {
  "use strict";
  function start() {
    var source = document.getElementById("chart-data");
    if (!source) { return; }
    if (typeof window.echarts === "undefined") {
      var note = document.querySelector(".charts-missing");
      if (note) { note.hidden = false; }
      return;
    }
    var data = JSON.parse(source.textContent);
    var charts = [];
    function chart(id, option, items) {
      var el = document.getElementById(id);
      if (!el) { return; }
      var c = window.echarts.init(el, null, { renderer: "svg" });
      c.setOption(option);
      c.on("click", function (params) {
        var item = items && items[params.dataIndex];
        if (item && item.url) { window.location.href = item.url; }
      });
      el.setAttribute("data-drawn", "true");
      charts.push(c);
    }
    function pie(id, items) {
      chart(id, {
        tooltip: { trigger: "item", formatter: "{b}：{c} 件（{d}%）" },
        legend: { bottom: 0, type: "scroll" },
        series: [{ type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"],
                   label: { formatter: "{b}\n{c} 件 {d}%" }, data: items }]
      }, items);
    }
    pie("chart-classes", data.classes);
    pie("chart-ratings", data.ratings);
    chart("chart-categories", {
      tooltip: { trigger: "axis" }, grid: { left: 40, right: 10, bottom: 50, top: 20 },
      xAxis: { type: "category", data: data.categories.map(function (x) { return x.name; }), axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", name: "立案", data: data.categories.map(function (x) { return x.value; }), label: { show: true, position: "top" } }]
    }, data.categories);
    chart("chart-monthly", {
      tooltip: { trigger: "axis" }, legend: { bottom: 0 }, grid: { left: 40, right: 10, bottom: 50, top: 20 },
      xAxis: { type: "category", data: data.monthly.map(function (x) { return x.month; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { type: "bar", stack: "reply", name: "按时答复", data: data.monthly.map(function (x) { return x.on_time; }) },
        { type: "bar", stack: "reply", name: "超期答复", data: data.monthly.map(function (x) { return x.late; }) }
      ]
    }, []);
    var units = data.units.slice().reverse();
    chart("chart-units", {
      tooltip: { trigger: "axis" }, grid: { left: 10, right: 40, bottom: 20, top: 10, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: units.map(function (x) { return x.name; }) },
      series: [{ type: "bar", name: "办理件数", data: units.map(function (x) { return x.value; }), label: { show: true, position: "right" } }]
    }, units);
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
