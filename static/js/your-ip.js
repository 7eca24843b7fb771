// "Your IP" beside "Whitelist IP": one click adds the address the portal sees for this
// browser to the field. Without this script the address is shown as text to copy.
"use strict";

document.querySelectorAll("[data-add-ip]").forEach((button) => {
  const field = document.getElementById(button.dataset.addIpTo);
  if (!field) return;
  const status = button.parentElement.querySelector("[data-add-ip-status]");
  button.hidden = false;
  button.addEventListener("click", () => {
    const ip = button.dataset.addIp;
    const entries = field.value.split(/[\s,]+/).filter(Boolean);
    if (entries.includes(ip)) {
      if (status) status.textContent = `${ip} is already in the whitelist.`;
    } else {
      const text = field.value.trimEnd();
      field.value = text ? `${text}\n${ip}` : ip;
      field.dispatchEvent(new Event("input", { bubbles: true }));
      if (status) status.textContent = `${ip} added to the whitelist.`;
    }
    field.focus();
  });
});
