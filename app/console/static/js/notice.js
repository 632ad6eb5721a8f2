// Short messages at the bottom of the screen: what happened, or why something was refused.
import { h } from "./dom.js";

export function notice(text, kind = "info") {
  const box = document.getElementById("notices");
  const item = h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

// An API or socket failure in words: the server's reason (a 4xx always carries one).
export function failed(error) {
  notice(error?.reason || error?.message || String(error), "error");
}

// For refreshes nobody asked for: a lost connection is already on the header's badge.
export function quietly(error) {
  if (error?.status !== 0) failed(error);
}
