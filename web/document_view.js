// The agreement on the document step: pdf.js pages with a text layer (screen
// readers and text selection work on every page, portal PDFs included), zoom
// controls, and for a rendered eSPA the "read as text" view built from the
// same blocks the server drew the PDF from (GET /v1/signer/document/text).

import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];

const view = { pdfjs: null, pdf: null, zoom: 1, drawing: null, text: null, showingText: false };

/** Renders `bytes` into the viewer (fit to width). */
export async function showPdf(pdfjs, bytes) {
  view.pdfjs = pdfjs;
  view.pdf = await pdfjs.getDocument({ data: bytes, isEvalSupported: false, enableXfa: false }).promise;
  view.zoom = 1;
  await drawPages();
}

async function drawPages() {
  const viewer = $("pdf-viewer");
  const { pdf, pdfjs } = view;
  const fitWidth = Math.max(viewer.clientWidth - 24, 200);
  const ratio = window.devicePixelRatio || 1;
  const sheets = [];
  for (let n = 1; n <= pdf.numPages; n += 1) {
    const page = await pdf.getPage(n);
    const unscaled = page.getViewport({ scale: 1 });
    const scale = (fitWidth / unscaled.width) * view.zoom;
    const viewport = page.getViewport({ scale });
    const sheet = document.createElement("div");
    sheet.className = "pdf-sheet";
    sheet.setAttribute("role", "group");
    sheet.setAttribute("aria-label", t("page_label", { n, total: pdf.numPages }));
    sheet.dataset.page = String(n);
    // The sheet keeps its share of the viewer's width (a turned phone, a resized
    // window); the text layer follows through --scale-factor (see fitTextLayers).
    sheet.style.setProperty("--scale-factor", String(scale));
    sheet.style.width = `${view.zoom * 100}%`;
    sheet.style.aspectRatio = `${unscaled.width} / ${unscaled.height}`;
    sheet.dataset.width = String(unscaled.width);
    // The picture of the page; what it says is in the text layer above it.
    const canvas = document.createElement("canvas");
    canvas.className = "pdf-page";
    canvas.setAttribute("aria-hidden", "true");
    const device = page.getViewport({ scale: scale * ratio });
    canvas.width = Math.floor(device.width);
    canvas.height = Math.floor(device.height);
    await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport: device }).promise;
    const textLayer = document.createElement("div");
    textLayer.className = "textLayer";
    sheet.append(canvas, textLayer);
    await new pdfjs.TextLayer({ textContentSource: page.streamTextContent(), container: textLayer, viewport }).render();
    sheets.push(sheet);
  }
  viewer.replaceChildren(...sheets);
  fitTextLayers();
  viewer.dataset.pages = String(pdf.numPages);
  $("zoom-level").textContent = `${Math.round(view.zoom * 100)}%`;
  $("zoom-out").disabled = view.zoom <= ZOOMS[0];
  $("zoom-in").disabled = view.zoom >= ZOOMS[ZOOMS.length - 1];
}

async function zoomTo(zoom) {
  if (!view.pdf || zoom === view.zoom) return;
  view.zoom = zoom;
  // One redraw at a time; the last asked-for zoom wins.
  view.drawing = (view.drawing || Promise.resolve()).then(drawPages);
  await view.drawing;
}

function step(direction) {
  const at = ZOOMS.indexOf(view.zoom);
  const next = ZOOMS[Math.min(Math.max(at + direction, 0), ZOOMS.length - 1)];
  return zoomTo(next);
}

/** Asks whether a text view exists (rendered eSPAs only) and offers it. */
export async function offerTextView(apiJson) {
  view.text = null;
  showText(false);
  $("text-view-toggle").hidden = true;
  try {
    view.text = await apiJson("GET", "/v1/signer/document/text");
  } catch {
    return; // a portal's own PDF: the text layer is the way to read it
  }
  renderText(view.text.blocks || []);
  $("text-view-toggle").hidden = false;
}

function element(tag, text, className) {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  if (className) el.className = className;
  return el;
}

function table(block) {
  const out = element("table");
  const head = out.createTHead().insertRow();
  block.header.forEach((text, i) => {
    const th = element("th", text, block.numeric[i] ? "num" : undefined);
    th.scope = "col";
    head.append(th);
  });
  const body = out.createTBody();
  block.rows.forEach((row, r) => {
    const tr = body.insertRow();
    if (block.total_row && r === block.rows.length - 1) tr.className = "total";
    row.forEach((text, i) => tr.append(element("td", text, block.numeric[i] ? "num" : undefined)));
  });
  return out;
}

function renderText(blocks) {
  const root = $("text-view");
  const out = [];
  for (const block of blocks) {
    switch (block.type) {
      case "title": out.push(element("h2", block.text)); break;
      case "subtitle": out.push(element("p", block.text, "subtitle")); break;
      case "heading": out.push(element("h3", block.text)); break;
      case "paragraph": out.push(element("p", block.text)); break;
      case "note": out.push(element("p", block.text, "note")); break;
      case "fields": {
        const list = element("dl", undefined, "fields");
        for (const [label, value] of block.rows) {
          const row = element("div");
          row.append(element("dt", label), element("dd", value));
          list.append(row);
        }
        out.push(list);
        break;
      }
      case "table": out.push(table(block)); break;
      case "clause":
        out.push(element("h4", `${block.number}. ${block.title}`));
        for (const text of block.paragraphs) out.push(element("p", text));
        break;
      default: break;
    }
  }
  root.replaceChildren(...out);
}

function showText(on) {
  view.showingText = on;
  $("text-view").hidden = !on;
  $("pdf-viewer").hidden = on;
  $("zoom-controls").hidden = on;
  const toggle = $("text-view-toggle");
  toggle.setAttribute("aria-expanded", String(on));
  toggle.dataset.i18n = on ? "show_pdf" : "read_as_text";
  toggle.textContent = t(toggle.dataset.i18n);
}

/** Keeps each text layer on its page picture when the viewer changes width. */
function fitTextLayers() {
  for (const sheet of document.querySelectorAll(".pdf-sheet")) {
    const width = sheet.getBoundingClientRect().width;
    if (width > 0) sheet.style.setProperty("--scale-factor", String(width / Number(sheet.dataset.width)));
  }
}

export function wireDocumentView() {
  new ResizeObserver(fitTextLayers).observe($("pdf-viewer"));
  $("zoom-in").addEventListener("click", () => step(1));
  $("zoom-out").addEventListener("click", () => step(-1));
  $("zoom-fit").addEventListener("click", () => zoomTo(1));
  $("text-view-toggle").addEventListener("click", () => {
    showText(!view.showingText);
    if (view.showingText) $("text-view").focus();
  });
}

/** Page labels follow the language. */
export function relabelPages() {
  const total = $("pdf-viewer").dataset.pages;
  for (const sheet of document.querySelectorAll(".pdf-sheet")) {
    sheet.setAttribute("aria-label", t("page_label", { n: sheet.dataset.page, total }));
  }
}
