// The signer's page: reads the link token from /s/{token}, asks the session
// for the next step and shows that screen (FLOW.md F1–F6). Every API call
// carries the token as a bearer credential; nothing is stored in the browser.

import { t, setLanguage, language, serverMessage } from "./i18n.js";
import { checkPin, pinAcceptable } from "./pin_rules.js";
import { clearFieldError, clearFieldErrors, retranslateMessages, setMessage, showFieldErrors, watchFields } from "./messages.js";
import { offerTextView, relabelPages, showPdf, wireDocumentView } from "./document_view.js";

const $ = (id) => document.getElementById(id);
const ASSET_URLS = JSON.parse($("asset-urls").textContent);
const TOKEN = decodeURIComponent(location.pathname.replace(/^\/s\//, "").split("/")[0] || "");

const state = {
  session: null,
  documentSha256: null,
  documentUrl: null,
  pad: null,
  factor: "totp",
  countries: [],
};

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.code || `http_${status}`);
    this.status = status;
    this.body = body?.error || null;
    this.code = this.body?.code || `http_${status}`;
  }
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${TOKEN}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ApiError(0, { error: { code: "network", message: t("network_error"), message_ms: t("network_error") } });
  }
  if (!response.ok) {
    let parsed = null;
    try { parsed = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, parsed);
  }
  return response;
}

const apiJson = async (method, path, body) => (await api(method, path, body)).json();

/** The server's explanation of `error`, in the current language. */
function errorText(error) {
  if (error.code === "network") return t("network_error");
  return serverMessage(error.body) || t("network_error");
}

// ---------------------------------------------------------------- screens and dialogs

const SCREENS = ["screen-message", "screen-certificate", "screen-document", "screen-reset"];

function show(screenId, { summary = true } = {}) {
  for (const id of SCREENS) $(id).hidden = id !== screenId;
  $("summary").hidden = !summary || !state.session;
  // The loading line is done with: a language switch must not bring it back.
  delete $("status").dataset.i18n;
  $("status").textContent = "";
  const heading = $(screenId).querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
  document.body.dataset.screen = screenId.replace("screen-", "");
}

function showMessage(titleKey, textKey, { reload = false, summary = true } = {}) {
  setMessage("message-title", () => t(titleKey));
  setMessage("message-text", () => t(textKey));
  $("message-reload").hidden = !reload;
  show("screen-message", { summary });
}

// Focus returns to what opened a dialog (dialogs may stack).
const openers = new WeakMap();

function openDialog(dialog) {
  if (!dialog.open) {
    openers.set(dialog, document.activeElement);
    dialog.showModal();
  }
  const first = dialog.querySelector("[autofocus]") || dialog.querySelector("input:not([hidden]), button");
  first?.focus();
}

function closeDialog(dialog) {
  if (dialog.open) dialog.close();
  const opener = openers.get(dialog);
  if (opener && document.contains(opener)) opener.focus();
}

/** A message dialog (texts: strings or functions of the language); resolves on OK. */
function messageDialog(title, text, extra = "") {
  const dialog = $("dlg-message");
  setMessage("dlg-message-title", title);
  setMessage("dlg-message-text", text);
  setMessage("dlg-message-extra", extra);
  $("dlg-message-extra").hidden = !$("dlg-message-extra").textContent;
  openDialog(dialog);
  return new Promise((resolve) => {
    const ok = $("dlg-message-ok");
    const done = () => {
      ok.removeEventListener("click", done);
      dialog.removeEventListener("cancel", done);
      closeDialog(dialog);
      resolve();
    };
    ok.addEventListener("click", done);
    dialog.addEventListener("cancel", done);
  });
}

/** A yes / no dialog; resolves true for yes. */
function confirmDialog(text, yesLabel) {
  const dialog = $("dlg-confirm");
  setMessage("dlg-confirm-text", text);
  setMessage("dlg-confirm-yes", yesLabel);
  openDialog(dialog);
  return new Promise((resolve) => {
    const finish = (answer) => () => {
      $("dlg-confirm-yes").onclick = null;
      $("dlg-confirm-no").onclick = null;
      dialog.oncancel = null;
      closeDialog(dialog);
      resolve(answer);
    };
    $("dlg-confirm-yes").onclick = finish(true);
    $("dlg-confirm-no").onclick = finish(false);
    dialog.oncancel = finish(false);
  });
}

