// Labels page: the "tick every device listed" box in the table head.
(function () {
  "use strict";
  var all = document.getElementById("tick-all");
  if (!all) return;
  var boxes = function () {
    return document.querySelectorAll('#label-form input[name="barcodes"]');
  };
  all.addEventListener("change", function () {
    boxes().forEach(function (box) { box.checked = all.checked; });
  });
})();
