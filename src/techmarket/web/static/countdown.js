// Deadlines: the server draws the days left; this keeps the count ticking each second.
"use strict";

const counters = document.querySelectorAll("[data-countdown]");
const pad = (n) => String(n).padStart(2, "0");

function tick() {
  const now = Date.now();
  for (const counter of counters) {
    const left = Math.floor((Date.parse(counter.dataset.countdown) - now) / 1000);
    if (left <= 0) {
      counter.textContent = "已截止";
      continue;
    }
    const days = Math.floor(left / 86400);
    const clock = [Math.floor(left / 3600) % 24, Math.floor(left / 60) % 60, left % 60];
    counter.textContent = `剩余 ${days} 天 ${clock.map(pad).join(":")}`;
  }
}

if (counters.length) {
  tick();
  setInterval(tick, 1000);
}