function fillFields(session) {
  const roleKey = `role_${session.role}`;
  const values = { ...session, role_label: t(roleKey) === roleKey ? session.role : t(roleKey) };
  for (const el of document.querySelectorAll("[data-field]")) {
    el.textContent = values[el.dataset.field] ?? "";
  }
}

/**
 * SES reported the signer's address as undeliverable: say so on every screen,
 * since the emails the flow relies on (turns, reminders, codes) will not come.
 */
function showEmailBounced(bounced) {
  let notice = $("email-bounced");
  if (!notice) {
    notice = document.createElement("p");
    notice.id = "email-bounced";
    notice.className = "warning";
    notice.setAttribute("role", "alert");
    notice.dataset.i18n = "email_bounced_text";
    notice.textContent = t("email_bounced_text");
    $("status").after(notice);
  }
  notice.hidden = !bounced;
}

const setError = setMessage;

/** An API error's text as a function of the language, with attempts left when the server counts them. */
function explained(error) {
  return () => {
    const left = error.body?.attempts_left;
    return [errorText(error), left === undefined ? "" : t("attempts_left", { n: left })].filter(Boolean).join(" ");
  };
}

function busy(button, on) {
  button.disabled = on;
  button.setAttribute("aria-busy", String(on));
}

// ---------------------------------------------------------------- start

async function start() {
  if (!TOKEN) {
    showMessage("invalid_title", "invalid_text", { summary: false });
    return;
  }
  let session;
  try {
    session = await apiJson("GET", "/v1/signer/session");
  } catch (error) {
    if (error.status === 401 || error.status === 400 || error.status === 403) {
      showMessage("invalid_title", "invalid_text", { summary: false });
    } else if (error.status === 410) {
      showMessage("expired_title", "expired_text", { summary: false });
    } else {
      showMessage("error_title", "network_error", { reload: true, summary: false });
      setMessage("message-text", () => errorText(error));
    }
    return;
  }
  state.session = session;
  fillFields(session);
  showEmailBounced(session.email_bounced === true);
  if (location.hash === "#lupa-pin" && session.next === "sign") {
    showReset();
    return;
  }
  switch (session.next) {
    case "ekyc": return showMessage("ekyc_title", "ekyc_text", { reload: true });
    case "ekyc_rejected": return showMessage("ekyc_rejected_title", "ekyc_rejected_text");
    case "waiting_turn": return showMessage("waiting_title", "waiting_text", { reload: true });
    case "done": return showMessage("done_title", "done_text");
    case "expired": return showMessage("expired_title", "expired_text");
    case "closed": return showMessage("closed_title", "closed_text");
    case "certificate": return showCertificate();
    case "sign": return showDocument("sign");
    case "review": return showDocument("review");
    default: return showMessage("closed_title", "closed_text");
  }
}

// ---------------------------------------------------------------- F2 certificate

function renderRules(container, pin) {
  container.replaceChildren();
  const title = document.createElement("p");
  title.className = "rules-title";
  title.textContent = t("rules_title");
  const list = document.createElement("ul");
  for (const rule of checkPin(pin)) {
    const item = document.createElement("li");
    item.className = rule.met ? "met" : "unmet";
    item.dataset.rule = rule.id;
    const mark = document.createElement("span");
    mark.className = "mark";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = rule.met ? "✓" : "✗";
    const text = document.createElement("span");
    text.textContent = t(rule.key);
    const sr = document.createElement("span");
    sr.className = "visually-hidden";
    sr.textContent = ` (${t(rule.met ? "rule_met" : "rule_unmet")})`;
    item.append(mark, text, sr);
    list.append(item);
  }
  container.append(title, list);
}

function bindRules(container) {
  const input = $(container.dataset.rulesFor);
  const update = () => renderRules(container, input.value);
  input.addEventListener("input", update);
  update();
}

/** The nationality list, Malaysia first, the rest by their name in the page's language. */
function labelCountries() {
  let names = null;
  try {
    names = new Intl.DisplayNames([language()], { type: "region" });
  } catch { /* no Intl region names: the server's English names stay */ }
  const select = $("nationality");
  const chosen = select.value;
  const named = state.countries.map(({ code, name }) => ({ code, name: names?.of(code) || name }));
  const [first, ...rest] = named;
  rest.sort((a, b) => a.name.localeCompare(b.name, language()));
  const options = [first, ...rest].filter(Boolean).map(({ code, name }) => {
    const option = document.createElement("option");
    option.value = code;
    option.textContent = name;
    return option;
  });
  select.replaceChildren(select.options[0], ...options);
  select.value = chosen;
}

