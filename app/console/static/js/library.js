// Learning from calls on the desk: the coaching library (examples by the stage they show how to
// reach), recent answered calls to review, and one call's view — its recordings with the player,
// who listened, the example mark and the review form with notes pinned at the playhead.
import { api } from "./api.js";
import { fields, fill, h } from "./dom.js";
import { dateTime, percent, phone } from "./format.js";
import { t, term } from "./i18n.js";
import { failed, notice } from "./notice.js";
import { at, player } from "./player.js";

const ANSWERS = ["yes", "partly", "no", "na"];

export function libraryTab(root) {
  const stageSelect = h("select", { name: "stage_id", onchange: () => load().catch(failed) });
  const kindSelect = h("select", { name: "kind", onchange: () => load().catch(failed) }, ["", "good", "bad"].map((k) => h("option", { value: k }, k ? t(`example.${k}`) : t("library.all"))));
  const examples = h("section", { class: "box", id: "library" });
  const recent = h("section", { class: "box", id: "to-review" });
  fill(root, h("form", { class: "box filters" }, h("label", {}, t("library.stage"), stageSelect), h("label", {}, t("library.kind"), kindSelect)), h("div", { class: "live-cols" }, examples, recent));
  let stages = new Map();

  async function load() {
    const query = new URLSearchParams();
    if (stageSelect.value) query.set("stage_id", stageSelect.value);
    if (kindSelect.value) query.set("kind", kindSelect.value);
    const found = await api("GET", `/api/examples?${query}`);
    fill(
      examples,
      h("h3", {}, t("library.title")),
      found.length === 0
        ? h("p", { class: "muted" }, t("library.empty"))
        : h(
            "ul",
            { class: "examples" },
            found.map((e) =>
              h(
                "li",
                { "data-call": e.call_id, class: `example-${e.kind}` },
                h("a", { href: `#call/${e.call_id}` }, dateTime(e.started_at)),
                " · ",
                term("example", e.kind),
                " · ",
                stages.get(e.stage_id) || "—",
                e.note && h("div", { class: "muted" }, e.note),
              ),
            ),
          ),
    );
  }

  async function loadRecent() {
    const calls = await api("GET", "/api/calls?outcome=answered&limit=30");
    fill(
      recent,
      h("h3", {}, t("library.recent")),
      h(
        "ul",
        {},
        calls.items.map((c) => h("li", { "data-call": c.id }, h("a", { href: `#call/${c.id}` }, dateTime(c.started_at)), " · ", phone(c.number), c.recording_id ? "" : h("span", { class: "muted" }, " · ", t("player.none")))),
      ),
    );
  }

  api("GET", "/api/pipelines")
    .then((pipelines) => {
      stages = new Map(pipelines.flatMap((p) => p.stages.map((s) => [s.id, `${p.name}: ${s.name}`])));
      fill(stageSelect, h("option", { value: "" }, t("library.all")), [...stages].map(([id, name]) => h("option", { value: id }, name)));
      return Promise.all([load(), loadRecent()]);
    })
    .catch(failed);
  return { update() {}, stop() {} };
}

