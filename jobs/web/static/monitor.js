// The jobs monitor's only script. It never builds markup from data: live regions arrive
// from the server already escaped, and the chart is drawn from numbers.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";

  // Ask before the buttons that remove things.
  function confirmDestructiveForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  }

  function svgElement(name, attributes) {
    const element = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) { element.setAttribute(key, attributes[key]); });
    return element;
  }

  // The top of the y axis: jobs are counted in whole numbers, so the axis is too. An even top
  // (or 1) has a whole-number middle tick; a chart whose peak is 1 reads 0 and 1, not 0, 1, 1.
  function axisTop(peak) {
    return peak <= 1 ? 1 : 2 * Math.ceil(peak / 2);
  }

  function axisTicks(top) {
    return top === 1 ? [0, 1] : [0, top / 2, top];
  }

  // history: [[minute, processed, failed], ...] oldest first. One pair of bars per minute.
  // The drawing uses the chart's size on screen as its coordinates, so bars fill the width
  // and the labels keep their size.
  function drawChart(svg, history) {
    const width = svg.clientWidth || 600, height = svg.clientHeight || 160;
    const left = 34, bottom = 18, top = 8;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const highest = axisTop(Math.max(0, ...history.map(function (row) { return Math.max(row[1], row[2]); })));
    const slot = (width - left) / Math.max(1, history.length);
    const scale = (height - bottom - top) / highest;
    axisTicks(highest).forEach(function (tick) {
      const y = height - bottom - tick * scale;
      svg.appendChild(svgElement("line", { x1: left, x2: width, y1: y, y2: y, class: "grid" }));
      const label = svgElement("text", { x: left - 4, y: y + 3, "text-anchor": "end", class: "axis" });
      label.textContent = String(tick);
      svg.appendChild(label);
    });
    history.forEach(function (row, index) {
      const x = left + index * slot;
      [[row[1], "bar-processed", 0], [row[2], "bar-failed", slot / 2]].forEach(function (bar) {
        const barHeight = bar[0] * scale;
        svg.appendChild(svgElement("rect", {
          x: x + bar[2], y: height - bottom - barHeight, width: Math.max(1, slot / 2 - 1),
          height: barHeight, class: bar[1],
        }));
      });
    });
    [["-60 min", left, "start"], ["now", width - 4, "end"]].forEach(function (tick) {
      const label = svgElement("text", { x: tick[1], y: height - 4, "text-anchor": tick[2], class: "axis" });
      label.textContent = tick[0];
      svg.appendChild(label);
    });
  }

  function startChart() {
    const svg = document.getElementById("chart");
    if (svg) drawChart(svg, JSON.parse(svg.dataset.history || "[]"));
  }

  // Poll the page's JSON endpoint and swap its regions in place, unless paused.
  function startLive() {
    const body = document.body;
    const url = body.dataset.liveUrl;
    if (!url) return;
    const seconds = Math.min(60, Math.max(1, Number(body.dataset.refresh) || 3));
    const toggle = document.getElementById("live-toggle");
    let paused = window.localStorage.getItem("jobs-monitor-paused") === "1";

    function showPaused() {
      toggle.setAttribute("aria-pressed", paused ? "true" : "false");
      toggle.textContent = paused ? "Paused" : "Live";
    }

    function refresh() {
      if (paused) return;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data || paused) return;
          Object.keys(data.regions).forEach(function (name) {
            const region = document.querySelector('[data-live="' + name + '"]');
            if (region) region.innerHTML = data.regions[name];
          });
          const svg = document.getElementById("chart");
          if (svg) drawChart(svg, data.history);
          body.dataset.updated = String(Date.now());
        })
        .catch(function () { /* the next tick tries again */ });
    }

    if (toggle) {
      showPaused();
      toggle.addEventListener("click", function () {
        paused = !paused;
        window.localStorage.setItem("jobs-monitor-paused", paused ? "1" : "0");
        showPaused();
        if (!paused) refresh();
      });
    }
    window.setInterval(refresh, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    confirmDestructiveForms();
    startChart();
    startLive();
  });
})();
