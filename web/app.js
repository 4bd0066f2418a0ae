// The signer's page: reads the link token from /s/{token}, asks the session
// for the next step and shows that screen (FLOW.md F1–F6). Every API call
// carries the token as a bearer credential; nothing is stored in the browser.

import { t, setLanguage, language, serverMessage } from "./i18n.js";
import { checkPin, pinAcceptable } from "./pin_rules.js";

const $ = (id) => document.getElementById(id);
const ASSET_URLS = JSON.parse($("asset-urls").textContent);
const TOKEN = decodeURIComponent(location.pathname.replace(/^\/s\//, "").split("/")[0] || "");

const state = {
  session: null,
  documentSha256: null,
  documentUrl: null,
  pad: null,
  factor: "totp",
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
  $("status").textContent = "";
  const heading = $(screenId).querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
  document.body.dataset.screen = screenId.replace("screen-", "");
}

function showMessage(titleKey, textKey, { reload = false, summary = true } = {}) {
  $("message-title").textContent = t(titleKey);
  $("message-title").dataset.i18n = titleKey;
  $("message-text").textContent = t(textKey);
  $("message-text").dataset.i18n = textKey;
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

/** A message dialog; resolves when the user presses OK. */
function messageDialog(title, text, extra = "") {
  const dialog = $("dlg-message");
  $("dlg-message-title").textContent = title;
  $("dlg-message-text").textContent = text;
  $("dlg-message-extra").textContent = extra;
  $("dlg-message-extra").hidden = !extra;
  dialog.dataset.kind = title;
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
  $("dlg-confirm-text").textContent = text;
  $("dlg-confirm-yes").textContent = yesLabel;
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

/** Fills a message line; "info" shows it as news rather than a fault. */
function setError(id, text, kind = "error") {
  $(id).textContent = text;
  $(id).classList.toggle("info", kind === "info");
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
      $("message-title").textContent = t("error_title");
      $("message-text").textContent = errorText(error);
      $("message-reload").hidden = false;
      show("screen-message", { summary: false });
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

let countriesLoaded = false;

async function loadCountries() {
  if (countriesLoaded) return;
  const countries = await (await fetch("/v1/countries", { credentials: "omit" })).json();
  const select = $("nationality");
  for (const { code, name } of countries) {
    const option = document.createElement("option");
    option.value = code;
    option.textContent = name;
    select.append(option);
  }
  countriesLoaded = true;
}

async function showCertificate() {
  show("screen-certificate");
  try {
    await loadCountries();
  } catch {
    setError("cert-error", t("network_error"));
  }
}

function pinErrors(pin, confirm) {
  if (!pinAcceptable(pin)) return t("pin_rules_unmet");
  if (pin !== confirm) return t("pin_mismatch");
  return "";
}

async function submitCertificate(event) {
  event.preventDefault();
  const address = $("address").value.trim();
  const postcode = $("postcode").value.trim();
  const nationality = $("nationality").value;
  const pin = $("pin").value;
  const pinConfirm = $("pin-confirm").value;
  let problem = "";
  if (!address || !postcode || !nationality || !pin || !pinConfirm) problem = t("required");
  else if (!/^\d{5}$/.test(postcode)) problem = t("postcode_format");
  else problem = pinErrors(pin, pinConfirm);
  setError("cert-error", problem);
  if (problem) return;
  const button = $("cert-submit");
  busy(button, true);
  try {
    const issued = await apiJson("POST", "/v1/signer/certificate", {
      address, postcode, nationality, pin, pin_confirm: pinConfirm,
    });
    $("pin").value = "";
    $("pin-confirm").value = "";
    showEnrolment(issued);
  } catch (error) {
    const rules = error.body?.rule_messages?.map((r) => (language() === "ms" ? r.message_ms : r.message));
    setError("cert-error", [errorText(error), ...(rules || [])].join(" "));
  } finally {
    busy(button, false);
  }
}

/** F2.4: the success dialog with the one-time TOTP QR code. */
function showEnrolment(issued) {
  const qr = $("totp-qr");
  qr.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(issued.totp.qr_svg)}`;
  qr.alt = t("totp_qr_alt");
  qr.dataset.otpauth = issued.totp.uri;
  const secret = new URL(issued.totp.uri).searchParams.get("secret") || "";
  $("totp-key").textContent = secret.replace(/(.{4})/g, "$1 ").trim();
  const dialog = $("dlg-certificate");
  openDialog(dialog);
  const done = () => {
    // The secret leaves the page once the dialog closes.
    qr.removeAttribute("src");
    delete qr.dataset.otpauth;
    $("totp-key").textContent = "";
    closeDialog(dialog);
    start();
  };
  $("dlg-certificate-ok").onclick = done;
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
    $("pdf-placeholder").textContent = errorText(error);
    return;
  }
  if (state.documentUrl) URL.revokeObjectURL(state.documentUrl);
  state.documentUrl = URL.createObjectURL(new Blob([bytes], { type: "application/pdf" }));
  const link = $("pdf-download");
  link.href = state.documentUrl;
  link.download = `eSPA-${state.session.serial || "dokumen"}.pdf`.replace(/[^\w.-]+/g, "_");
  link.hidden = false;
  try {
    await renderPdf(viewer, bytes);
  } catch {
    $("pdf-placeholder").textContent = t("pdf_failed");
  } finally {
    viewer.setAttribute("aria-busy", "false");
  }
}

async function renderPdf(viewer, bytes) {
  const pdfjs = await loadScript("pdfjs");
  pdfjs.GlobalWorkerOptions.workerSrc = ASSET_URLS.pdfjs_worker;
  const pdf = await pdfjs.getDocument({ data: bytes, isEvalSupported: false, enableXfa: false }).promise;
  const pages = [];
  for (let n = 1; n <= pdf.numPages; n += 1) {
    const page = await pdf.getPage(n);
    const width = Math.max(viewer.clientWidth - 24, 200);
    const unscaled = page.getViewport({ scale: 1 });
    const scale = width / unscaled.width;
    const ratio = window.devicePixelRatio || 1;
    const viewport = page.getViewport({ scale: scale * ratio });
    const canvas = document.createElement("canvas");
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.className = "pdf-page";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", t("page_label", { n, total: pdf.numPages }));
    await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
    pages.push(canvas);
  }
  viewer.replaceChildren(...pages);
  viewer.dataset.pages = String(pdf.numPages);
}

function startSigning() {
  setError("sign-error", "");
  if (!$("consent").checked) {
    setError("sign-error", t("consent_required"));
    $("consent").focus();
    return;
  }
  confirmDialog(t("confirm_text"), t("confirm_sign")).then((yes) => {
    if (yes) openSignatureDialog();
  });
}

async function openSignatureDialog() {
  const dialog = $("dlg-signature");
  setError("signature-error", "");
  $("sign-pin").value = "";
  $("sign-totp").value = "";
  $("sign-email-code").value = "";
  useFactor(state.factor);
  openDialog(dialog);
  const canvas = $("signature-pad");
  const ratio = Math.max(window.devicePixelRatio || 1, 1);
  canvas.width = canvas.offsetWidth * ratio;
  canvas.height = canvas.offsetHeight * ratio;
  canvas.getContext("2d").scale(ratio, ratio);
  if (!state.pad) {
    const { default: SignaturePad } = await loadScript("signature_pad");
    state.pad = new SignaturePad(canvas, { penColor: "#0b2a6f", minWidth: 1, maxWidth: 2.6 });
  }
  state.pad.clear();
}

function useFactor(factor) {
  state.factor = factor;
  $("totp-block").hidden = factor !== "totp";
  $("email-code-block").hidden = factor !== "email";
}

/** The drawn signature as a PNG with the pad's shape, within what the server accepts (20–2000 × 10–1000). */
function signaturePng() {
  const source = $("signature-pad");
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
  const yes = await confirmDialog(t("totp_help_text", { email: state.session.email }), t("ok"));
  if (!yes) return;
  try {
    await sendEmailCode("sign");
    useFactor("email");
    setError("signature-error", t("email_code_sent"), "info");
    $("sign-email-code").focus();
  } catch (error) {
    setError("signature-error", errorText(error));
  }
}

async function submitSignature(event) {
  event.preventDefault();
  const pin = $("sign-pin").value;
  const code = (state.factor === "totp" ? $("sign-totp") : $("sign-email-code")).value.replace(/\s+/g, "");
  let problem = "";
  if (!state.pad || state.pad.isEmpty()) problem = t("signature_required");
  else if (!pin) problem = t("pin_required");
  else if (!/^\d{6}$/.test(code)) problem = t(state.factor === "totp" ? "totp_format" : "email_code_format");
  setError("signature-error", problem);
  if (problem) return;
  const button = $("signature-submit");
  busy(button, true);
  setError("signature-error", t("signing"), "info");
  try {
    const factor = state.factor === "totp" ? { totp: code } : { email_code: code };
    const { activation } = await apiJson("POST", "/v1/signer/authorize", {
      document_sha256: state.documentSha256, pin, ...factor,
    });
    await apiJson("POST", "/v1/signer/sign", {
      activation,
      document_sha256: state.documentSha256,
      consent: true,
      signature_png_base64: signaturePng(),
    });
    $("sign-pin").value = "";
    closeDialog($("dlg-signature"));
    await messageDialog(t("success_title"), t("success_text"));
    await start();
  } catch (error) {
    $("sign-pin").value = "";
    setError("signature-error", "");
    await signingFailed(error);
  } finally {
    busy(button, false);
  }
}

/** F5: each failure in its dialog; the signature dialog stays for another try. */
async function signingFailed(error) {
  const signature = $("dlg-signature");
  if (error.code === "pin_blocked") {
    closeDialog(signature);
    openDialog($("dlg-blocked"));
    return;
  }
  if (error.code === "document_changed" || error.code === "already_done" || error.status === 401 || error.status === 410) {
    closeDialog(signature);
    await messageDialog(t("fail_title"), errorText(error));
    await start();
    return;
  }
  const left = error.body?.attempts_left;
  let extra = left === undefined ? "" : t("attempts_left", { n: left });
  if (error.code.startsWith("totp_")) extra = [extra, t("try_email_code")].filter(Boolean).join(" ");
  signature.close();
  await messageDialog(t("fail_title"), errorText(error), extra);
  signature.showModal();
  $("sign-pin").focus();
}

async function submitReview(action) {
  setError("review-error", "");
  const comment = $("review-comment").value.trim();
  if (action === "request_changes" && !comment) {
    setError("review-error", t("comment_required"));
    $("review-comment").focus();
    return;
  }
  if (action === "confirm" && !(await confirmDialog(t("review_confirm_text"), t("review_confirm")))) return;
  const button = $(action === "confirm" ? "review-confirm" : "review-request");
  busy(button, true);
  try {
    const body = action === "confirm" ? { action } : { action, comment };
    const reviewed = await apiJson("POST", "/v1/signer/review", body);
    await messageDialog(t("review_done_title"), serverMessage(reviewed));
    await start();
  } catch (error) {
    setError("review-error", errorText(error));
  } finally {
    busy(button, false);
  }
}

// ---------------------------------------------------------------- F6 PIN reset

function showReset() {
  $("reset-details").hidden = true;
  $("reset-submit").hidden = true;
  setError("reset-error", "");
  show("screen-reset");
  history.replaceState(null, "", `${location.pathname}#lupa-pin`);
}

async function checkResetEmail() {
  setError("reset-error", "");
  const email = $("reset-email").value.trim();
  if (!email) {
    setError("reset-error", t("required"));
    return;
  }
  try {
    await apiJson("POST", "/v1/signer/pin-reset/check", { email });
    await messageDialog(t("check_ok_title"), t("check_ok_text"));
    $("reset-details").hidden = false;
    $("reset-submit").hidden = false;
    $("reset-id").focus();
  } catch (error) {
    const left = error.body?.attempts_left;
    await messageDialog(t("check_fail_title"), errorText(error), left === undefined ? "" : t("attempts_left", { n: left }));
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
  let problem = "";
  if (Object.values(body).some((v) => !v)) problem = t("required");
  else if (!/^\d{6}$/.test(body.email_code)) problem = t("email_code_format");
  else problem = pinErrors(body.new_pin, body.new_pin_confirm);
  setError("reset-error", problem);
  if (problem) return;
  const button = $("reset-submit");
  busy(button, true);
  try {
    await apiJson("POST", "/v1/signer/pin-reset", body);
    for (const id of ["reset-id", "reset-code", "reset-pin", "reset-pin-confirm"]) $(id).value = "";
    await messageDialog(t("reset_ok_title"), t("reset_ok_text"));
    backToSigning();
  } catch (error) {
    const left = error.body?.attempts_left;
    setError("reset-error", [errorText(error), left === undefined ? "" : t("attempts_left", { n: left })].join(" ").trim());
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
    if (state.session) fillFields(state.session);
    for (const container of document.querySelectorAll("[data-rules-for]")) {
      renderRules(container, $(container.dataset.rulesFor).value);
    }
  });
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
      setError("reset-error", t("email_code_sent"), "info");
    } catch (error) {
      setError("reset-error", errorText(error));
    }
  });
  $("screen-reset").addEventListener("submit", submitReset);
  $("reset-back").addEventListener("click", backToSigning);
}

setLanguage("ms");
wire();
start();
