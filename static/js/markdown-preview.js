/*
 * Live Markdown preview for the note editor (templates/organiser/notes.html).
 *
 * A form with data-preview-url holds textareas; each preview box
 * <div class="markdown-preview" data-preview-for="TEXTAREA-ID"> shows the HTML the server
 * renders and sanitises (exchange/markup.py) for that textarea, a moment after typing stops.
 * The HTML comes from our own endpoint, which sanitises it with nh3 exactly as the public page
 * does. Without JavaScript the form's "Preview" button does the same with a page reload.
 * No inline script: this file is loaded with <script src defer> (a strict CSP is planned).
 */
(function () {
  "use strict";

  var DELAY_MS = 400;

  function csrfToken(form) {
    var input = form.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function setup(form) {
    var url = form.getAttribute("data-preview-url");
    if (!url || !window.fetch) {
      return;
    }
    form.querySelectorAll(".markdown-preview[data-preview-for]").forEach(function (box) {
      var textarea = document.getElementById(box.getAttribute("data-preview-for"));
      var body = box.querySelector(".markdown-preview__body");
      if (!textarea || !body) {
        return;
      }
      var timer = null;
      var sent = 0; // only the answer to the latest request is shown

      function render() {
        var text = textarea.value;
        if (!text.trim()) {
          body.innerHTML = "";
          box.hidden = true;
          return;
        }
        var number = ++sent;
        var data = new FormData();
        data.append("text", text);
        data.append("csrf_token", csrfToken(form));
        fetch(url, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(form), Accept: "application/json" },
        })
          .then(function (response) {
            return response.ok ? response.json() : null;
          })
          .then(function (answer) {
            if (number !== sent || !answer || typeof answer.html !== "string") {
              return;
            }
            body.innerHTML = answer.html; // sanitised by the server (nh3)
            box.hidden = false;
          })
          .catch(function () {
            /* offline or logged out: the Preview button still works */
          });
      }

      textarea.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(render, DELAY_MS);
      });
    });
  }

  document.querySelectorAll("form[data-preview-url]").forEach(setup);
})();
