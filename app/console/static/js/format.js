// Numbers, moments and durations as people read them, in the user's language and time zone.
import { lang } from "./i18n.js";

// "+79123456789" → "+7 912 345-67-89"; other countries: the code, then groups of three.
export function phone(number) {
  if (!number) return "—";
  const digits = number.replace(/[^\d]/g, "");
  if (!number.startsWith("+")) return number;
  if (digits.length === 11 && digits[0] === "7") {
    const d = digits;
    return `+7 ${d.slice(1, 4)} ${d.slice(4, 7)}-${d.slice(7, 9)}-${d.slice(9)}`;
  }
  const code = digits.slice(0, digits.length > 10 ? digits.length - 10 : 1);
  const rest = digits.slice(code.length).match(/.{1,3}/g) || [];
  return `+${code} ${rest.join(" ")}`;
}

const formats = new Map();
function formatter(key, options) {
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat(lang, options));
  return formats.get(key);
}

export function dateTime(iso) {
  return iso ? formatter("dt", { dateStyle: "short", timeStyle: "short" }).format(new Date(iso)) : "—";
}

export function time(iso) {
  return iso ? formatter("t", { timeStyle: "medium" }).format(new Date(iso)) : "—";
}

export function date(iso) {
  return iso ? formatter("d", { dateStyle: "medium" }).format(new Date(iso)) : "—";
}

// The wall-clock time now in another time zone (a client's).
export function timeIn(zone) {
  return formatter(`z:${zone}`, { timeZone: zone, hour: "2-digit", minute: "2-digit" }).format(new Date());
}

// 75 → "1:15", 3725 → "1:02:05"
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const two = (n) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

export function since(iso) {
  return duration((Date.now() - new Date(iso).getTime()) / 1000);
}

export function percent(value) {
  return value == null ? "—" : `${Number(value).toFixed(1).replace(/\.0$/, "")} %`;
}

export function money(amount) {
  return amount == null ? "—" : new Intl.NumberFormat(lang).format(amount);
}

// A <input type=datetime-local> value (local wall time) as ISO 8601 with the browser's offset.
export function localToIso(value) {
  return value ? new Date(value).toISOString() : null;
}

// Exact money from the API ("54000.00") in roubles for the eye: the API's strings stay the record.
export function roubles(text) {
  if (text == null) return "—";
  const [whole, kopecks = "00"] = String(text).split(".");
  return `${new Intl.NumberFormat(lang).format(BigInt(whole))},${kopecks.padEnd(2, "0")} ₽`;
}