async function loadCountries() {
  if (state.countries.length) return;
  state.countries = await (await fetch("/v1/countries", { credentials: "omit" })).json();
  labelCountries();
}

async function showCertificate() {
  show("screen-certificate");
  try {
    await loadCountries();
  } catch {
    setError("cert-error", () => t("network_error"));
  }
}

/** The PIN and its confirmation, as field problems. */
function pinProblems(pinId, confirmId) {
  const pin = $(pinId).value;
  const confirm = $(confirmId).value;
  if (pin && !pinAcceptable(pin)) return [{ id: pinId, text: () => t("pin_rules_unmet") }];
  if (pin && confirm && pin !== confirm) return [{ id: confirmId, text: () => t("pin_mismatch") }];
  return [];
}

/** Each empty field of `fields` ([id, label key]) as a problem. */
function missing(fields) {
  return fields
    .filter(([id]) => !$(id).value.trim())
    .map(([id, label]) => ({ id, text: () => t("field_missing", { field: t(label) }) }));
}

/** The server's field errors (`fields`, PIN `rules`, codes that name one field) on their fields. */
function serverProblems(error, fieldIds, codeFields = {}) {
  const problems = [];
  for (const { field, code } of error.body?.fields || []) {
    if (fieldIds[field]) problems.push({ id: fieldIds[field], text: () => t(`err_${code}`) });
  }
  const rules = error.body?.rule_messages;
  if (rules && fieldIds.pin) {
    problems.push({ id: fieldIds.pin, text: () => rules.map((r) => (language() === "ms" ? r.message_ms : r.message)).join(" ") });
  }
  const id = Object.entries(codeFields).find(([prefix]) => error.code.startsWith(prefix))?.[1];
  if (!problems.length && id) problems.push({ id, text: explained(error) });
  return problems;
}

async function submitCertificate(event) {
  event.preventDefault();
  const form = $("screen-certificate");
  const problems = missing([
    ["address", "field_address"], ["postcode", "field_postcode"], ["nationality", "field_nationality"],
    ["pin", "field_pin"], ["pin-confirm", "field_pin_confirm"],
  ]);
  const postcode = $("postcode").value.trim();
  if (postcode && !/^\d{5}$/.test(postcode)) problems.push({ id: "postcode", text: () => t("postcode_format") });
  problems.push(...pinProblems("pin", "pin-confirm"));
  setError("cert-error", "");
  if (showFieldErrors(form, "cert-error", problems)) return;
  const button = $("cert-submit");
  busy(button, true);
  try {
    const issued = await apiJson("POST", "/v1/signer/certificate", {
      address: $("address").value.trim(), postcode, nationality: $("nationality").value,
      pin: $("pin").value, pin_confirm: $("pin-confirm").value,
    });
    $("pin").value = "";
    $("pin-confirm").value = "";
    showEnrolment(issued);
  } catch (error) {
    const fields = { address: "address", postcode: "postcode", nationality: "nationality", pin: "pin", pin_confirm: "pin-confirm" };
    const problems = serverProblems(error, fields, { pin_mismatch: "pin-confirm", pin_: "pin" });
    if (!showFieldErrors(form, "cert-error", problems)) setError("cert-error", explained(error));
  } finally {
    busy(button, false);
  }
}

/**
 * F2.4: enrolment, phone first: a link that opens the authenticator app, the
 * setup key in groups of four with a copy button, the QR code for a second
 * device; then one code is checked (POST /v1/signer/totp/check) before going on.
 */
