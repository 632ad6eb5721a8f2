// The console's entry: who is signed in decides the view — the sign-in form, the operator's
// panel, or the supervisor's desk — under a header with the connection, the language and sign-out.
import { api, session } from "./api.js";
import { deskView } from "./desk.js";
import { fill, h } from "./dom.js";
import { choose, lang, languages, t } from "./i18n.js";
import { failed } from "./notice.js";
import { panelView } from "./panel.js";
import { passwordView, signInView } from "./signin.js";

let current = null; // the view on screen: {stop()}

function start() {
  current?.stop();
  const view = document.getElementById("view");
  const signedIn = session.get();
  if (!signedIn) {
    header(null);
    current = signInView(view, start);
  } else if (signedIn.user.must_change_password) {
    header(signedIn.user);
    current = passwordView(view, start, { forced: true });
  } else {
    const connection = header(signedIn.user);
    const open = signedIn.user.role === "operator" ? panelView : deskView;
    current = open(view, signedIn.user, connection);
  }
}

// The header; returns the function that shows the live connection's state in it.
function header(user) {
  const badge = h("span", { class: "connection", id: "connection", hidden: !user });
  const language = h(
    "select",
    { "aria-label": t("header.language"), onchange: (e) => choose(e.target.value) },
    languages.map((code) => h("option", { value: code, selected: code === lang }, t(`language.${code}`))),
  );
  const account = user && [
    h("span", { class: "who" }, user.name, " · ", t(`role.${user.role}`)),
    h("button", { type: "button", class: "link", onclick: changePassword }, t("header.password")),
    h("button", { type: "button", class: "link", id: "sign-out", onclick: signOut }, t("header.signout")),
  ];
  fill(document.getElementById("top"), h("span", { class: "brand" }, "callfunnel"), badge, h("span", { class: "grow" }), account, language);
  return (status) => {
    badge.dataset.status = status;
    badge.textContent = t(`connection.${status}`);
  };
}

function changePassword() {
  current?.stop();
  current = passwordView(document.getElementById("view"), start, { forced: false });
}

async function signOut() {
  try {
    await api("POST", "/api/auth/logout");
  } catch (error) {
    if (error.status !== 401) failed(error);
  }
  session.clear();
  start();
}

window.addEventListener("callfunnel:signed-out", start);
start();
