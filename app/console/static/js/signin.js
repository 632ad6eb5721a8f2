// Signing in with a name and a password, and changing one's password (forced at first sign-in).
import { api, session } from "./api.js";
import { fields, fill, h } from "./dom.js";
import { t } from "./i18n.js";

export function signInView(root, done, message) {
  const error = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "box signin", onsubmit: (event) => submit(event) },
    h("h1", {}, t("signin.title")),
    message && h("p", { class: "hint" }, message),
    h("label", {}, t("signin.name"), h("input", { name: "name", autocomplete: "username", required: true, autofocus: true })),
    h("label", {}, t("signin.password"), h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    error,
    h("button", { type: "submit", class: "primary" }, t("signin.submit")),
  );
  async function submit(event) {
    event.preventDefault();
    const { name, password } = fields(form);
    try {
      await signIn(name, password);
      done();
    } catch (failure) {
      if (failure.status === 401) error.textContent = t("signin.wrong");
      else if (failure.status === 429) error.textContent = t("signin.throttled", { minutes: Math.ceil((failure.retryAfter || 60) / 60) });
      else error.textContent = failure.message;
    }
  }
  fill(root, h("div", { class: "center" }, form));
  form.elements.name.focus();
  return { stop() {} };
}

async function signIn(name, password) {
  const answer = await api("POST", "/api/auth/login", { name, password });
  session.set({ token: answer.token, expires_at: answer.expires_at, user: answer.user });
}

// A password change ends every sign-in of the user, this one too: sign in again with the new one.
export function passwordView(root, done, { forced }) {
  const user = session.get().user;
  const error = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "box signin", onsubmit: (event) => submit(event) },
    h("h1", {}, t("password.title")),
    forced && h("p", { class: "hint" }, t("password.forced")),
    h("label", {}, t("password.old"), h("input", { name: "old", type: "password", autocomplete: "current-password", required: true })),
    h("label", {}, t("password.new"), h("input", { name: "new", type: "password", autocomplete: "new-password", required: true, minlength: 8 })),
    h("label", {}, t("password.repeat"), h("input", { name: "repeat", type: "password", autocomplete: "new-password", required: true })),
    error,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, t("password.submit")), !forced && h("button", { type: "button", onclick: done }, t("common.cancel"))),
  );
  async function submit(event) {
    event.preventDefault();
    const values = fields(form);
    if (values.new !== values.repeat) {
      error.textContent = t("password.mismatch");
      return;
    }
    try {
      await api("POST", "/api/auth/password", { old: values.old, new: values.new }, { keep: true });
      session.clear();
      await signIn(user.name, values.new);
      done();
    } catch (failure) {
      error.textContent = failure.status === 401 ? t("password.wrong") : failure.message;
    }
  }
  fill(root, h("div", { class: "center" }, form));
  form.elements.old.focus();
  return { stop() {} };
}
