// The team page: a month per person and team role — plan against fact, the chain contacts →
// meetings → contracts with its conversions, and the variable pay line by line; supervisors set
// the plans here.
import { api, download } from "./api.js";
import { fill, h } from "./dom.js";
import { percent, roubles } from "./format.js";
import { t } from "./i18n.js";
import { failed, notice } from "./notice.js";

export function teamTab(root, { user }) {
  const month = h("input", { type: "month", name: "month", value: thisMonth(), onchange: () => load().catch(failed) });
  const csv = h("button", { type: "button", onclick: () => download(`/api/reports/team?month=${month.value}&format=csv`, `team-${month.value}.csv`).catch(failed) }, t("report.csv"));
  const out = h("div", { id: "team" });
  fill(root, h("form", { class: "box filters", onsubmit: (e) => e.preventDefault() }, h("label", {}, t("team.month"), month), csv), out);
  const manages = user.role !== "operator";

  async function load() {
    const report = await api("GET", `/api/reports/team?month=${month.value}`);
    fill(
      out,
      h("p", { class: "muted" }, t("team.variable"), " · ", t(`team.counted_${report.meetings_counted}`)),
      report.people.length === 0
        ? h("p", { class: "box muted" }, t("team.none"))
        : h(
            "table",
            { class: "box grid team" },
            h("thead", {}, h("tr", {}, ["name", "role", "plan", "fact", "chain", "pay"].map((c) => h("th", {}, t(`team.${c}`))))),
            h("tbody", {}, report.people.map(row)),
          ),
      manages && Object.keys(report.team).length > 0 && teamTotals(report.team),
    );
  }

  function row(line) {
    const planCell = manages
      ? h(
          "form",
          { class: "inline", onsubmit: (e) => (e.preventDefault(), setPlan(line, e.target.target.value)) },
          h("input", { type: "number", name: "target", min: 0, value: line.plan ?? "", "aria-label": t("team.plan"), class: "narrow" }),
          h("button", { type: "submit" }, t("common.save")),
        )
      : line.plan ?? "—";
    return h(
      "tr",
      { "data-person": line.name, "data-role": line.team_role, class: line.plan_met ? "met" : "" },
      h("td", {}, line.name),
      h("td", {}, t(`team_role.${line.team_role}`), h("div", { class: "muted" }, line.counts && t(`team.counts.${line.team_role}`))),
      h("td", {}, planCell),
      h("td", { class: "fact" }, line.fact, line.plan_met && h("span", { class: "badge ok" }, t("team.met"))),
      h("td", { class: "chain" }, chain(line)),
      h(
        "td",
        { class: "pay" },
        h("strong", {}, roubles(line.variable_pay)),
        h("ul", { class: "muted" }, line.pay.map((p) => h("li", { "data-item": p.item }, t(`pay.${p.item}`), p.basis != null && ` · ${p.item === "share_of_won" ? roubles(p.basis) : p.basis}`, " × ", p.item === "share_of_won" ? p.rate : roubles(p.rate), " = ", roubles(p.amount)))),
      ),
    );
  }

  function chain(line) {
    const step = (value) => (value == null ? "—" : value);
    return [
      step(line.contacts),
      h("span", { class: "muted" }, ` →(${percent(line.contacts_to_meetings)})→ `),
      step(line.meetings),
      h("span", { class: "muted" }, ` →(${percent(line.meetings_to_contracts)})→ `),
      step(line.contracts),
    ];
  }

  function teamTotals(team) {
    return h(
      "section",
      { class: "box", id: "team-plans" },
      h("h3", {}, t("team.totals")),
      h("ul", {}, Object.entries(team).filter(([, v]) => v.plan > 0).map(([role, v]) => h("li", {}, t(`team_role.${role}`), `: ${v.fact} / ${v.plan}`, v.met && h("span", { class: "badge ok" }, t("team.met"))))),
    );
  }

  async function setPlan(line, value) {
    try {
      await api("PUT", "/api/plans", { operator_id: line.operator_id, month: month.value, team_role: line.team_role, target: Number(value || 0) });
      notice(t("team.plan_saved"));
      await load();
    } catch (error) {
      failed(error);
    }
  }

  load().catch(failed);
  return { update() {}, stop() {} };
}

function thisMonth() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
}

// An operator's own month on their panel: for each of their team roles, fact against plan and the
// variable pay so far.
export function myMonth(root) {
  const box = h("section", { class: "box", id: "my-month" });
  root.append(box);
  api("GET", "/api/reports/team")
    .then((report) =>
      fill(
        box,
        h("h3", {}, t("team.my_month")),
        report.people.map((line) =>
          h(
            "p",
            { "data-role": line.team_role },
            h("strong", {}, t(`team_role.${line.team_role}`)),
            ": ",
            t(`team.counts.${line.team_role}`),
            ` ${line.fact}`,
            line.plan != null && ` / ${line.plan}`,
            line.plan_met && h("span", { class: "badge ok" }, t("team.met")),
            h("br"),
            h("span", { class: "muted" }, t("team.pay"), " ", roubles(line.variable_pay)),
          ),
        ),
      ),
    )
    .catch(failed);
}
