// The operator's work beside the calls: callbacks (soonest due first, overdue marked), tasks,
// deals by stage.  Read over REST, refreshed after every call and every half minute.
import { api } from "./api.js";
import { fill, h } from "./dom.js";
import { dateTime, money, phone } from "./format.js";
import { t, term } from "./i18n.js";
import { failed, notice, quietly } from "./notice.js";

// Another manager's client (or a callback a colleague works on) needs takeover=true, which is
// logged: the operator is asked, never assumed.
async function withTakeover(send) {
  try {
    return await send(false);
  } catch (error) {
    if (error.status !== 409 || !error.message.includes("takeover=true")) throw error;
    if (!confirm(`${error.message}\n\n${t("callbacks.takeover")}`)) throw error;
    return send(true);
  }
}

export function worklists(root, user) {
  const callbacksBox = h("section", { class: "box list", id: "my-callbacks" });
  const tasksBox = h("section", { class: "box list", id: "my-tasks" });
  const dealsBox = h("section", { class: "box list", id: "my-deals" });
  fill(root, callbacksBox, tasksBox, dealsBox);
  let scope = "mine";
  const contacts = new Map(); // contact id → name, for the deals

  async function refresh() {
    try {
      await Promise.all([callbacks(), tasks(), deals()]);
    } catch (error) {
      quietly(error);
    }
  }

  async function callbacks() {
    const mine = scope === "mine" ? `&assignee_id=${user.id}` : "";
    const page = await api("GET", `/api/callbacks?status=open&limit=100${mine}`);
    const now = Date.now();
    fill(
      callbacksBox,
      h(
        "header",
        {},
        h("h3", {}, t("callbacks.title"), " ", h("span", { class: "count" }, page.total)),
        h(
          "select",
          { "aria-label": t("callbacks.scope"), onchange: (e) => ((scope = e.target.value), callbacks().catch(failed)) },
          h("option", { value: "mine", selected: scope === "mine" }, t("callbacks.mine")),
          h("option", { value: "all", selected: scope === "all" }, t("callbacks.all_open")),
        ),
      ),
      page.items.length === 0 && h("p", { class: "muted" }, t("callbacks.none")),
      h("ul", {}, page.items.map((cb) => callbackItem(cb, new Date(cb.due_at).getTime() < now))),
    );
  }

  function callbackItem(cb, overdue) {
    const result = h("input", { name: "result", placeholder: t("callbacks.result"), required: true, maxlength: 500 });
    const closing = h(
      "form",
      { class: "inline", hidden: true, onsubmit: (e) => (e.preventDefault(), act(cb, "complete", { result: result.value })) },
      result,
      h("button", { type: "submit" }, t("common.save")),
    );
    return h(
      "li",
      { class: overdue ? "overdue" : "", "data-callback": cb.id },
      h(
        "div",
        { class: "line" },
        h("strong", {}, phone(cb.phone || cb.phone_raw)),
        h("span", {}, term("reason", cb.reason)),
        h("span", { class: "due" }, overdue ? t("callbacks.overdue") : t("callbacks.due"), " ", dateTime(cb.due_at)),
      ),
      h(
        "div",
        { class: "muted" },
        t("callbacks.missed", { count: cb.missed_count }),
        " · ",
        t("callbacks.attempts", { count: cb.attempts }),
        cb.assignee_id && cb.assignee_id !== user.id ? ` · ${t("callbacks.others")}` : "",
      ),
      h(
        "div",
        { class: "actions" },
        cb.assignee_id !== user.id && h("button", { type: "button", onclick: () => act(cb, "claim", {}) }, t("callbacks.claim")),
        h("button", { type: "button", class: "primary", onclick: () => dial(cb) }, t("callbacks.call")),
        h("button", { type: "button", onclick: () => ((closing.hidden = false), result.focus()) }, t("callbacks.complete")),
        h("button", { type: "button", onclick: () => act(cb, "cancel", {}) }, t("callbacks.cancel")),
      ),
      closing,
    );
  }

  async function act(cb, action, body) {
    try {
      await withTakeover((takeover) => api("POST", `/api/callbacks/${cb.id}/${action}`, { ...body, takeover }));
      notice(t(`callbacks.${action}ed`));
    } catch (error) {
      failed(error);
    }
    callbacks().catch(failed);
  }

  async function dial(cb) {
    try {
      await withTakeover((takeover) => api("POST", `/api/callbacks/${cb.id}/dial?takeover=${takeover}`));
      notice(t("callbacks.dialing"));
    } catch (error) {
      failed(error);
    }
    callbacks().catch(failed);
  }

  async function tasks() {
    const page = await api("GET", "/api/tasks?limit=50");
    const open = page.items.filter((task) => !task.done_at);
    const now = Date.now();
    fill(
      tasksBox,
      h("header", {}, h("h3", {}, t("tasks.title"), " ", h("span", { class: "count" }, open.length))),
      open.length === 0 && h("p", { class: "muted" }, t("tasks.none")),
      h(
        "ul",
        {},
        open.map((task) =>
          h(
            "li",
            { class: new Date(task.due_at).getTime() < now ? "overdue" : "" },
            h("div", { class: "line" }, h("span", {}, term("task", task.kind), ": ", task.title), h("span", { class: "due" }, dateTime(task.due_at))),
            h("div", { class: "actions" }, h("button", { type: "button", onclick: () => done(task) }, t("tasks.done"))),
          ),
        ),
      ),
    );
  }

  async function done(task) {
    try {
      await api("POST", `/api/tasks/${task.id}/done`);
      tasks().catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  async function deals() {
    const [page, pipelines] = await Promise.all([
      api("GET", `/api/deals?owner_id=${user.id}&status=open&limit=200`),
      api("GET", "/api/pipelines"),
    ]);
    await names(page.items.slice(0, 40).map((deal) => deal.contact_id));
    const stages = pipelines.flatMap((p) => [{ id: null, pipeline: p.id, name: `${p.name}: ${t("deal.on_list")}` }, ...p.stages.map((s) => ({ ...s, pipeline: p.id }))]);
    const groups = stages
      .map((stage) => ({ stage, deals: page.items.filter((d) => d.pipeline_id === stage.pipeline && d.stage_id === stage.id) }))
      .filter((group) => group.deals.length);
    fill(
      dealsBox,
      h("header", {}, h("h3", {}, t("deals.title"), " ", h("span", { class: "count" }, page.total))),
      groups.length === 0 && h("p", { class: "muted" }, t("deals.none")),
      groups.map(({ stage, deals }) =>
        h(
          "details",
          { open: true },
          h("summary", {}, stage.name, " ", h("span", { class: "count" }, deals.length)),
          h("ul", {}, deals.map((deal) => h("li", {}, h("div", { class: "line" }, h("span", {}, contacts.get(deal.contact_id) || `#${deal.contact_id}`), h("span", { class: "muted" }, money(deal.amount), " · ", t("card.touches"), " ", deal.touch_count))))),
        ),
      ),
    );
  }

  async function names(ids) {
    const missing = [...new Set(ids)].filter((id) => !contacts.has(id));
    const found = await Promise.all(missing.map((id) => api("GET", `/api/contacts/${id}`).catch(() => null)));
    for (const contact of found) if (contact) contacts.set(contact.id, contact.name || phone(contact.phone));
  }

  refresh();
  const timer = setInterval(refresh, 30000);
  return { refresh, stop: () => clearInterval(timer) };
}
