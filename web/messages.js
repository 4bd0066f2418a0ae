// Messages on the page that follow the language, and errors that point at
// their field (WCAG 3.3.1): each bad field gets aria-invalid and its own
// message (aria-describedby), the form's line lists them, focus goes to the
// first. A message is kept as a function of the language, so a switch of
// language re-translates what is already shown.

import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const shown = new Map();

/** Shows `text` (a string or a function giving it) in element `id`; "info" is news rather than a fault. */
export function setMessage(id, text, kind = "error") {
  const render = typeof text === "function" ? text : () => text;
  const el = $(id);
  el.textContent = render();
  el.classList.toggle("info", kind === "info");
  if (el.textContent) shown.set(id, render);
  else shown.delete(id);
}

/** Re-renders every shown message in the current language. */
export function retranslateMessages() {
  for (const [id, render] of shown) {
    const el = $(id);
    if (el) el.textContent = render();
  }
}

function describedBy(field, noteId, on) {
  const ids = new Set((field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean));
  if (on) ids.add(noteId);
  else ids.delete(noteId);
  if (ids.size) field.setAttribute("aria-describedby", [...ids].join(" "));
  else field.removeAttribute("aria-describedby");
}

/** Where a field's message goes: after its row (an inline group, the signature pad) or the field. */
function anchorOf(field, anchorId) {
  return (anchorId && $(anchorId)) || field.closest(".inline") || field;
}

export function clearFieldError(field) {
  field.removeAttribute("aria-invalid");
  const note = $(`${field.id}-error`);
  if (note) {
    setMessage(note.id, "");
    note.hidden = true;
  }
  describedBy(field, `${field.id}-error`, false);
}

/** Clears every field mark under `root`. */
export function clearFieldErrors(root) {
  for (const field of root.querySelectorAll("[aria-invalid]")) clearFieldError(field);
}

/**
 * Marks `problems` ([{id, text, anchor?}], text a function) under `root`,
 * lists them in `lineId` and focuses the first. Returns whether there were any.
 */
export function showFieldErrors(root, lineId, problems) {
  clearFieldErrors(root);
  for (const { id, text, anchor } of problems) {
    const field = $(id);
    field.setAttribute("aria-invalid", "true");
    let note = $(`${id}-error`);
    if (!note) {
      note = document.createElement("p");
      note.id = `${id}-error`;
      note.className = "field-error";
      anchorOf(field, anchor).after(note);
    }
    note.hidden = false;
    setMessage(note.id, text);
    describedBy(field, note.id, true);
  }
  if (!problems.length) return false;
  setMessage(lineId, () => [t("fix_these", { n: problems.length }), ...problems.map((p) => p.text())].join(" "));
  $(problems[0].id).focus();
  return true;
}

/** A field's mark goes as soon as the signer changes it. */
export function watchFields() {
  const clear = (event) => {
    const field = event.target;
    if (field instanceof Element && field.hasAttribute("aria-invalid")) clearFieldError(field);
  };
  document.addEventListener("input", clear);
  document.addEventListener("change", clear);
}
