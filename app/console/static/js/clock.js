// Running clocks: an element with data-since shows the time since that moment, one with
// data-until the time left; all of a view's clocks move together once a second.
import { duration } from "./format.js";

export function clocks(root) {
  function tick() {
    const now = Date.now();
    for (const el of root.querySelectorAll("[data-since]")) el.textContent = duration((now - Date.parse(el.dataset.since)) / 1000);
    for (const el of root.querySelectorAll("[data-until]")) el.textContent = duration((Date.parse(el.dataset.until) - now) / 1000);
  }
  const timer = setInterval(tick, 1000);
  return { tick, stop: () => clearInterval(timer) };
}
