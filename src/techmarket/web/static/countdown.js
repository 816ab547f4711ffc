// Countdowns (a demand's deadline, a notice period, a signing deadline): the server draws
// the time left; this keeps it ticking each second on the server's clock, from the
// difference between the server's time when it drew the page (data-now) and this browser's.
(function () {
  "use strict";
  var clocks = document.querySelectorAll("[data-countdown]");
  if (!clocks.length) { return; }
  var skew = Date.parse(clocks[0].dataset.now) - Date.now();
  function pad(n) { return String(n).padStart(2, "0"); }
  function left(ms) {
    var s = Math.floor(ms / 1000);
    if (s <= 0) { return "已到期"; }
    var clock = [Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60].map(pad).join(":");
    var days = Math.floor(s / 86400);
    return days ? days + " 天 " + clock : clock;
  }
  function tick() {
    clocks.forEach(function (el) {
      el.textContent = left(Date.parse(el.dataset.until) - (Date.now() + skew));
    });
  }
  tick();
  setInterval(tick, 1000);
}());
