// Administration for the common edits: operators (with their team roles), queues, pipelines and refusal reasons.  Every
// change goes through the public API; its refusals (a duplicate name, bad hours) are shown as sent.
import { api } from "./api.js";
import { fields, fill, h } from "./dom.js";
import { hoursOf, hoursText } from "./hours.js";
import { t, term } from "./i18n.js";
import { failed, notice } from "./notice.js";

const STRATEGIES = ["round_robin", "ring_all", "skill_priority", "longest_idle"];
const MODES = ["sync", "command", "observe"];
const TEAM_ROLES = ["collector", "first_line", "closer", "account_manager"];

export function adminTab(root, { user }) {
  const operatorsBox = h("section", { class: "box", id: "admin-operators" });
  const queuesBox = h("section", { class: "box", id: "admin-queues" });
  const pipelinesBox = h("section", { class: "box", id: "admin-pipelines" });
  const reasonsBox = h("section", { class: "box", id: "admin-reasons" });
  fill(root, h("div", { class: "admin" }, operatorsBox, queuesBox, pipelinesBox, reasonsBox));
  const isAdmin = user.role === "admin";
  let operators = [];

  async function change(method, path, body, done) {
    try {
      const answer = await api(method, path, body);
      notice(t("admin.saved"));
      await done?.(answer);
    } catch (error) {
      failed(error);
    }
  }

  async function loadOperators() {
    operators = (await api("GET", "/api/operators")).filter((op) => op.active);
    const create = h(
      "form",
      { class: "inline-form", id: "new-operator", onsubmit: (e) => (e.preventDefault(), createOperator(create)) },
      h("input", { name: "name", placeholder: t("admin.name"), required: true, maxlength: 100 }),
      h("input", { name: "extension", placeholder: t("admin.extension"), required: true, maxlength: 32 }),
      h("input", { name: "password", type: "password", placeholder: t("admin.first_password"), required: true, minlength: 8, autocomplete: "new-password" }),
      h("input", { name: "skills", placeholder: "sales:8, english:5" }),
      h("input", { name: "wrap_up_seconds", type: "number", min: 0, max: 3600, value: "30", "aria-label": t("admin.wrap_up") }),
      h("button", { type: "submit", class: "primary" }, t("admin.create")),
    );
    fill(
      operatorsBox,
      h("h3", {}, t("admin.operators")),
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, [t("admin.name"), t("admin.extension"), t("admin.skills"), t("admin.wrap_up"), t("admin.team_roles"), ""].map((c) => h("th", {}, c)))),
        h("tbody", {}, operators.map(operatorRow)),
      ),
      h("h4", {}, t("admin.new_operator")),
      create,
    );
  }

  function operatorRow(op) {
    const form = h("form", { id: `operator-${op.id}`, onsubmit: (e) => (e.preventDefault(), saveOperator(op, form)) });
    const cell = (input) => h("td", {}, input);
    return h(
      "tr",
      { "data-operator": op.id },
      h("td", {}, op.name, form),
      cell(h("input", { form: form.id, name: "extension", value: op.extension || "", maxlength: 32, "aria-label": t("admin.extension") })),
      cell(h("input", { form: form.id, name: "skills", value: skillsText(op.skills), "aria-label": t("admin.skills") })),
      cell(h("input", { form: form.id, name: "wrap_up_seconds", type: "number", min: 0, max: 3600, value: String(op.wrap_up_seconds), "aria-label": t("admin.wrap_up") })),
      h("td", { class: "roles" }, TEAM_ROLES.map((role) => h("label", { class: "check" }, h("input", { type: "checkbox", form: form.id, name: "team_role", value: role, checked: op.team_roles.includes(role) }), t(`team_role.${role}`)))),
      h(
        "td",
        { class: "actions" },
        h("button", { type: "submit", form: form.id }, t("common.save")),
        h("button", { type: "button", onclick: () => resetPassword(op) }, t("admin.reset_password")),
        h("button", { type: "button", class: "danger", onclick: () => deactivate(op) }, t("admin.deactivate")),
      ),
    );
  }

  const skillsText = (skills) => Object.entries(skills || {}).map(([name, level]) => `${name}:${level}`).join(", ");
  function skillsOf(text) {
    const skills = {};
    for (const part of (text || "").split(",").map((p) => p.trim()).filter(Boolean)) {
      const [name, level] = part.split(":").map((p) => p.trim());
      skills[name] = Number(level);
    }
    return skills;
  }

  function createOperator(form) {
    const v = fields(form);
    const body = { name: v.name, extension: v.extension, password: v.password, skills: skillsOf(v.skills), wrap_up_seconds: Number(v.wrap_up_seconds || 30) };
    change("POST", "/api/operators", body, loadOperators);
  }

  function saveOperator(op, form) {
    const data = new FormData(form);
    const v = Object.fromEntries(data);
    const body = { extension: v.extension || undefined, skills: skillsOf(v.skills), wrap_up_seconds: Number(v.wrap_up_seconds), team_roles: data.getAll("team_role") };
    change("PATCH", `/api/operators/${op.id}`, body, loadOperators);
  }

  function resetPassword(op) {
    const password = prompt(t("admin.new_password", { name: op.name }));
    if (password) change("POST", `/api/operators/${op.id}/password`, { password });
  }

  function deactivate(op) {
    if (confirm(t("admin.confirm_deactivate", { name: op.name }))) change("DELETE", `/api/operators/${op.id}`, undefined, loadOperators);
  }

  async function loadQueues() {
    const [queues, pipelines] = await Promise.all([api("GET", "/api/queues"), api("GET", "/api/pipelines")]);
    const create = h(
      "form",
      { class: "inline-form", onsubmit: (e) => (e.preventDefault(), change("POST", "/api/queues", queueBody(fields(create), true), loadQueues)) },
      h("input", { name: "name", placeholder: t("admin.name"), required: true }),
      h("input", { name: "numbers", placeholder: t("admin.numbers") }),
      select("strategy", STRATEGIES, "round_robin", "strategy"),
      h("input", { name: "skill", placeholder: t("admin.skill") }),
      h("button", { type: "submit", class: "primary" }, t("admin.create")),
    );
    fill(queuesBox, h("h3", {}, t("admin.queues")), queues.map((q) => queueForm(q, pipelines)), h("h4", {}, t("admin.new_queue")), create);
  }

  function select(name, values, current, group) {
    return h("select", { name, "aria-label": t(`admin.${name}`) }, values.map((v) => h("option", { value: v, selected: v === current }, term(group, v))));
  }

  function queueForm(q, pipelines) {
    const members = new Set(q.members.map((m) => m.operator_id));
    const form = h(
      "form",
      { class: "queue", "data-queue": q.id, onsubmit: (e) => (e.preventDefault(), saveQueue(q, form)) },
      h("h4", {}, q.name),
      h(
        "div",
        { class: "row" },
        h("label", {}, t("admin.strategy"), select("strategy", STRATEGIES, q.strategy, "strategy")),
        h("label", {}, t("admin.skill"), h("input", { name: "skill", value: q.skill || "" })),
        h("label", {}, t("admin.mode"), select("mode", MODES, q.mode, "mode")),
        h("label", {}, t("admin.numbers"), h("input", { name: "numbers", value: q.numbers.join(", ") })),
        h(
          "label",
          {},
          t("admin.deal_pipeline"),
          h("select", { name: "deal_pipeline_id" }, h("option", { value: "" }, "—"), pipelines.map((p) => h("option", { value: p.id, selected: p.id === q.deal_pipeline_id }, p.name))),
        ),
      ),
      h("label", {}, t("admin.hours"), h("textarea", { name: "hours", rows: 3, placeholder: "mon 09:00-18:00\nsat 10:00-14:00", value: hoursText(q.hours) })),
      h("fieldset", {}, h("legend", {}, t("admin.members")), operators.map((op) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "member", value: op.id, checked: members.has(op.id) }), op.name))),
      h("button", { type: "submit" }, t("common.save")),
    );
    return form;
  }

  function queueBody(v, creating) {
    const body = {
      strategy: v.strategy,
      skill: v.skill || null,
      numbers: (v.numbers || "").split(",").map((n) => n.trim()).filter(Boolean),
    };
    if (creating) return { ...body, name: v.name };
    return { ...body, mode: v.mode, hours: hoursOf(v.hours), deal_pipeline_id: v.deal_pipeline_id ? Number(v.deal_pipeline_id) : null };
  }

  async function saveQueue(q, form) {
    const data = new FormData(form);
    const members = data.getAll("member").map((id, position) => ({ operator_id: Number(id), position }));
    try {
      await api("PATCH", `/api/queues/${q.id}`, queueBody(Object.fromEntries(data), false));
      await api("PUT", `/api/queues/${q.id}/members`, members);
      notice(t("admin.saved"));
    } catch (error) {
      failed(error);
    }
  }

  async function loadPipelines() {
    const pipelines = await api("GET", "/api/pipelines");
    const create = h(
      "form",
      { class: "inline-form", onsubmit: (e) => (e.preventDefault(), createPipeline(create)) },
      h("input", { name: "name", placeholder: t("admin.name"), required: true }),
      h("textarea", { name: "stages", rows: 3, required: true, placeholder: t("admin.stages_hint") }),
      h("button", { type: "submit", class: "primary" }, t("admin.create")),
    );
    fill(
      pipelinesBox,
      h("h3", {}, t("admin.pipelines")),
      pipelines.map((p) => h("div", { class: "pipeline" }, h("h4", {}, p.name), h("ol", {}, p.stages.map((s) => h("li", {}, s.name, h("span", { class: "muted" }, ` · ${t("funnel.target")} ${s.target_rate} %`)))))),
      isAdmin && [h("h4", {}, t("admin.new_pipeline")), create],
    );
  }

  function createPipeline(form) {
    const v = fields(form);
    const stages = v.stages.split("\n").map((l) => l.trim()).filter(Boolean).map((line) => {
      const [name, rate] = line.split(":");
      return { name: name.trim(), target_rate: Number(rate) };
    });
    change("POST", "/api/pipelines", { name: v.name, stages }, loadPipelines);
  }

  async function loadReasons() {
    const reasons = await api("GET", "/api/refusal-reasons");
    const row = (r) => {
      const form = h(
        "form",
        { class: "reason", "data-reason": r.id, onsubmit: (e) => (e.preventDefault(), change("PUT", `/api/refusal-reasons/${r.id}`, reasonBody(form), loadReasons)) },
        h("input", { name: "name", value: r.name, required: true, disabled: !isAdmin, "aria-label": t("admin.name") }),
        h("label", {}, t("admin.reopen_after"), h("input", { name: "reopen_after_days", type: "number", min: 1, max: 3650, value: r.reopen_after_days ?? "", disabled: !isAdmin })),
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "reopen_as_new_deal", checked: r.reopen_as_new_deal, disabled: !isAdmin }), t("admin.as_new_deal")),
        isAdmin && h("button", { type: "submit" }, t("common.save")),
      );
      return form;
    };
    const create = h(
      "form",
      { class: "inline-form", onsubmit: (e) => (e.preventDefault(), change("POST", "/api/refusal-reasons", reasonBody(create), loadReasons)) },
      h("input", { name: "name", placeholder: t("admin.name"), required: true }),
      h("input", { name: "reopen_after_days", type: "number", min: 1, max: 3650, placeholder: t("admin.reopen_after") }),
      h("button", { type: "submit", class: "primary" }, t("admin.create")),
    );
    fill(reasonsBox, h("h3", {}, t("admin.reasons")), reasons.filter((r) => r.active).map(row), isAdmin && [h("h4", {}, t("admin.new_reason")), create]);
  }

  function reasonBody(form) {
    const data = new FormData(form);
    const days = data.get("reopen_after_days");
    return { name: data.get("name"), reopen_after_days: days ? Number(days) : null, reopen_as_new_deal: data.has("reopen_as_new_deal") };
  }

  loadOperators()
    .then(() => Promise.all([loadQueues(), loadPipelines(), loadReasons()]))
    .catch(failed);
  return { update() {}, stop() {} };
}
