// Rejecting: picking a common reason copies its text into the reason box, to be edited.
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("id_template");
  var reason = document.getElementById("id_reason");
  if (!select || !reason) return;
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    if (option && option.dataset.text) reason.value = option.dataset.text;
  });
});
