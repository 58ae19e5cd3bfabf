/*
 * A "Copy" button for a secret shown once (templates/me/token_created.html).
 *
 * The page works without JavaScript: the secret is in a read-only <input> that one selects
 * and copies. With JavaScript the hidden <button data-copy-button> appears beside it; a click
 * copies the value (Clipboard API, else the old execCommand) and says so for a moment, also
 * to screen readers (the button's text changes). Clicking the input selects all of it.
 * No inline script: this file is loaded with <script src defer>.
 */
(function () {
  "use strict";

  var SHOWN_MS = 2500;

  function copyText(input) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(input.value);
    }
    input.focus();
    input.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (error) {
      ok = false;
    }
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function setup(box) {
    var input = box.querySelector("[data-copy-source]");
    var button = box.querySelector("[data-copy-button]");
    if (!input || !button) {
      return;
    }
    var label = button.textContent;
    var timer = null;
    input.addEventListener("focus", function () {
      input.select();
    });
    button.hidden = false;
    button.setAttribute("aria-live", "polite");
    button.addEventListener("click", function () {
      copyText(input).then(
        function () {
          button.textContent = button.getAttribute("data-copied-label") || label;
          button.classList.add("is-copied");
          window.clearTimeout(timer);
          timer = window.setTimeout(function () {
            button.textContent = label;
            button.classList.remove("is-copied");
          }, SHOWN_MS);
        },
        function () {
          input.focus();
          input.select(); // the reader copies it themselves
        }
      );
    });
  }

  document.querySelectorAll("[data-copy]").forEach(setup);
})();
