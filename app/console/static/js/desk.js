// The supervisor's desk: the live floor (missed-call feed, agent board, queue figures), the
// callback list, the funnel, the calls report, call lists with the do-not-call register, the
// team's month, the coaching library (and one call's view, #call/<id>) and administration, one
// tab each (#live, …).
import { api } from "./api.js";
import { clocks } from "./clock.js";
import { fill, h } from "./dom.js";
import { dateTime, duration, percent, phone, time } from "./format.js";
import { t, term } from "./i18n.js";
import { Live } from "./live.js";
import { adminTab } from "./admin.js";
import { callsTab, funnelTab } from "./reports.js";
import { callView, libraryTab } from "./library.js";
import { listsTab } from "./calllists.js";
import { teamTab } from "./team.js";
import { failed, notice, quietly } from "./notice.js";

const TABS = ["live", "callbacks", "funnel", "calls", "lists", "team", "library", "admin"];
const FEED_LENGTH = 100; // missed calls kept on screen: a day on the desk must not grow the page

export function deskView(root, user, connection) {
  const floor = { operators: new Map(), queues: new Map(), feed: [], callbacks: new Map() };
  const nav = h("nav", { class: "tabs" }, TABS.map((tab) => h("a", { href: `#${tab}`, "data-tab": tab }, t(`desk.${tab}`))));
  const body = h("div", { class: "tab-body" });
  fill(root, h("div", { class: "desk" }, nav, body));
  const clock = clocks(root);
  let tab = null; // the open tab: {name, update(), stop()}

  const live = new Live("/ws/supervisor", {
    onStatus: connection,
    onSnapshot(frame) {
      if (frame.reset || !floor.loaded) {
        floor.operators = new Map(frame.operators.map((op) => [op.operator_id, op]));
        floor.queues = new Map(frame.queues.map((q) => [q.queue_id, q]));
        floor.callbacks = new Map(frame.callbacks.map((cb) => [cb.callback_id, cb]));
        floor.loaded = true;
      }
      tab?.update();
    },
    onEvent(frame) {
      if (frame.type === "missed_call") {
        floor.feed = [{ ...frame, fresh: true }, ...floor.feed.filter((m) => m.call_id !== frame.call_id)].slice(0, FEED_LENGTH);
        tab?.update("feed");
      } else if (frame.type === "operator_state") {
        floor.operators.set(frame.operator_id, frame);
        tab?.update("board");
      } else if (frame.type === "queue_stats") {
        floor.queues.set(frame.queue_id, frame);
        tab?.update("queues");
      } else if (frame.type === "callback_update") {
        floor.callbacks.set(frame.callback_id, frame);
        if (frame.actions.includes("overdue")) notice(t("desk.overdue", { phone: phone(frame.phone) }), "warn");
        tab?.update("callbacks");
      }
    },
  });

  function open() {
    const hash = location.hash.slice(1);
    const call = /^call\/(\d+)$/.exec(hash); // one call's view, reached from the library or a coaching pair
    const name = call ? hash : TABS.includes(hash) ? hash : "live";
    if (tab?.name === name) return;
    tab?.stop();
    for (const link of nav.children) link.setAttribute("aria-current", String(link.dataset.tab === (call ? "library" : name)));
    if (call) {
      tab = { name, ...callView(body, Number(call[1])) };
      return;
    }
    const make = { live: liveTab, callbacks: callbacksTab, funnel: funnelTab, calls: callsTab, lists: listsTab, team: teamTab, library: libraryTab, admin: adminTab }[name];
    tab = { name, ...make(body, { floor, user, clock }) };
  }

  window.addEventListener("hashchange", open);
  open();
  live.start();
  return {
    stop() {
      live.stop();
      clock.stop();
      tab?.stop();
      window.removeEventListener("hashchange", open);
    },
  };
}

