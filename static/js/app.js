// Small progressive enhancements; every page works without them.
"use strict";

// The page's polite status line (copy and download confirmations), if it has one.
function announce(text) {
  const status = document.querySelector("[data-copy-status]");
  if (status) status.textContent = text;
}

document.addEventListener("click", async (event) => {
  // Copy buttons: <button data-copy="#element-id" data-copy-what="API key">Copy</button>
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const text = (source.value !== undefined ? source.value : source.textContent).trim();
  const what = button.dataset.copyWhat;
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = what ? `${what} copied` : "Copied";
    announce(what ? `${what} copied to the clipboard.` : "Copied to the clipboard.");
  } catch (error) {
    // No clipboard permission (e.g. plain http): select the text for Ctrl+C instead.
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    button.textContent = "Press Ctrl+C";
    announce(`${what || "The text"} is selected: press Ctrl+C to copy it.`);
  }
  setTimeout(() => { button.textContent = label; }, 2500);
});

// The account menu closes on Escape, on a click elsewhere and when focus leaves it.
function closeMenus(except, refocus) {
  document.querySelectorAll("details.usermenu[open]").forEach((menu) => {
    if (menu === except) return;
    menu.removeAttribute("open");
    if (refocus) menu.querySelector("summary").focus();
  });
}
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeMenus(null, true);
});
document.addEventListener("click", (event) => {
  closeMenus(event.target.closest("details.usermenu"), false);
});
document.addEventListener("focusout", (event) => {
  const menu = event.target.closest("details.usermenu[open]");
  if (menu && event.relatedTarget && !menu.contains(event.relatedTarget)) {
    menu.removeAttribute("open");
  }
});

// After a form error: a summary at the top of the form, linking to each field in error,
// takes the focus (a screen reader reads it; a keyboard user jumps to the field).
function summariseErrors() {
  const errors = [...document.querySelectorAll("main .field-error[id$='_error']")];
  if (!errors.length) return;
  const form = errors[0].closest("form");
  const summary = document.createElement("div");
  summary.className = "alert alert-error error-summary";
  summary.tabIndex = -1;
  summary.setAttribute("role", "alert");
  summary.dataset.testid = "error-summary";
  const title = document.createElement("p");
  title.textContent = errors.length === 1 ? "This form has 1 error:" : `This form has ${errors.length} errors:`;
  const list = document.createElement("ul");
  errors.forEach((error) => {
    const fieldId = error.id.slice(0, -"_error".length);
    const found = document.getElementById(fieldId) || document.querySelector(`[aria-describedby~="${error.id}"]`);
    // A radio group (templates/_field.html) is a fieldset: its legend names it, its first radio takes the focus.
    const group = found && found.tagName === "FIELDSET" ? found : null;
    const field = group ? group.querySelector("input") : found;
    const name = group ? group.querySelector("legend") : field && field.labels && field.labels[0];
    const label = name ? name.textContent.replace("(optional)", "").trim() : "";
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `#${field ? field.id : error.id}`;
    const lead = label.endsWith("?") ? `${label} ` : label ? `${label}: ` : "";  // a question ends itself
    link.textContent = lead + error.textContent.trim();
    link.addEventListener("click", (event) => {
      if (!field) return;
      event.preventDefault();
      field.focus();
    });
    item.append(link);
    list.append(item);
  });
  summary.append(title, list);
  // Inside the form, at its top: beside it, the summary would take the form's place in a
  // grid (the apply form's column at 1280 px).
  if (form) form.prepend(summary);
  else errors[0].before(summary);
  summary.focus();
}

// The once-only secret page ([data-once-only]): hard to lose.
function keepTheSecret(card) {
  let saved = false;
  window.addEventListener("beforeunload", (event) => {
    if (saved) return;
    event.preventDefault();
    event.returnValue = "";  // the browser asks "leave page?" in its own words
  });
  document.querySelectorAll("a[href]").forEach((link) => {
    if (link.hasAttribute("data-saved") || link.getAttribute("href").startsWith("#")) return;
    link.target = "_blank";
    link.rel = "noopener";
  });
  card.querySelector("[data-saved]").addEventListener("click", () => { saved = true; });
  const download = card.querySelector("[data-download-credentials]");
  const data = document.getElementById("credentials");
  if (!download || !data) return;
  download.hidden = false;
  download.addEventListener("click", () => {
    // Built here, from the page: the server never stores or serves the file.
    const credentials = JSON.parse(data.textContent);
    const url = URL.createObjectURL(new Blob([credentials.text], { type: "text/plain" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = credentials.filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    announce(`Credentials downloaded as ${credentials.filename}.`);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  summariseErrors();
  const card = document.querySelector("[data-once-only]");
  if (card) keepTheSecret(card);
});

// Passkeys (django-otp-webauthn's script runs the ceremony): once one is added, the
// Security page loads again to list it, with the server's message.
document.addEventListener("otp_webauthn.register_complete", () => {
  window.location.reload();
});
