// The user's language: chosen in the console (kept in this browser), by default the browser's.
import en from "./i18n/en.js";
import ru from "./i18n/ru.js";

const catalogs = { ru, en };
const KEY = "callfunnel.lang";

export const languages = Object.keys(catalogs);
export const lang = pick();
document.documentElement.lang = lang;

function pick() {
  const chosen = localStorage.getItem(KEY);
  if (chosen in catalogs) return chosen;
  const browser = (navigator.languages || [navigator.language]).map((l) => l.slice(0, 2));
  return browser.find((l) => l in catalogs) || "ru";
}

// t("offer.waited", {seconds: 5}) → the catalog's text with {seconds} filled in.
export function t(key, params) {
  const text = catalogs[lang][key] ?? catalogs.en[key] ?? key;
  return params ? text.replace(/\{(\w+)\}/g, (_, name) => params[name] ?? "") : text;
}

// A code from the API (an outcome, a reason, a state) in words, or the code itself if unknown.
export function term(group, code) {
  if (code == null) return "—";
  return catalogs[lang][`${group}.${code}`] ?? catalogs.en[`${group}.${code}`] ?? code;
}

export function choose(language) {
  localStorage.setItem(KEY, language);
  location.reload();
}
