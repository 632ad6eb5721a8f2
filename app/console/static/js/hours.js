// Opening hours as a person types them — one day a line, "mon 09:00-18:00 19:00-21:00" — and back:
// the queues' and the call lists' format ({"mon": [["09:00", "18:00"]]}).
export function hoursText(hours) {
  return hours ? Object.entries(hours).map(([day, spans]) => `${day} ${spans.map((s) => s.join("-")).join(" ")}`).join("\n") : "";
}

// null for an empty text: the API's default (always open for a queue; Mon–Fri 09–20 for a list).
export function hoursOf(text) {
  const lines = (text || "").split("\n").map((l) => l.trim()).filter(Boolean);
  if (!lines.length) return null;
  return Object.fromEntries(
    lines.map((line) => {
      const [day, ...spans] = line.split(/\s+/);
      return [day.toLowerCase(), spans.map((span) => span.split("-"))];
    }),
  );
}
