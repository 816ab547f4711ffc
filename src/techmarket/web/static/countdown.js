// Countdowns on the deal, notice and negotiation pages: the server's clock decides, so the
// page keeps the difference between the server's time (data-now) and this browser's.
(function () {
  "use strict";
  function left(ms) {
    var s = Math.floor(ms / 1000);
    if (s <= 0) { return "已到期"; }
    var units = [[Math.floor(s / 86400), "天"], [Math.floor(s % 86400 / 3600), "小时"],
      [Math.floor(s % 3600 / 60), "分"], [s % 60, "秒"]];
    while (units[0][0] === 0) { units.shift(); }
    return units.slice(0, 2).filter(function (u) { return u[0]; })
      .map(function (u) { return u[0] + " " + u[1]; }).join(" ");
  }
  var clocks = document.querySelectorAll("[data-countdown]");
  if (!clocks.length) { return; }
  var skew = Date.parse(clocks[0].dataset.now) - Date.now();
  function tick() {
    clocks.forEach(function (el) {
      el.textContent = left(Date.parse(el.dataset.until) - (Date.now() + skew));
    });
  }
  setInterval(tick, 1000);
}());
