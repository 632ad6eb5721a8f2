import { t } from "./i18n.js";

// The public REST API with the signed-in user's bearer token (kept in this browser, never in a URL).
const KEY = "callfunnel.session";

export const session = {
  get() {
    try {
      return JSON.parse(localStorage.getItem(KEY));
    } catch {
      return null;
    }
  },
  set(value) {
    localStorage.setItem(KEY, JSON.stringify(value));
  },
  clear() {
    localStorage.removeItem(KEY);
  },
};

export class ApiError extends Error {
  constructor(status, detail, retryAfter) {
    super(detail);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

// ``keep``: a 401 here is an answer (a wrong current password), not the end of the sign-in.
export async function api(method, path, body, { keep = false } = {}) {
  const response = await request(method, path, body, "application/json", keep);
  return response.status === 204 ? null : response.json();
}

// A CSV file the person picked, sent as it is (contacts, the do-not-call register).
export async function upload(path, file) {
  const response = await request("POST", path, await file.text(), "application/json", false, "text/csv");
  return response.json();
}

// A CSV report saved as a file (the token goes in a header, so this is a fetch, not a link).
export async function download(path, filename) {
  const response = await request("GET", path, undefined, "text/csv");
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

async function request(method, path, body, accept, keep = false, type = "application/json") {
  const current = session.get();
  const headers = { Accept: accept };
  if (current) headers.Authorization = `Bearer ${current.token}`;
  if (body !== undefined) headers["Content-Type"] = type;
  const sent = body === undefined || type !== "application/json" ? body : JSON.stringify(body);
  let response;
  try {
    response = await fetch(path, { method, headers, body: sent });
  } catch {
    throw new ApiError(0, t("connection.offline")); // the server is out of reach (status 0)
  }
  if (response.ok) return response;
  if (response.status === 401 && current && !keep) signedOut();
  throw new ApiError(response.status, await reason(response), response.headers.get("Retry-After"));
}

async function reason(response) {
  try {
    const { detail } = await response.json();
    if (Array.isArray(detail)) return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    return String(detail);
  } catch {
    return response.statusText;
  }
}

// The sign-in ended (logged out elsewhere, expired, password changed): back to the sign-in form.
export function signedOut() {
  session.clear();
  window.dispatchEvent(new Event("callfunnel:signed-out"));
}