function showEnrolment(issued) {
  const uri = issued.totp.uri;
  const qr = $("totp-qr");
  qr.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(issued.totp.qr_svg)}`;
  qr.alt = t("totp_qr_alt");
  qr.dataset.otpauth = uri;
  $("totp-open").href = uri;
  const secret = new URL(uri).searchParams.get("secret") || "";
  $("totp-key").textContent = secret.replace(/(.{4})/g, "$1 ").trim();
  $("totp-copy").onclick = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setError("totp-copied", () => t("totp_copied"), "info");
    } catch {
      setError("totp-copied", () => t("totp_copy_failed"));
    }
  };
  $("totp-check").value = "";
  setError("totp-check-error", "");
  setError("totp-copied", "");
  const dialog = $("dlg-certificate");
  openDialog(dialog);
  $("totp-form").onsubmit = async (event) => {
    event.preventDefault();
    const code = $("totp-check").value.replace(/\s+/g, "");
    const problem = /^\d{6}$/.test(code) ? [] : [{ id: "totp-check", text: () => t("totp_format") }];
    if (showFieldErrors(dialog, "totp-check-error", problem)) return;
    const button = $("totp-check-submit");
    busy(button, true);
    try {
      await apiJson("POST", "/v1/signer/totp/check", { totp: code });
    } catch (error) {
      showFieldErrors(dialog, "totp-check-error", [{ id: "totp-check", text: explained(error) }]);
      $("totp-check").value = "";
      return;
    } finally {
      busy(button, false);
    }
    // The secret leaves the page once the dialog closes.
    qr.removeAttribute("src");
    delete qr.dataset.otpauth;
    $("totp-open").href = "#";
    $("totp-key").textContent = "";
    $("totp-copy").onclick = null;
    closeDialog(dialog);
    start();
  };
  dialog.oncancel = (e) => e.preventDefault();
}

// ---------------------------------------------------------------- F4 document, sign; F3.2 review

async function loadScript(name) {
  return import(ASSET_URLS[name]);
}

async function showDocument(mode) {
  $("document-title").textContent = t(mode === "sign" ? "sign_title" : "review_title");
  $("document-title").dataset.i18n = mode === "sign" ? "sign_title" : "review_title";
  $("sign-controls").hidden = mode !== "sign";
  $("review-controls").hidden = mode !== "review";
  $("review-intro").hidden = mode !== "review";
  show("screen-document");
  await loadDocument();
}

async function loadDocument() {
  const viewer = $("pdf-viewer");
  viewer.setAttribute("aria-busy", "true");
  let bytes;
  try {
    const response = await api("GET", "/v1/signer/document");
    state.documentSha256 = response.headers.get("X-Document-SHA256");
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    viewer.setAttribute("aria-busy", "false");
    setMessage("pdf-placeholder", () => errorText(error));
    return;
  }
  if (state.documentUrl) URL.revokeObjectURL(state.documentUrl);
  state.documentUrl = URL.createObjectURL(new Blob([bytes], { type: "application/pdf" }));
  const link = $("pdf-download");
  link.href = state.documentUrl;
  link.download = `eSPA-${state.session.serial || "dokumen"}.pdf`.replace(/[^\w.-]+/g, "_");
  link.hidden = false;
  const text = offerTextView(apiJson);
  try {
    const pdfjs = await loadScript("pdfjs");
    pdfjs.GlobalWorkerOptions.workerSrc = ASSET_URLS.pdfjs_worker;
    await showPdf(pdfjs, bytes);
  } catch {
    setMessage("pdf-placeholder", () => t("pdf_failed"));
  } finally {
    viewer.setAttribute("aria-busy", "false");
  }
  await text;
}

function startSigning() {
  setError("sign-error", "");
  if (!$("consent").checked) {
    setError("sign-error", () => t("consent_required"));
    $("consent").focus();
    return;
  }
  confirmDialog(() => t("confirm_text"), () => t("confirm_sign")).then((yes) => {
    if (yes) openSignatureDialog();
  });
}

/** Drawing is the default on touch screens; typing the name is the equal alternative. */
function signatureKind() {
  return $("kind-typed").checked ? "typed" : "drawn";
}

async function openSignatureDialog() {
  const dialog = $("dlg-signature");
  setError("signature-error", "");
  clearFieldErrors(dialog);
  $("sign-pin").value = "";
  $("sign-totp").value = "";
  $("sign-email-code").value = "";
  useFactor(state.factor);
  openDialog(dialog);
  if (!state.pad) {
    const { default: SignaturePad } = await loadScript("signature_pad");
    state.pad = new SignaturePad($("signature-pad"), { penColor: "#0b2a6f", minWidth: 1, maxWidth: 2.6 });
    state.pad.addEventListener("endStroke", () => clearFieldError($("kind-drawn")));
  }
  useSignatureKind(signatureKind());
  state.pad.clear();
}

/** Gives a canvas its shown size in device pixels (and clears it). */
function fitCanvas(canvas) {
  const ratio = Math.max(window.devicePixelRatio || 1, 1);
  canvas.width = canvas.offsetWidth * ratio;
  canvas.height = canvas.offsetHeight * ratio;
  const context = canvas.getContext("2d");
  context.scale(ratio, ratio);
  return context;
}

function useSignatureKind(kind) {
  $("drawn-block").hidden = kind !== "drawn";
  $("typed-block").hidden = kind !== "typed";
  clearFieldError($("kind-drawn"));
  if (kind === "drawn" && state.pad) {
    const drawing = state.pad.isEmpty() ? null : state.pad.toData();
    fitCanvas($("signature-pad"));
    state.pad.clear();
    if (drawing) state.pad.fromData(drawing);
  }
  if (kind === "typed") renderTypedSignature();
}

/** The typed name, drawn in a handwriting-like face on the preview, as large as fits. */
function renderTypedSignature() {
  const canvas = $("typed-preview");
  const context = fitCanvas(canvas);
  const name = $("typed-name").value.trim();
  const width = canvas.offsetWidth;
  const height = canvas.offsetHeight;
  let size = Math.min(64, height * 0.6);
  const font = (px) => `italic ${px}px "Segoe Script", "Brush Script MT", "URW Chancery L", cursive, serif`;
  context.font = font(size);
  while (size > 12 && context.measureText(name).width > width * 0.9) {
    size -= 2;
    context.font = font(size);
  }
  context.fillStyle = "#0b2a6f";
  context.textAlign = "center";
  context.textBaseline = "middle";
  context.fillText(name, width / 2, height / 2);
  canvas.setAttribute("aria-label", name ? t("typed_preview_label", { name }) : t("typed_preview_empty"));
}

function useFactor(factor) {
  state.factor = factor;
  $("totp-block").hidden = factor !== "totp";
  $("email-code-block").hidden = factor !== "email";
}

/** A signature canvas as a PNG of its shape, within what the server accepts (20–2000 × 10–1000). */
function signaturePng(source) {
  const scale = Math.min(2, 2000 / source.offsetWidth, 1000 / source.offsetHeight);
  const out = document.createElement("canvas");
  out.width = Math.max(20, Math.round(source.offsetWidth * scale));
  out.height = Math.max(10, Math.round(source.offsetHeight * scale));
  out.getContext("2d").drawImage(source, 0, 0, out.width, out.height);
  return out.toDataURL("image/png").replace(/^data:image\/png;base64,/, "");
}

async function sendEmailCode(purpose) {
  const sent = await apiJson("POST", "/v1/signer/otp", { purpose });
  return sent;
}

async function askEmailCode() {
  const yes = await confirmDialog(() => t("totp_help_text", { email: state.session.email }), () => t("ok"));
  if (!yes) return;
  try {
    await sendEmailCode("sign");
    useFactor("email");
    setError("signature-error", () => t("email_code_sent"), "info");
    $("sign-email-code").focus();
  } catch (error) {
    setError("signature-error", explained(error));
  }
}

const codeField = () => (state.factor === "totp" ? "sign-totp" : "sign-email-code");

async function submitSignature(event) {
  event.preventDefault();
  const dialog = $("dlg-signature");
  const kind = signatureKind();
  const pin = $("sign-pin").value;
  const code = $(codeField()).value.replace(/\s+/g, "");
  const problems = [];
  if (kind === "drawn" && (!state.pad || state.pad.isEmpty())) {
    problems.push({ id: "kind-drawn", anchor: "pad-wrap", text: () => t("signature_required") });
  }
  if (kind === "typed" && !$("typed-name").value.trim()) problems.push({ id: "typed-name", text: () => t("typed_required") });
  if (!pin) problems.push({ id: "sign-pin", text: () => t("pin_required") });
  if (!/^\d{6}$/.test(code)) {
    problems.push({ id: codeField(), text: () => t(state.factor === "totp" ? "totp_format" : "email_code_format") });
  }
  setError("signature-error", "");
  if (showFieldErrors(dialog, "signature-error", problems)) return;
  const button = $("signature-submit");
  busy(button, true);
  setError("signature-error", () => t("signing"), "info");
  try {
    const factor = state.factor === "totp" ? { totp: code } : { email_code: code };
    const { activation } = await apiJson("POST", "/v1/signer/authorize", {
      document_sha256: state.documentSha256, pin, ...factor,
    });
    const image = kind === "typed" ? $("typed-preview") : $("signature-pad");
    await apiJson("POST", "/v1/signer/sign", {
      activation,
      document_sha256: state.documentSha256,
      consent: true,
      signature_png_base64: signaturePng(image),
      signature_kind: kind,
    });
    $("sign-pin").value = "";
    closeDialog(dialog);
    await messageDialog(() => t("success_title"), () => t("success_text"));
    await start();
  } catch (error) {
    $("sign-pin").value = "";
    // A code is spent or wrong once tried: the next try needs a new one.
    $("sign-totp").value = "";
    $("sign-email-code").value = "";
    setError("signature-error", "");
    await signingFailed(error);
  } finally {
    busy(button, false);
  }
}

/** F5: each failure in its dialog; the signature dialog stays for another try, the field at fault marked. */
async function signingFailed(error) {
  const signature = $("dlg-signature");
  if (error.code === "pin_blocked") {
    closeDialog(signature);
    openDialog($("dlg-blocked"));
    return;
  }
  if (error.code === "document_changed" || error.code === "already_done" || error.status === 401 || error.status === 410) {
    closeDialog(signature);
    await messageDialog(() => t("fail_title"), () => errorText(error));
    await start();
    return;
  }
  const extra = () => {
    const left = error.body?.attempts_left;
    const parts = [left === undefined ? "" : t("attempts_left", { n: left })];
    if (error.code.startsWith("totp_")) parts.push(t("try_email_code"));
    return parts.filter(Boolean).join(" ");
  };
  signature.close();
  await messageDialog(() => t("fail_title"), () => errorText(error), extra);
  signature.showModal();
  const field = serverProblems(error, {}, { pin_: "sign-pin", totp_: "sign-totp", email_code_: "sign-email-code", factor_: codeField() });
  if (!showFieldErrors(signature, "signature-error", field)) $("sign-pin").focus();
}

async function submitReview(action) {
  setError("review-error", "");
  const comment = $("review-comment").value.trim();
  if (action === "request_changes" && !comment) {
    showFieldErrors($("review-controls"), "review-error", [{ id: "review-comment", text: () => t("comment_required") }]);
    return;
  }
  if (action === "confirm" && !(await confirmDialog(() => t("review_confirm_text"), () => t("review_confirm")))) return;
  const button = $(action === "confirm" ? "review-confirm" : "review-request");
  busy(button, true);
  try {
    const body = action === "confirm" ? { action } : { action, comment };
    const reviewed = await apiJson("POST", "/v1/signer/review", body);
    await messageDialog(() => t("review_done_title"), () => serverMessage(reviewed));
    await start();
  } catch (error) {
    setError("review-error", explained(error));
  } finally {
    busy(button, false);
  }
}

// ---------------------------------------------------------------- F6 PIN reset

function showReset() {
  $("reset-details").hidden = true;
  $("reset-submit").hidden = true;
  setError("reset-error", "");
  clearFieldErrors($("screen-reset"));
  show("screen-reset");
  history.replaceState(null, "", `${location.pathname}#lupa-pin`);
}

