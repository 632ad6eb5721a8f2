// The operator's softphone panel: state, the ringing offer with the caller's card, the call in
// progress, the after-call disposition, and the operator's own work beside them.
import { api } from "./api.js";
import { callerCard } from "./card.js";
import { fields, fill, h } from "./dom.js";
import { clocks } from "./clock.js";
import { localToIso, phone } from "./format.js";
import { t, term } from "./i18n.js";
import { Live } from "./live.js";
import { failed, notice, quietly } from "./notice.js";
import { notify, soundOn, startRinging, stopRinging, unlock } from "./ring.js";
import { worklists } from "./worklists.js";
import { collectorImport } from "./collector.js";
import { dialer } from "./dialer.js";
import { myMonth } from "./team.js";

const SELF_SET = ["available", "break", "offline"];
const BUSY = ["ringing", "on_call", "dialing"];
// Why an offer ended without this operator, in words; taken_by_other is not an error.
const REVOKED_KIND = { taken_by_other: "info", caller_hung_up: "info" };

export function panelView(root, user, connection) {
  const st = { operator: null, offer: null, call: null, wrapUpUntil: null };
  const stateBar = h("section", { class: "box statebar", id: "state" });
  const work = h("section", { class: "work", id: "work", "aria-live": "assertive" });
  const after = h("section", { class: "after", id: "after" });
  const side = h("div", { class: "side" });
  fill(root, h("div", { class: "panel" }, h("div", { class: "main" }, stateBar, work, after), side));
  const lists = worklists(side, user);
  const forms = new Map(); // call id → its disposition form, until it is saved or skipped
  let choices = { pipelines: [], reasons: [] };
  let calling = null; // the dialer, for members of a call list
  Promise.all([api("GET", "/api/pipelines"), api("GET", "/api/refusal-reasons"), api("GET", `/api/operators/${user.id}`)])
    .then(([pipelines, reasons, me]) => {
      choices = { pipelines, reasons: reasons.filter((r) => r.active) };
      calling = dialer(after.parentElement, choices, () => Boolean(st.offer));
      if (me.team_roles.length) myMonth(side);
      if (me.team_roles.includes("collector")) collectorImport(side);
    })
    .catch(failed);

  const live = new Live("/ws/operator", {
    onStatus: connection,
    onSnapshot(frame) {
      st.operator = frame.operator;
      st.offer = frame.offer;
      st.call = frame.call && { ...frame.call, status: frame.call.state === "on_hold" ? "held" : "talking", since: frame.call.started_at };
      if (st.offer) offered(st.offer);
      else stopRinging();
      wrapUp();
      renderState();
      renderWork();
      lists.refresh();
    },
    onEvent(frame) {
      if (frame.type === "state") {
        st.operator = frame;
        wrapUp();
        renderState();
      } else if (frame.type === "offer") {
        st.offer = frame;
        offered(frame);
        renderWork();
      } else if (frame.type === "offer_revoked") {
        if (st.offer?.offer_id !== frame.offer_id) return;
        st.offer = null;
        stopRinging();
        const reason = frame.status === "no_answer" ? "no_answer" : frame.reason;
        notice(term("revoked", reason), REVOKED_KIND[reason] || "warn");
        renderWork();
      } else if (frame.type === "call_update") {
        callUpdate(frame);
      }
    },
  });

  function offered(offer) {
    offer.shownAt = Date.now() - (offer.waited_seconds || 0) * 1000; // the caller's wait, counted on
    startRinging();
    const who = offer.card?.contact?.name || phone(offer.card?.number);
    offer.notification = notify(t("offer.title"), `${who} · ${offer.queue.name}`, () => document.getElementById("accept")?.focus());
  }

  function callUpdate(frame) {
    if (frame.status === "connected") {
      const card = st.offer?.call_id === frame.call_id ? st.offer.card : st.call?.card;
      if (st.offer?.call_id === frame.call_id) st.offer = null;
      stopRinging();
      st.call = { call_id: frame.call_id, number: frame.number, status: "talking", since: frame.at || new Date().toISOString(), card };
    } else if (frame.status === "held" || frame.status === "talking") {
      if (st.call?.call_id === frame.call_id) st.call.status = frame.status;
    } else if (frame.status === "ended") {
      const ended = st.call?.call_id === frame.call_id ? st.call : { call_id: frame.call_id, number: frame.number };
      if (st.call?.call_id === frame.call_id) st.call = null;
      if (st.offer?.call_id === frame.call_id) (st.offer = null), stopRinging();
      if (frame.outcome === "answered" || ended.card) addDisposition(ended);
      lists.refresh();
    }
    renderWork();
  }

  async function wrapUp() {
    st.wrapUpUntil = null;
    if (st.operator?.state !== "wrap_up") return;
    try {
      st.wrapUpUntil = (await api("GET", `/api/operators/${user.id}`)).wrap_up_until;
    } catch (error) {
      quietly(error);
    }
    renderState();
  }

  function setState(state) {
    unlock();
    live.send("set_state", { state }).catch(failed);
  }

  function renderState() {
    const op = st.operator;
    if (!op) return;
    const busy = BUSY.includes(op.state);
    fill(
      stateBar,
      h("div", { class: `state state-${op.state}`, id: "my-state" }, term("state", op.state), " ", h("span", { class: "clock", "data-since": op.since })),
      op.state === "wrap_up" &&
        h(
          "div",
          { class: "wrapup" },
          st.wrapUpUntil && [t("state.wrap_left"), " ", h("span", { class: "clock", "data-until": st.wrapUpUntil })],
          h("button", { type: "button", class: "primary", onclick: () => live.send("wrap_up_done").catch(failed) }, t("state.ready")),
        ),
      h("span", { class: "grow" }),
      op.state === "offline"
        ? h("button", { type: "button", class: "primary big", id: "start-shift", onclick: () => setState("available") }, t("state.start_shift"))
        : !soundOn() && h("button", { type: "button", class: "link", onclick: () => (unlock(), renderState()) }, t("state.sound_on")),
      h(
        "div",
        { class: "switch", role: "group", "aria-label": t("state.switch") },
        SELF_SET.map((state) =>
          h("button", { type: "button", "data-state": state, "aria-pressed": String(op.state === state), disabled: busy, onclick: () => setState(state) }, term("state", state)),
        ),
      ),
    );
  }

  function renderWork() {
    const offer = st.offer;
    if (offer) {
      fill(
        work,
        h(
          "div",
          { class: "box offer ringing", id: "offer", "data-offer": offer.offer_id },
          h(
            "header",
            {},
            h("h2", {}, t("offer.title")),
            h("span", { class: "badge" }, offer.queue.name),
            h("span", { class: "badge rule" }, term("rule", offer.rule)),
            h("span", { class: "muted" }, t("offer.waiting"), " ", h("span", { class: "clock", "data-since": new Date(offer.shownAt).toISOString() })),
          ),
          callerCard(offer.card),
          h(
            "div",
            { class: "actions" },
            h("button", { type: "button", class: "accept", id: "accept", disabled: offer.accepting, onclick: accept }, t("offer.accept"), h("kbd", {}, "Enter")),
            h("button", { type: "button", class: "reject", id: "reject", disabled: offer.accepting, onclick: reject }, t("offer.reject"), h("kbd", {}, "Esc")),
          ),
        ),
      );
    } else if (st.call) {
      const call = st.call;
      fill(
        work,
        h(
          "div",
          { class: `box call ${call.status}`, id: "call", "data-call": call.call_id },
          h(
            "header",
            {},
            h("h2", {}, call.status === "held" ? t("call.held") : t("call.talking")),
            h("span", { class: "clock big", "data-since": call.since }),
          ),
          callerCard(call.card, call.number),
        ),
      );
    } else {
      fill(work, h("div", { class: "box idle" }, h("p", { class: "muted" }, t("work.idle"))));
    }
    clock.tick();
  }

  async function accept() {
    const offer = st.offer;
    if (!offer || offer.accepting) return;
    offer.accepting = true;
    stopRinging();
    offer.notification?.close();
    renderWork();
    try {
      await live.send("accept", { offer_id: offer.offer_id });
      if (st.offer === offer) {
        st.offer = null;
        st.call = { call_id: offer.call_id, number: offer.card?.number, status: "talking", since: new Date().toISOString(), card: offer.card };
      }
    } catch (error) {
      if (st.offer !== offer) return; // already told why (offer_revoked)
      st.offer = null;
      if (error.code === "conflict") notice(t("offer.taken"), "info");
      else failed(error);
    }
    renderWork();
  }

  async function reject() {
    const offer = st.offer;
    if (!offer || offer.accepting) return;
    st.offer = null;
    stopRinging();
    offer.notification?.close();
    renderWork();
    live.send("reject", { offer_id: offer.offer_id }).catch((error) => error.code !== "conflict" && failed(error));
  }

  function addDisposition(call) {
    if (forms.has(call.call_id)) return;
    const deal = call.card?.deal;
    const pipeline = deal && choices.pipelines.find((p) => p.id === deal.pipeline_id);
    const form = h(
      "form",
      { class: "box disposition", "data-call": call.call_id, onsubmit: (event) => save(event, call, form) },
      h("h3", {}, t("after.title"), " ", phone(call.card?.number || call.number), call.card?.contact?.name ? ` · ${call.card.contact.name}` : ""),
      h("label", {}, t("after.note"), h("textarea", { name: "note", rows: 3, maxlength: 4000 })),
      h(
        "div",
        { class: "row" },
        h("label", { class: "grow" }, t("after.next_step"), h("input", { name: "next_step", maxlength: 500 })),
        h("label", {}, t("after.next_step_at"), h("input", { name: "next_step_at", type: "datetime-local" })),
      ),
      deal &&
        h(
          "label",
          {},
          t("after.deal", { stage: deal.stage || t("deal.on_list") }),
          h(
            "select",
            { name: "deal" },
            h("option", { value: "" }, t("after.deal_keep")),
            pipeline && h("optgroup", { label: t("after.deal_move") }, pipeline.stages.filter((s) => s.id !== deal.stage_id).map((s) => h("option", { value: `stage:${s.id}` }, s.name))),
            h("optgroup", { label: t("after.deal_lose") }, choices.reasons.map((r) => h("option", { value: `lose:${r.id}` }, r.name))),
          ),
        ),
      call.card?.number && h("label", { class: "check" }, h("input", { type: "checkbox", name: "do_not_call" }), " ", t("after.do_not_call")),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "primary" }, t("after.save")),
        h("button", { type: "button", onclick: () => dropForm(call.call_id) }, t("after.skip")),
      ),
    );
    forms.set(call.call_id, form);
    after.prepend(form);
  }

  async function save(event, call, form) {
    event.preventDefault();
    const values = fields(form);
    const [kind, id] = (values.deal || "").split(":");
    const frame = {
      call_id: call.call_id,
      note: values.note,
      next_step: values.next_step,
      next_step_at: localToIso(values.next_step_at),
      stage_id: kind === "stage" ? Number(id) : undefined,
      refusal_reason_id: kind === "lose" ? Number(id) : undefined,
      do_not_call: values.do_not_call === "on",
    };
    try {
      await live.send("disposition", frame);
      notice(t("after.saved"));
      dropForm(call.call_id);
      lists.refresh();
    } catch (error) {
      failed(error);
    }
  }

  function dropForm(callId) {
    forms.get(callId)?.remove();
    forms.delete(callId);
  }

  // Enter takes the ringing call, Escape hands it on (not while typing in a field).
  function onKey(event) {
    if (!st.offer || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest?.("input, textarea, select")) return;
    if (event.key === "Enter") (event.preventDefault(), accept());
    else if (event.key === "Escape") (event.preventDefault(), reject());
  }

  document.addEventListener("keydown", onKey, true);
  const clock = clocks(root);
  renderWork();
  live.start();
  return {
    stop() {
      live.stop();
      lists.stop();
      calling?.stop();
      stopRinging();
      clock.stop();
      document.removeEventListener("keydown", onKey, true);
    },
  };
}
