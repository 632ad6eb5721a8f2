// A collector's import on their panel: the contacts they found, from a CSV file, credited to them
// (they are paid per contact a first call confirms).
import { upload } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { failed, notice } from "./notice.js";

export function collectorImport(root) {
  const file = h("input", { type: "file", name: "contacts", accept: ".csv,text/csv", onchange: send });
  const result = h("p", { class: "muted", id: "import-result" }, t("collector.hint"));
  root.append(h("section", { class: "box", id: "collector-import" }, h("h3", {}, t("collector.title")), h("label", { class: "file" }, t("collector.choose"), file), result));

  async function send() {
    const [chosen] = file.files;
    if (!chosen) return;
    try {
      const answer = await upload("/api/contacts/import", chosen);
      result.textContent = t("collector.done", answer);
      notice(t("collector.done", answer));
    } catch (error) {
      failed(error);
    } finally {
      file.value = "";
    }
  }
}
