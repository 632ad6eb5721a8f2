// The supervisor's call lists: each list's progress, its settings and members, contacts added by
// a saved filter or a file; and the do-not-call register every list and callback honours.
import { api, upload } from "./api.js";
import { fields, fill, h } from "./dom.js";
import { date, phone } from "./format.js";
import { hoursOf, hoursText } from "./hours.js";
import { t } from "./i18n.js";
import { failed, notice } from "./notice.js";

const MODES = ["preview", "progressive", "manual"];
const BASES = ["consent", "b2b", "existing_client"];

export function listsTab(root) {
  const listsBox = h("section", { class: "box wide", id: "call-lists" });
  const newBox = h("section", { class: "box", id: "new-list" });
  const editorBox = h("section", { class: "box", id: "list-editor", hidden: true });
  const registerBox = h("section", { class: "box", id: "do-not-call" });
  fill(root, h("div", { class: "admin" }, listsBox, editorBox, newBox, registerBox));
  let pipelines = [];
  let operators = [];

  // Sends a change; tells what happened (``said(answer)``, else "saved"), then ``done(answer)``.
  async function act(send, done, said = () => t("admin.saved")) {
    try {
      const answer = await send();
      notice(said(answer));
      await done?.(answer);
      return answer;
    } catch (error) {
      failed(error);
    }
  }

  async function loadLists() {
    const lists = await api("GET", "/api/lists");
    const details = await Promise.all(lists.map((l) => api("GET", `/api/lists/${l.id}`)));
    fill(
      listsBox,
      h("h3", {}, t("lists.title")),
      details.length === 0 && h("p", { class: "muted" }, t("lists.none")),
      details.length > 0 &&
        h(
          "table",
          { class: "grid" },
          h("thead", {}, h("tr", {}, ["name", "mode", "basis", "contacts", "left", "attempts", "reached", "meetings", ""].map((c) => h("th", {}, c && t(`lists.${c}`))))),
          h(
            "tbody",
            {},
            details.map((l) =>
              h(
                "tr",
                { "data-list": l.name },
                h("td", {}, l.name),
                h("td", {}, t(`list_mode.${l.mode}`)),
                h("td", {}, t(`basis.${l.basis}`)),
                ["contacts", "left", "attempts", "reached", "meetings"].map((k) => h("td", { class: "num", "data-figure": k }, l.progress[k])),
                h("td", {}, h("button", { type: "button", class: "link", onclick: () => edit(l) }, t("lists.edit"))),
              ),
            ),
          ),
        ),
    );
  }

  function newList() {
    fill(newBox, h("h3", {}, t("lists.new")), listForm(null, (body) => act(() => api("POST", "/api/lists", body), (created) => (loadLists(), newList(), edit({ ...created, members: [] })))));
  }

  // The list's settings; ``save(body)`` sends them.
  function listForm(list, save) {
    const select = (name, values, current, group) => h("select", { name }, values.map((v) => h("option", { value: v, selected: v === current }, t(`${group}.${v}`))));
    const form = h(
      "form",
      { class: "list-form", onsubmit: (e) => (e.preventDefault(), save(listBody(form, !list))) },
      h(
        "div",
        { class: "row" },
        h("label", {}, t("lists.name"), h("input", { name: "name", value: list?.name || "", required: true, maxlength: 100 })),
        h("label", {}, t("lists.pipeline"), h("select", { name: "pipeline_id" }, pipelines.map((p) => h("option", { value: p.id, selected: p.id === list?.pipeline_id }, p.name)))),
        h("label", {}, t("lists.mode"), select("mode", MODES, list?.mode || "preview", "list_mode")),
        h("label", {}, t("lists.countdown"), h("input", { name: "countdown_seconds", type: "number", min: 0, max: 300, value: String(list?.countdown_seconds ?? 10), class: "narrow" })),
        h("label", {}, t("lists.max_attempts"), h("input", { name: "max_attempts", type: "number", min: 1, max: 20, value: String(list?.max_attempts ?? 3), class: "narrow" })),
        h("label", {}, t("lists.retry_after_hours"), h("input", { name: "retry_after_hours", type: "number", min: 1, step: "any", value: String(list?.retry_after_hours ?? 24), class: "narrow" })),
        h("label", {}, t("lists.timezone"), h("input", { name: "timezone", value: list?.timezone || "", placeholder: "Europe/Moscow" })),
        h("label", {}, t("lists.basis"), select("basis", BASES, list?.basis || "b2b", "basis")),
      ),
      h("label", {}, t("lists.hours"), h("textarea", { name: "hours", rows: 2, placeholder: t("lists.hours_example"), value: hoursText(list?.hours) })),
      h("p", { class: "muted" }, t("lists.consent_law")),
      h("button", { type: "submit", class: "primary" }, list ? t("common.save") : t("admin.create")),
    );
    return form;
  }

  function listBody(form, creating) {
    const v = Object.fromEntries(new FormData(form));
    const body = {
      name: v.name,
      pipeline_id: Number(v.pipeline_id),
      mode: v.mode,
      countdown_seconds: Number(v.countdown_seconds),
      max_attempts: Number(v.max_attempts),
      retry_after_hours: Number(v.retry_after_hours),
      basis: v.basis,
      hours: hoursOf(v.hours),
    };
    if (v.timezone || creating) body.timezone = v.timezone || undefined;
    return body;
  }

  // One list: settings, members (first-line managers), contacts by filter or file.
  function edit(list) {
    const members = new Set(list.members || []);
    const membersForm = h(
      "form",
      { onsubmit: (e) => (e.preventDefault(), act(() => api("PUT", `/api/lists/${list.id}/members`, new FormData(membersForm).getAll("member").map((id) => ({ operator_id: Number(id) }))))) },
      h("fieldset", {}, h("legend", {}, t("lists.members")), operators.map((op) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "member", value: op.id, checked: members.has(op.id) }), op.name, op.team_roles.includes("first_line") && h("span", { class: "muted" }, ` · ${t("team_role.first_line")}`)))),
      h("button", { type: "submit" }, t("common.save")),
    );
    const stages = pipelines.find((p) => p.id === list.pipeline_id)?.stages || [];
    const filterForm = h(
      "form",
      { class: "inline-form", onsubmit: (e) => (e.preventDefault(), addByFilter(list, filterForm)) },
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "no_owner", value: "1", checked: true }), t("lists.no_owner")),
      h("select", { name: "stage_id", "aria-label": t("lists.stage") }, h("option", { value: "" }, t("lists.any_stage")), stages.map((s) => h("option", { value: s.id }, s.name))),
      h("button", { type: "submit" }, t("lists.add_filtered")),
    );
    const file = h("input", { type: "file", name: "file", accept: ".csv,text/csv", onchange: () => importInto(list, file) });
    fill(
      editorBox,
      h("h3", {}, list.name),
      listForm(list, (body) => act(() => api("PATCH", `/api/lists/${list.id}`, body), loadLists)),
      membersForm,
      h("h4", {}, t("lists.contacts")),
      filterForm,
      h("label", { class: "file" }, t("lists.import"), file),
      h("p", { class: "muted" }, t("lists.import_hint")),
    );
    editorBox.hidden = false;
  }

  const added = (answer) => t("lists.added", { count: answer.added });

  function addByFilter(list, form) {
    const v = fields(form);
    const body = { no_owner: Boolean(v.no_owner), stage_id: v.stage_id ? Number(v.stage_id) : null };
    if (!body.no_owner && !body.stage_id) return notice(t("lists.filter_needed"), "warn");
    act(() => api("POST", `/api/lists/${list.id}/contacts`, body), loadLists, added);
  }

  function importInto(list, input) {
    const [chosen] = input.files;
    if (!chosen) return;
    act(() => upload(`/api/lists/${list.id}/contacts/import`, chosen), loadLists, added).finally(() => (input.value = ""));
  }

  async function loadRegister() {
    const page = await api("GET", "/api/do-not-call?limit=100");
    const add = h(
      "form",
      { class: "inline-form", id: "dnc-add", onsubmit: (e) => (e.preventDefault(), act(() => api("POST", "/api/do-not-call", fields(add)), () => (add.reset(), loadRegister()))) },
      h("input", { name: "phone", placeholder: t("dnc.phone"), required: true, maxlength: 64 }),
      h("input", { name: "source", placeholder: t("dnc.source"), required: true, maxlength: 100 }),
      h("button", { type: "submit", class: "primary" }, t("dnc.add")),
    );
    const file = h("input", { type: "file", accept: ".csv,text/csv", onchange: () => act(() => upload("/api/do-not-call/import", file.files[0]), loadRegister).finally(() => (file.value = "")) });
    fill(
      registerBox,
      h("h3", {}, t("dnc.title"), " ", h("span", { class: "count" }, page.total)),
      add,
      h("label", { class: "file" }, t("dnc.import"), file),
      page.items.length === 0
        ? h("p", { class: "muted" }, t("dnc.none"))
        : h(
            "ul",
            {},
            page.items.map((entry) =>
              h(
                "li",
                { "data-phone": entry.phone },
                h("strong", {}, phone(entry.phone)),
                h("span", { class: "muted" }, ` · ${entry.source} · ${date(entry.listed_on)} `),
                h("button", { type: "button", class: "link danger", onclick: () => confirm(t("dnc.confirm_remove", { phone: phone(entry.phone) })) && act(() => api("DELETE", `/api/do-not-call/${entry.id}`), loadRegister) }, t("dnc.remove")),
              ),
            ),
          ),
    );
  }

  Promise.all([api("GET", "/api/pipelines"), api("GET", "/api/operators")])
    .then(([p, ops]) => {
      pipelines = p;
      operators = ops.filter((op) => op.active);
      newList();
      return Promise.all([loadLists(), loadRegister()]);
    })
    .catch(failed);
  return { update() {}, stop() {} };
}
