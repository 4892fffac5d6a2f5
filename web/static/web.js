// Progressive help for the pages; every page works without it (post/redirect/get).
(function () {
  "use strict";
  // htmx requests carry the session's CSRF token like the forms do.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.body.getAttribute("data-csrf");
    if (token) event.detail.headers["X-CSRF-Token"] = token;
  });
  // GOV.UK pattern: move focus to the error summary so it is read out first.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-autofocus]");
    if (summary) summary.focus();
  });
  // Canned responses: insert the chosen text into the reply box, to edit before sending.
  document.addEventListener("change", function (event) {
    var picker = event.target.closest("[data-insert-into]");
    if (!picker || !picker.value) return;
    var box = document.getElementById(picker.getAttribute("data-insert-into"));
    var option = picker.options[picker.selectedIndex];
    var text = option.getAttribute("data-body") || "";
    box.value = box.value ? box.value + "\n\n" + text : text;
    box.focus();
    picker.value = "";
  });
})();
