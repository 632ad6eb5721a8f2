// The weekly reports on the desk: the funnel per manager against its targets (with who should
// learn which stage from whom) and the calls report; each with its period and a CSV download.
import { api, download } from "./api.js";
import { fill, h } from "./dom.js";
import { date, duration, percent } from "./format.js";
import { t } from "./i18n.js";
import { failed } from "./notice.js";

const DAY = 86400000;

// The period's two date inputs (local days), the last 7 days by default; ISO moments for the API.
function periodControls(onChange) {
  const day = (ms) => new Date(ms - new Date(ms).getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  const since = h("input", { type: "date", name: "since", value: day(Date.now() - 6 * DAY), onchange: onChange });
  const until = h("input", { type: "date", name: "until", value: day(Date.now()), onchange: onChange });
  return {
    inputs: [h("label", {}, t("period.since"), since), h("label", {}, t("period.until"), until)],
    query() {
      const start = new Date(`${since.value}T00:00`);
      const end = new Date(new Date(`${until.value}T00:00`).getTime() + DAY);
      return { since: start.toISOString(), until: end.toISOString() };
    },
  };
}

export function funnelTab(root) {
  const pipelineSelect = h("select", { name: "pipeline_id", onchange: () => load().catch(failed) });
  const period = periodControls(() => load().catch(failed));
  const out = h("div", { id: "funnel" });
  const csv = h("button", { type: "button", onclick: () => download(`/api/reports/funnel?${query()}`, "funnel.csv").catch(failed) }, t("report.csv"));
  fill(root, h("form", { class: "box filters" }, h("label", {}, t("funnel.pipeline"), pipelineSelect), period.inputs, csv), out);

  const query = () => new URLSearchParams({ pipeline_id: pipelineSelect.value, by: "manager", ...period.query() });

  async function load() {
    const report = await api("GET", `/api/reports/funnel?${query()}`);
    fill(
      out,
      h("p", { class: "muted" }, t("funnel.deals", { count: report.team.deals }), " · ", t("funnel.end_to_end"), " ", percent(report.team.end_to_end)),
      h(
        "div",
        { class: "charts" },
        report.managers.length === 0 && h("p", { class: "muted" }, t("funnel.none")),
        report.managers.map((m) => h("figure", { class: "box chart", "data-manager": m.manager }, h("figcaption", {}, m.manager, h("span", { class: "muted" }, " · ", t("funnel.deals", { count: m.deals }))), chart(m.stages))),
      ),
      h(
        "section",
        { class: "box", id: "coaching" },
        h("h3", {}, t("funnel.coaching")),
        report.coaching.length === 0
          ? h("p", { class: "muted" }, t("funnel.no_coaching"))
          : h(
              "ul",
              {},
              report.coaching.map((c) =>
                h(
                  "li",
                  { "data-stage": c.stage, "data-manager": c.manager },
                  t("funnel.pair", { manager: c.manager, stage: c.stage, rate: percent(c.rate), coach: c.coach, coach_rate: percent(c.coach_rate) }),
                  c.examples.map((e) => [" ", h("a", { href: `#call/${e.call_id}`, class: "listen", "data-call": e.call_id }, t("funnel.listen"))]),
                ),
              ),
            ),
      ),
    );
  }

  api("GET", "/api/pipelines")
    .then((pipelines) => {
      fill(pipelineSelect, pipelines.map((p) => h("option", { value: p.id }, p.name)));
      return load();
    })
    .catch(failed);
  return { update() {}, stop() {} };
}

// One manager's stages as bars against their targets: a bar below its target is red and marked.
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children) el.append(child);
  return el;
}

function chart(stages) {
  const row = 34;
  const left = 130;
  const width = 240;
  const scale = (rate) => left + (Math.min(rate ?? 0, 100) / 100) * width;
  const rows = stages.map((s, i) => {
    const y = i * row + 6;
    const below = s.below_target;
    return svg(
      "g",
      { class: `stage ${below ? "below" : "met"}`, "data-stage": s.stage, "data-below": below },
      svg("text", { x: left - 8, y: y + 15, "text-anchor": "end", class: "label" }, s.stage),
      svg("rect", { x: left, y, width, height: 20, class: "track" }),
      svg("rect", { x: left, y, width: Math.max(1, scale(s.conversion) - left), height: 20, class: "bar" }),
      svg("line", { x1: scale(s.target), x2: scale(s.target), y1: y - 3, y2: y + 23, class: "target" }),
      svg("text", { x: left + width + 8, y: y + 15, class: "value" }, `${below ? "▼ " : ""}${percent(s.conversion)} / ${percent(s.target)}`),
    );
  });
  const chartSvg = svg("svg", { viewBox: `0 0 ${left + width + 170} ${stages.length * row + 8}`, role: "img" }, ...rows);
  chartSvg.setAttribute("aria-label", stages.map((s) => `${s.stage}: ${percent(s.conversion)} (${t("funnel.target")} ${percent(s.target)})`).join("; "));
  return chartSvg;
}

export function callsTab(root) {
  const by = h("select", { name: "by", onchange: () => load().catch(failed) }, ["queue", "operator", "day"].map((b) => h("option", { value: b }, t(`calls.by_${b}`))));
  const period = periodControls(() => load().catch(failed));
  const out = h("div", { id: "calls-report" });
  const query = () => new URLSearchParams({ by: by.value, ...period.query() });
  const csv = h("button", { type: "button", onclick: () => download(`/api/reports/calls?${query()}`, "calls.csv").catch(failed) }, t("report.csv"));
  fill(root, h("form", { class: "box filters" }, h("label", {}, t("calls.by"), by), period.inputs, csv), out);

  async function load() {
    const report = await api("GET", `/api/reports/calls?${query()}`);
    const columns = ["offered", "answered", "missed", "abandoned", "service_level", "average_speed_of_answer", "abandonment_rate", "fcr_rate", "repeat_calls", "unconfirmed"];
    const cell = (key, value) => (["service_level", "abandonment_rate", "fcr_rate"].includes(key) ? percent(value) : key === "average_speed_of_answer" ? (value == null ? "—" : duration(value)) : value);
    const name = (g) => (report.by === "day" ? date(g.key) : g.name || t("calls.none"));
    fill(
      out,
      h(
        "table",
        { class: "box report" },
        h("thead", {}, h("tr", {}, h("th", {}, t(`calls.by_${report.by}`)), columns.map((c) => h("th", { title: report.definitions[c] || "" }, t(`calls.${c}`))))),
        h("tbody", {}, report.groups.map((g) => h("tr", {}, h("td", {}, name(g)), columns.map((c) => h("td", {}, cell(c, g[c])))))),
      ),
      h(
        "p",
        { class: "box" },
        t("calls.callbacks", {
          created: report.callbacks.created,
          done: report.callbacks.done,
          in_time: percent(report.callbacks.done_within_due_time),
          median: report.callbacks.median_minutes_to_callback ?? "—",
        }),
      ),
    );
  }

  load().catch(failed);
  return { update() {}, stop() {} };
}
