// Small progressive enhancements; every page works without them.
"use strict";

document.addEventListener("click", async (event) => {
  // Copy buttons: <button data-copy="#element-id">Copy</button>
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const text = (source.value !== undefined ? source.value : source.textContent).trim();
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch (error) {
    // No clipboard permission (e.g. plain http): select the text for Ctrl+C instead.
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    button.textContent = "Press Ctrl+C";
  }
  setTimeout(() => { button.textContent = label; }, 1800);
});

document.addEventListener("keydown", (event) => {
  // Escape closes an open user menu.
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.usermenu[open]").forEach((menu) => {
    menu.removeAttribute("open");
    menu.querySelector("summary").focus();
  });
});