// One call to listen to, mark and review (#call/<id>).
export function callView(root, callId) {
  const head = h("section", { class: "box", id: "call-head" });
  const recordings = h("section", { class: "box", id: "recordings" });
  const example = h("section", { class: "box", id: "example" });
  const review = h("section", { class: "box", id: "review" });
  const past = h("section", { class: "box", id: "reviews" });
  fill(root, h("div", { class: "call-view", "data-call": callId }, head, recordings, h("div", { class: "live-cols" }, review, h("div", {}, example, past))));
  let audio = null; // the player's, for notes at the playhead

  async function load() {
    const [call, listed, card, given] = await Promise.all([
      api("GET", `/api/calls/${callId}`),
      api("GET", `/api/calls/${callId}/recordings`),
      api("GET", "/api/scorecards"),
      api("GET", `/api/reviews?call_id=${callId}`),
    ]);
    fill(head, h("h2", {}, phone(call.number), " · ", dateTime(call.started_at)), h("p", { class: "muted" }, term("outcome", call.outcome), " · ", call.operator_extension || ""));
    const playing = player(callId);
    audio = playing.audio;
    fill(
      recordings,
      h("h3", {}, t("recordings.title")),
      playing.element,
      h(
        "ul",
        { class: "recording-list" },
        listed.map((r) =>
          h(
            "li",
            { "data-recording": r.id },
            term("recording", r.state),
            r.extension && ` · ${r.extension}`,
            r.duration_seconds != null && ` · ${at(r.duration_seconds)}`,
            r.playbacks?.length > 0 && h("div", { class: "muted" }, t("recordings.listened"), " ", r.playbacks.map((p) => `${p.user_name} (${dateTime(p.hour)})`).join(", ")),
          ),
        ),
      ),
    );
    exampleForm();
    reviewForm(card);
    fill(
      past,
      h("h3", {}, t("review.past")),
      given.length === 0
        ? h("p", { class: "muted" }, t("review.none"))
        : given.map((r) =>
            h("div", { class: "past-review", "data-review": r.id }, h("strong", {}, r.score == null ? "—" : percent(r.score)), " · ", dateTime(r.created_at), r.comment && h("div", {}, r.comment), h("ul", {}, r.notes.map((n) => h("li", {}, h("button", { type: "button", class: "link", onclick: () => seek(n.at_seconds) }, at(n.at_seconds)), " ", n.text)))),
          ),
    );
  }

  function seek(seconds) {
    if (!audio) return;
    audio.currentTime = seconds;
    audio.play().catch(() => {});
  }

  function exampleForm() {
    const form = h(
      "form",
      { onsubmit: (event) => mark(event, form) },
      h("h3", {}, t("example.title")),
      h("label", {}, t("library.kind"), h("select", { name: "kind" }, ["good", "bad"].map((k) => h("option", { value: k }, t(`example.${k}`))))),
      h("label", {}, t("example.note"), h("input", { name: "note", maxlength: 2000 })),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("example.mark")), h("button", { type: "button", onclick: unmark }, t("example.unmark"))),
    );
    fill(example, form);
  }

  async function mark(event, form) {
    event.preventDefault();
    try {
      await api("POST", `/api/calls/${callId}/example`, fields(form));
      notice(t("example.marked"));
    } catch (error) {
      failed(error);
    }
  }

  async function unmark() {
    try {
      await api("DELETE", `/api/calls/${callId}/example`);
      notice(t("example.unmarked"));
    } catch (error) {
      failed(error);
    }
  }

  function reviewForm(card) {
    const notes = [];
    const noteList = h("ul", { class: "notes" });
    const noteText = h("input", { name: "note_text", maxlength: 2000, placeholder: t("review.note_placeholder") });
    const pin = h("button", { type: "button", id: "pin-note", onclick: addNote }, t("review.pin"));
    const form = h(
      "form",
      { id: "review-form", onsubmit: (event) => save(event, form) },
      h("h3", {}, t("review.title")),
      h(
        "table",
        {},
        card.items.map((item) =>
          h(
            "tr",
            { "data-item": item.position },
            h("td", {}, item.name, h("span", { class: "muted" }, ` ×${item.weight}`)),
            ANSWERS.map((answer) => h("td", {}, h("label", {}, h("input", { type: "radio", name: `item-${item.position}`, value: answer, checked: answer === "na" }), " ", t(`review.${answer}`)))),
          ),
        ),
      ),
      h("label", {}, t("review.comment"), h("textarea", { name: "comment", rows: 2, maxlength: 4000 })),
      h("div", { class: "row" }, noteText, pin),
      noteList,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("review.save"))),
    );
    fill(review, form);

    function addNote() {
      const text = noteText.value.trim();
      if (!text) return;
      const moment = audio && !Number.isNaN(audio.currentTime) ? audio.currentTime : 0;
      notes.push({ at_seconds: Math.round(moment * 10) / 10, text });
      noteText.value = "";
      fill(noteList, notes.map((n) => h("li", {}, at(n.at_seconds), " ", n.text)));
    }

    async function save(event) {
      event.preventDefault();
      const values = fields(form);
      const body = {
        call_id: callId,
        scorecard_id: card.id,
        answers: card.items.map((item) => values[`item-${item.position}`] || "na"),
        comment: values.comment || "",
        notes,
      };
      try {
        await api("POST", "/api/reviews", body);
        notice(t("review.saved"));
        await load();
      } catch (error) {
        failed(error);
      }
    }
  }

  load().catch(failed);
  return { update() {}, stop() { audio?.pause(); } };
}
