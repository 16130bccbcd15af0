// The checkout receipt page: the Print button opens the browser's print dialog.
(function () {
  "use strict";
  var button = document.getElementById("print-receipt");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