// The floor as it is now; the feed opens with today's missed calls, then grows live.
function liveTab(root, { floor, clock }) {
  const queuesBox = h("section", { class: "queues", id: "queues" });
  const boardBox = h("section", { class: "box", id: "board" });
  const feedBox = h("section", { class: "box feed", id: "feed" });
  fill(root, h("div", { class: "live" }, queuesBox, h("div", { class: "live-cols" }, feedBox, boardBox)));
  const calls = new Map(); // call id → number, for the board's current calls

  function queues() {
    fill(
      queuesBox,
      [...floor.queues.values()].map((q) =>
        h(
          "div",
          { class: `box tile ${q.waiting ? "waiting" : ""}`, "data-queue": q.queue_id },
          h("h3", {}, q.name),
          h("div", { class: "figure" }, h("strong", {}, q.waiting), " ", t("queue.waiting")),
          h("div", {}, t("queue.longest"), " ", duration(q.longest_wait_seconds)),
          h("div", {}, t("queue.answered"), " ", q.answered_today, " · ", t("queue.missed"), " ", q.missed_today),
          h("div", {}, t("queue.service_level"), " ", percent(q.service_level_today)),
        ),
      ),
    );
  }

  function board() {
    const operators = [...floor.operators.values()].sort((a, b) => a.name.localeCompare(b.name));
    fill(
      boardBox,
      h("h3", {}, t("board.title")),
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, [t("board.name"), t("board.state"), t("board.for"), t("board.call"), t("board.no_answers")].map((c) => h("th", {}, c)))),
        h(
          "tbody",
          {},
          operators.map((op) =>
            h(
              "tr",
              { "data-operator": op.operator_id },
              h("td", {}, op.name, !op.panel_connected && op.state !== "offline" ? h("span", { class: "muted" }, " ", t("board.no_panel")) : ""),
              h("td", {}, h("span", { class: `state state-${op.state}` }, term("state", op.state))),
              h("td", { class: "clock", "data-since": op.since }),
              h("td", {}, op.call_id ? phone(calls.get(op.call_id)) : ""),
              h("td", {}, op.no_answer_count ?? ""),
            ),
          ),
        ),
      ),
    );
    clock.tick();
  }

  // What the events do not carry (no-answers, the current call's number) comes over REST.
  let pending = null;
  function details() {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      try {
        for (const op of await api("GET", "/api/operators")) {
          const shown = floor.operators.get(op.id);
          if (shown) shown.no_answer_count = op.no_answer_count;
          if (op.call_id && !calls.has(op.call_id)) calls.set(op.call_id, (await api("GET", `/api/calls/${op.call_id}`)).number);
        }
        board();
      } catch (error) {
        quietly(error);
      }
    }, 500);
  }

  function feed() {
    fill(
      feedBox,
      h("h3", {}, t("feed.title")),
      floor.feed.length === 0 && h("p", { class: "muted" }, t("feed.none")),
      h(
        "ol",
        {},
        floor.feed.map((m) =>
          h(
            "li",
            { class: `missed ${m.fresh ? "fresh" : ""}`, "data-call": m.call_id },
            h("div", { class: "line" }, h("strong", {}, phone(m.number)), h("span", { class: "muted" }, time(m.started_at))),
            h("div", {}, m.contact?.name || t("card.unknown"), m.contact?.company ? ` · ${m.contact.company}` : ""),
            h(
              "div",
              { class: "muted" },
              term("outcome", m.outcome),
              " · ",
              term("reason", m.reason),
              m.queue ? ` · ${m.queue.name}` : "",
              m.waited_seconds != null ? ` · ${t("feed.waited")} ${duration(m.waited_seconds)}` : "",
            ),
            h("div", {}, m.callback ? [t("callbacks.due"), " ", dateTime(m.callback.due_at)] : t("feed.reached")),
          ),
        ),
      ),
    );
    for (const m of floor.feed) m.fresh = false;
  }

  // Read after the socket's first snapshot: a miss committed before it is in this answer, one
  // after it arrives as an event (the same call twice is shown once).
  async function today() {
    if (floor.feedLoaded || floor.feedLoading || !floor.loaded) return;
    floor.feedLoading = true;
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    const since = encodeURIComponent(midnight.toISOString());
    const [missed, abandoned, queueList, open] = await Promise.all([
      api("GET", `/api/calls?outcome=missed&since=${since}&limit=50`),
      api("GET", `/api/calls?outcome=abandoned&since=${since}&limit=50`),
      api("GET", "/api/queues"),
      api("GET", "/api/callbacks?status=open&limit=500"),
    ]);
    const queueNames = new Map(queueList.map((q) => [q.id, q.name]));
    const waiting = new Map(open.items.map((cb) => [cb.id, { id: cb.id, status: cb.status, due_at: cb.due_at }]));
    const known = new Set(floor.feed.map((m) => m.call_id));
    const earlier = [...missed.items, ...abandoned.items]
      .filter((call) => !known.has(call.id))
      .map((call) => ({
        call_id: call.id,
        number: call.number,
        outcome: call.outcome,
        reason: call.end_reason,
        queue: call.queue_id ? { id: call.queue_id, name: queueNames.get(call.queue_id) } : null,
        started_at: call.started_at,
        callback: waiting.get(call.callback_id) || null, // not open any more: the client was reached
      }));
    floor.feed = [...floor.feed, ...earlier].sort((a, b) => b.started_at.localeCompare(a.started_at)).slice(0, FEED_LENGTH);
    floor.feedLoaded = true;
    feed();
  }

  function loadToday() {
    today()
      .catch(quietly)
      .finally(() => (floor.feedLoading = false));
  }

  queues();
  board();
  feed();
  details();
  loadToday();
  return {
    update(part) {
      if (!part) loadToday(); // a snapshot: the first one lets the feed read today's misses
      if (!part || part === "queues") queues();
      if (!part || part === "board") (board(), details());
      if (!part || part === "feed") feed();
    },
    stop: () => clearTimeout(pending),
  };
}

