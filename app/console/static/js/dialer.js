// The first-line manager's dialer: a call list's next contact with its card (local time, why
// they may be called), then the result in one key — 1 not reached … 7 do not call — and the next;
// above it, the day so far against the day's share of the plan.
import { api } from "./api.js";
import { fill, h } from "./dom.js";
import { localToIso, phone, timeIn } from "./format.js";
import { t } from "./i18n.js";
import { failed, notice } from "./notice.js";

const RESULTS = ["not_reached", "busy", "wrong_number", "refused", "callback", "meeting", "do_not_call"];
const NEEDS_TIME = { callback: "callback_at", meeting: "meeting_at" };

// ``choices.reasons``: the refusal reasons; ``ringing()``: whether an offer rings (keys are its then).
export function dialer(root, choices, ringing) {
  const box = h("section", { class: "box dialer", id: "dialer", hidden: true });
  root.append(box);
  const state = { lists: [], listId: null, attempt: null, busy: false, countdown: null };

  async function load() {
    state.lists = await api("GET", "/api/lists");
    box.hidden = state.lists.length === 0;
    state.listId ??= state.lists[0]?.id;
    render();
    if (state.lists.length) await today();
  }

  // The day so far against the day's share of the month's meetings plan.
  async function today() {
    state.day = await api("GET", "/api/reports/team/today");
    const shown = box.querySelector("#dial-today");
    if (shown) fill(shown, dayText(state.day));
  }

  function dayText(day) {
    if (!day) return "";
    const meetings = day.day_share ? t("dialer.today_plan", { meetings: day.meetings, share: day.day_share }) : t("dialer.today_meetings", { meetings: day.meetings });
    return [meetings, " · ", t("dialer.today_calls", { attempts: day.attempts, reached: day.reached })];
  }

  // Progressive mode: the call starts by itself after the list's countdown, unless the manager
  // skips it or an inbound call rings meanwhile.
  function startCountdown(attempt) {
    const list = state.lists.find((l) => l.id === attempt.list_id);
    if (attempt.mode !== "progressive" || !list) return;
    let left = list.countdown_seconds;
    const tick = () => {
      const shown = box.querySelector("#dial-countdown");
      if (ringing() || state.attempt !== attempt) return stopCountdown(t("dialer.countdown_stopped"));
      if (left <= 0) {
        stopCountdown("");
        return call();
      }
      if (shown) shown.textContent = t("dialer.countdown", { seconds: left });
      left -= 1;
    };
    state.countdown = setInterval(tick, 1000);
    tick();
  }

  function stopCountdown(text) {
    clearInterval(state.countdown);
    state.countdown = null;
    const shown = box.querySelector("#dial-countdown");
    if (shown) shown.textContent = text;
  }

  function render() {
    const select = h(
      "select",
      { name: "list", "aria-label": t("dialer.list"), disabled: Boolean(state.attempt), onchange: (e) => ((state.listId = Number(e.target.value)), render()) },
      state.lists.map((l) => h("option", { value: l.id, selected: l.id === state.listId }, l.name)),
    );
    const head = h("header", {}, h("h3", {}, t("dialer.title")), select, !state.attempt && h("button", { type: "button", class: "primary", id: "dial-next", disabled: state.busy, onclick: next }, t("dialer.next")));
    const day = h("p", { class: "muted today", id: "dial-today" }, dayText(state.day));
    fill(box, head, day, state.attempt ? card(state.attempt) : h("p", { class: "muted", id: "dialer-idle" }, state.idle || t("dialer.idle")));
  }

  function card(attempt) {
    const contact = attempt.contact;
    const local = timeIn(contact.timezone);
    const reason = h("select", { name: "refusal_reason_id" }, choices.reasons.map((r) => h("option", { value: r.id }, r.name)));
    const when = h("input", { type: "datetime-local", name: "at" });
    const note = h("input", { name: "note", maxlength: 4000 });
    return h(
      "div",
      { class: "dial-card", "data-attempt": attempt.attempt_id },
      h(
        "div",
        { class: "number" },
        h("a", { href: `tel:${contact.phone}` }, phone(contact.phone)),
        attempt.mode !== "manual" && h("button", { type: "button", class: "primary", id: "dial-call", disabled: state.busy, onclick: call }, t("dialer.call")),
      ),
      h("div", { class: "name" }, contact.name || t("card.unknown"), contact.company && ` · ${contact.company}`),
      h(
        "div",
        { class: "muted", id: "dial-local" },
        t("dialer.local", { time: local, zone: contact.timezone }),
        contact.timezone_guessed && h("span", { class: "badge" }, t("dialer.guessed")),
      ),
      h("div", { class: "muted" }, t(`basis.${attempt.basis}`), " · ", t("dialer.tries", { count: attempt.attempts_before })),
      attempt.company_owner && h("div", { class: "warn", id: "company-owner" }, t("dialer.company_owner", { name: attempt.company_owner.name })),
      attempt.mode === "progressive" && h("div", { class: "countdown" }, h("span", { id: "dial-countdown" }), " ", h("button", { type: "button", class: "link", id: "dial-skip", onclick: () => stopCountdown(t("dialer.countdown_stopped")) }, t("dialer.skip"))),
      h("div", { class: "row" }, h("label", { class: "grow" }, t("dialer.note"), note), h("label", {}, t("dialer.when_label"), when), h("label", {}, t("dialer.reason"), reason)),
      h(
        "div",
        { class: "results" },
        RESULTS.map((result, i) => h("button", { type: "button", "data-result": result, disabled: state.busy, onclick: () => finish(result, { reason, when, note }) }, t(`result.${result}`), h("kbd", {}, String(i + 1)))),
        h("button", { type: "button", class: "link", id: "dial-release", onclick: release }, t("dialer.release")),
      ),
    );
  }

  async function next() {
    if (!state.listId || state.busy) return;
    state.busy = true;
    try {
      state.attempt = await api("POST", `/api/lists/${state.listId}/next`);
      state.idle = state.attempt ? null : t("dialer.none_due");
    } catch (error) {
      failed(error);
    } finally {
      state.busy = false;
      render();
    }
    if (state.attempt) startCountdown(state.attempt);
  }

  async function finish(result, { reason, when, note }) {
    stopCountdown("");
    const body = { result, note: note.value || undefined };
    if (result === "refused") body.refusal_reason_id = Number(reason.value);
    if (NEEDS_TIME[result]) {
      if (!when.value) return notice(t("dialer.when"), "warn");
      body[NEEDS_TIME[result]] = localToIso(when.value);
    }
    state.busy = true;
    try {
      await api("POST", `/api/attempts/${state.attempt.attempt_id}/result`, body);
      notice(t("dialer.saved"));
      state.attempt = null;
      today().catch(failed);
    } catch (error) {
      failed(error);
    } finally {
      state.busy = false;
    }
    if (!state.attempt) await next();
  }

  // Click-to-call: the PBX rings the manager's phone, then the client; sent once.
  async function call() {
    stopCountdown("");
    try {
      const dialled = await api("POST", `/api/attempts/${state.attempt.attempt_id}/dial`);
      if (dialled.result === "wrong_number") {
        notice(t("dialer.wrong_number"), "warn");
        state.attempt = null;
        return next();
      }
      notice(t("dialer.calling"));
    } catch (error) {
      failed(error);
    }
  }

  async function release() {
    stopCountdown("");
    try {
      await api("POST", `/api/attempts/${state.attempt.attempt_id}/release`);
    } catch (error) {
      failed(error);
    }
    state.attempt = null;
    render();
  }

  function onKey(event) {
    if (!state.attempt || ringing() || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest?.("input, textarea, select")) return;
    const index = Number(event.key) - 1;
    if (index >= 0 && index < RESULTS.length) {
      event.preventDefault();
      box.querySelector(`button[data-result=${RESULTS[index]}]`)?.click();
    }
  }

  document.addEventListener("keydown", onKey);
  load().catch(failed);
  return {
    stop() {
      stopCountdown("");
      document.removeEventListener("keydown", onKey);
    },
  };
}