async function checkResetEmail() {
  setError("reset-error", "");
  const email = $("reset-email").value.trim();
  if (showFieldErrors($("screen-reset"), "reset-error", missing([["reset-email", "field_email"]]))) return;
  try {
    await apiJson("POST", "/v1/signer/pin-reset/check", { email });
    await messageDialog(() => t("check_ok_title"), () => t("check_ok_text"));
    $("reset-details").hidden = false;
    $("reset-submit").hidden = false;
    $("reset-id").focus();
  } catch (error) {
    const left = error.body?.attempts_left;
    await messageDialog(() => t("check_fail_title"), () => errorText(error), () => (left === undefined ? "" : t("attempts_left", { n: left })));
  }
}

async function submitReset(event) {
  event.preventDefault();
  const body = {
    email: $("reset-email").value.trim(),
    id_number: $("reset-id").value.trim(),
    email_code: $("reset-code").value.replace(/\s+/g, ""),
    new_pin: $("reset-pin").value,
    new_pin_confirm: $("reset-pin-confirm").value,
  };
  const problems = missing([
    ["reset-email", "field_email"], ["reset-id", "field_id"], ["reset-code", "field_email_code"],
    ["reset-pin", "field_new_pin"], ["reset-pin-confirm", "field_new_pin_confirm"],
  ]);
  if (body.email_code && !/^\d{6}$/.test(body.email_code)) problems.push({ id: "reset-code", text: () => t("email_code_format") });
  problems.push(...pinProblems("reset-pin", "reset-pin-confirm"));
  setError("reset-error", "");
  if (showFieldErrors($("screen-reset"), "reset-error", problems)) return;
  const button = $("reset-submit");
  busy(button, true);
  try {
    await apiJson("POST", "/v1/signer/pin-reset", body);
    for (const id of ["reset-id", "reset-code", "reset-pin", "reset-pin-confirm"]) $(id).value = "";
    await messageDialog(() => t("reset_ok_title"), () => t("reset_ok_text"));
    backToSigning();
  } catch (error) {
    const fields = { email: "reset-email", id_number: "reset-id", email_code: "reset-code", new_pin: "reset-pin", pin: "reset-pin", new_pin_confirm: "reset-pin-confirm" };
    const problems = serverProblems(error, fields, {
      identity_: "reset-id", email_code_: "reset-code", pin_mismatch: "reset-pin-confirm", pin_: "reset-pin",
    });
    if (!showFieldErrors($("screen-reset"), "reset-error", problems)) setError("reset-error", explained(error));
  } finally {
    busy(button, false);
  }
}