// The callback list with its filters; a supervisor assigns to an operator.
function callbacksTab(root, { floor }) {
  const filters = { status: "open", overdue: false, assignee_id: "", queue_id: "" };
  const list = h("div", { id: "callback-list" });
  const controls = h("form", { class: "box filters", onchange: read });
  fill(root, controls, list);
  let operators = [];
  let queues = [];
  let shown = null; // what the table shows, to redraw only on a change

  function read() {
    const form = new FormData(controls);
    Object.assign(filters, { status: form.get("status"), overdue: form.has("overdue"), assignee_id: form.get("assignee_id"), queue_id: form.get("queue_id") });
    load().catch(failed);
  }

  function drawControls() {
    fill(
      controls,
      h(
        "label",
        {},
        t("filter.status"),
        h("select", { name: "status" }, ["open", "in_progress", "done", "canceled"].map((s) => h("option", { value: s, selected: filters.status === s }, term("cbstatus", s)))),
      ),
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "overdue", checked: filters.overdue }), t("filter.overdue")),
      h(
        "label",
        {},
        t("filter.operator"),
        h("select", { name: "assignee_id" }, h("option", { value: "" }, t("filter.anyone")), operators.map((op) => h("option", { value: op.id, selected: String(op.id) === filters.assignee_id }, op.name))),
      ),
      h(
        "label",
        {},
        t("filter.queue"),
        h("select", { name: "queue_id" }, h("option", { value: "" }, t("filter.any_queue")), queues.map((q) => h("option", { value: q.id, selected: String(q.id) === filters.queue_id }, q.name))),
      ),
    );
  }

  async function load() {
    const query = new URLSearchParams({ status: filters.status, limit: "200" });
    if (filters.overdue) query.set("overdue", "true");
    if (filters.assignee_id) query.set("assignee_id", filters.assignee_id);
    if (filters.queue_id) query.set("queue_id", filters.queue_id);
    const page = await api("GET", `/api/callbacks?${query}`);
    const seen = JSON.stringify([query.toString(), page]);
    if (seen === shown) return; // nothing changed: the supervisor's open select stays open
    shown = seen;
    const names = new Map(operators.map((op) => [op.id, op.name]));
    const now = Date.now();
    fill(
      list,
      h("p", { class: "muted" }, t("callbacks.total", { count: page.total })),
      h(
        "table",
        { class: "box" },
        h("thead", {}, h("tr", {}, [t("callbacks.phone"), t("callbacks.reason"), t("callbacks.missed_col"), t("callbacks.due_col"), t("callbacks.attempts_col"), t("callbacks.assignee"), t("callbacks.status"), ""].map((c) => h("th", {}, c)))),
        h(
          "tbody",
          {},
          page.items.map((cb) => {
            const overdue = ["open", "in_progress"].includes(cb.status) && Date.parse(cb.due_at) < now;
            const closable = ["open", "in_progress"].includes(cb.status);
            const assign = h(
              "select",
              { "aria-label": t("callbacks.assign"), disabled: !closable, onchange: (e) => e.target.value && claim(cb, Number(e.target.value)) },
              h("option", { value: "" }, cb.assignee_id ? names.get(cb.assignee_id) || `#${cb.assignee_id}` : t("callbacks.unassigned")),
              operators.filter((op) => op.id !== cb.assignee_id).map((op) => h("option", { value: op.id }, op.name)),
            );
            return h(
              "tr",
              { class: overdue ? "overdue" : "", "data-callback": cb.id },
              h("td", {}, phone(cb.phone || cb.phone_raw)),
              h("td", {}, term("reason", cb.reason)),
              h("td", {}, cb.missed_count),
              h("td", {}, dateTime(cb.due_at), overdue ? h("span", { class: "badge warn" }, t("callbacks.overdue")) : ""),
              h("td", {}, cb.attempts),
              h("td", {}, assign),
              h("td", {}, term("cbstatus", cb.status), cb.result ? ` · ${cb.result}` : ""),
              h("td", {}, closable && h("button", { type: "button", onclick: () => complete(cb) }, t("callbacks.complete"))),
            );
          }),
        ),
      ),
    );
  }

  async function claim(cb, operatorId) {
    try {
      await api("POST", `/api/callbacks/${cb.id}/claim`, { assignee_id: operatorId, takeover: true });
      notice(t("callbacks.assigned"));
    } catch (error) {
      failed(error);
    }
    load().catch(failed);
  }

  async function complete(cb) {
    const result = prompt(t("callbacks.result"));
    if (!result) return;
    try {
      await api("POST", `/api/callbacks/${cb.id}/complete`, { result, takeover: true });
      notice(t("callbacks.completeed"));
    } catch (error) {
      failed(error);
    }
    load().catch(failed);
  }

  Promise.all([api("GET", "/api/operators"), api("GET", "/api/queues")])
    .then(([operatorList, queueList]) => {
      operators = operatorList.filter((op) => op.active);
      queues = queueList;
      drawControls();
      return load();
    })
    .catch(failed);
  drawControls();
  let pending = null;
  return {
    update(part) {
      if (part !== "callbacks") return;
      clearTimeout(pending);
      pending = setTimeout(() => load().catch(quietly), 300); // a burst of updates: one reload
    },
    stop: () => clearTimeout(pending),
  };
}
