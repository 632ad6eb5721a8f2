// The caller's CRM card, as the panel shows it with an offer and during the call.
import { h } from "./dom.js";
import { dateTime, money, phone } from "./format.js";
import { t, term } from "./i18n.js";
import { player } from "./player.js";

export function callerCard(card, number) {
  const contact = card?.contact;
  const deal = card?.deal;
  return h(
    "div",
    { class: "caller" },
    h(
      "div",
      { class: "who" },
      h("div", { class: "number" }, phone(card?.number || number)),
      h("div", { class: "name" }, contact?.name || t("card.unknown"), contact?.vip && h("span", { class: "badge vip" }, "VIP")),
      contact?.company && h("div", { class: "company" }, contact.company),
      h("div", { class: "owner" }, t("card.manager"), ": ", contact?.owner?.name || t("card.no_manager")),
    ),
    deal &&
      h(
        "div",
        { class: "deal" },
        h("h4", {}, t("card.deal")),
        h("div", {}, deal.pipeline, " · ", deal.stage || t("deal.on_list"), " · ", term("deal", deal.status)),
        h("div", { class: "muted" }, t("card.amount"), ": ", money(deal.amount), " · ", t("card.touches"), ": ", deal.touch_count),
      ),
    h("h4", {}, t("card.recent")),
    card?.recent_calls?.length
      ? h(
          "ul",
          { class: "recent" },
          card.recent_calls.map((call) =>
            h(
              "li",
              { class: `outcome-${call.outcome}` },
              h("span", {}, dateTime(call.started_at)),
              h("span", {}, term("direction", call.direction)),
              h("span", {}, term("outcome", call.outcome)),
              h("span", { class: "muted" }, call.operator || ""),
              call.recorded && h("button", { type: "button", class: "link listen", onclick: (event) => listen(event, call.call_id) }, t("player.listen")),
            ),
          ),
        )
      : h("p", { class: "muted" }, t("card.first_call")),
    card?.open_callbacks?.length > 0 &&
      h(
        "div",
        { class: "callbacks-open" },
        h("h4", {}, t("card.callbacks")),
        card.open_callbacks.map((cb) =>
          h("div", { class: cb.overdue ? "overdue" : "" }, term("reason", cb.reason), " · ", t("callbacks.missed", { count: cb.missed_count }), " · ", t("callbacks.due"), " ", dateTime(cb.due_at)),
        ),
      ),
  );
}

// The recording of a past call, under it in the list (asked for when clicked: a ticket lasts 10 minutes).
function listen(event, callId) {
  const item = event.target.closest("li");
  if (!item.querySelector(".player")) item.append(player(callId).element);
}