function backToSigning() {
  history.replaceState(null, "", location.pathname);
  start();
}

// ---------------------------------------------------------------- wiring

function wire() {
  $("lang").addEventListener("click", () => {
    setLanguage(language() === "ms" ? "en" : "ms");
    // The button names the other language, in that language.
    $("lang").lang = language() === "ms" ? "en" : "ms";
    if (state.session) fillFields(state.session);
    for (const container of document.querySelectorAll("[data-rules-for]")) {
      renderRules(container, $(container.dataset.rulesFor).value);
    }
    if (state.countries.length) labelCountries();
    if ($("totp-qr").hasAttribute("src")) $("totp-qr").alt = t("totp_qr_alt");
    if (!$("typed-block").hidden) renderTypedSignature();
    relabelPages();
    retranslateMessages();
  });
  watchFields();
  wireDocumentView();
  for (const radio of document.querySelectorAll("input[name=signature-kind]")) {
    radio.addEventListener("change", () => useSignatureKind(signatureKind()));
  }
  $("typed-name").addEventListener("input", renderTypedSignature);
  $("message-reload").addEventListener("click", () => location.reload());
  for (const container of document.querySelectorAll("[data-rules-for]")) bindRules(container);
  $("screen-certificate").addEventListener("submit", submitCertificate);
  $("sign-start").addEventListener("click", startSigning);
  $("forgot-pin-link").addEventListener("click", showReset);
  $("signature-form").addEventListener("submit", submitSignature);
  $("signature-clear").addEventListener("click", () => state.pad?.clear());
  $("signature-cancel").addEventListener("click", () => closeDialog($("dlg-signature")));
  $("totp-help").addEventListener("click", askEmailCode);
  $("resend-code").addEventListener("click", askEmailCode);
  $("use-totp").addEventListener("click", () => useFactor("totp"));
  $("dlg-blocked-reset").addEventListener("click", () => {
    closeDialog($("dlg-blocked"));
    showReset();
  });
  $("dlg-blocked-ok").addEventListener("click", () => closeDialog($("dlg-blocked")));
  $("review-confirm").addEventListener("click", () => submitReview("confirm"));
  $("review-request").addEventListener("click", () => submitReview("request_changes"));
  $("reset-check").addEventListener("click", checkResetEmail);
  $("reset-send-code").addEventListener("click", async () => {
    try {
      await sendEmailCode("pin_reset");
      setError("reset-error", () => t("email_code_sent"), "info");
    } catch (error) {
      setError("reset-error", explained(error));
    }
  });
  $("screen-reset").addEventListener("submit", submitReset);
  $("reset-back").addEventListener("click", backToSigning);
}

setLanguage("ms");
wire();
start();
