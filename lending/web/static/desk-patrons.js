// New patron at the desk: a scanner ends the card number with Enter (or Tab); Enter there moves
// on to the next field instead of sending a half-filled form. The card field gets the focus only
// once that works (not by `autofocus`), so a card scanned the instant the page opens is never sent.
(function () {
  "use strict";
  document.querySelectorAll('input[data-scan="next"]').forEach(function (input) {
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.isComposing) return;
      event.preventDefault();
      var fields = Array.prototype.slice.call(input.form.querySelectorAll("input:not([type=hidden]), select"));
      var next = fields[fields.indexOf(input) + 1];
      if (next) next.focus();
    });
  });
  var first = document.querySelector("input[data-autofocus]");
  if (first) first.focus();
})();
