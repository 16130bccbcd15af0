// The shelf-audit scanning page, built like the desk (desk.js) for a barcode scanner in
// keyboard mode: the scan field keeps the focus; Enter (or Tab with text in the field) ends a
// scan; scans are sent one at a time, in order; the server answers each with an HTML fragment
// (the scan's result and the live lists with their counts) that replaces the old ones.
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  var field = document.getElementById("scan");
  if (!form || !field) return;
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var url = form.getAttribute("action");
  var resultArea = document.getElementById("result");
  var queue = [];
  var busy = false;

  function refocus() {
    if (document.activeElement !== field) {
      field.focus();
      var end = field.value.length;
      field.setSelectionRange(end, end);
    }
  }

  function isControl(el) {
    return !!(el && el.closest && el.closest("input, button, select, textarea, a, label, summary"));
  }

  function enqueue(code) {
    queue.push(code);
    drain();
  }

  function takeScan() {
    var code = field.value;
    field.value = "";
    enqueue(code);
  }

  async function drain() {
    if (busy) return;
    busy = true;
    try {
      while (queue.length) await send(queue.shift());
    } finally {
      busy = false;
      form.removeAttribute("aria-busy");
    }
  }

  async function send(code) {
    form.setAttribute("aria-busy", "true");
    var body = new URLSearchParams({ barcode: code });
    var response;
    try {
      response = await fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "x-csrftoken": token, "x-audit-fragment": "1" },
      });
    } catch (err) {
      showLocal("Not recorded: the server could not be reached", "Scan " + (code || "it") + " again.");
      return;
    }
    var path = new URL(response.url, location.href).pathname;
    if (response.redirected || path !== url) {
      showLocal("Your login has ended", "Reload the page, log in again, then scan " + (code || "it") + " again.");
      return;
    }
    if (!response.ok) {
      showLocal("Not recorded (error " + response.status + ")", "Reload the page, then scan " + (code || "it") + " again.");
      return;
    }
    var template = document.createElement("template");
    template.innerHTML = await response.text();
    var result = template.content.querySelector(".result");
    var lists = template.content.querySelector("#audit-lists");
    if (lists) document.getElementById("audit-lists").replaceWith(lists);
    if (result) resultArea.replaceChildren(result);
    refocus();
  }

  function showLocal(title, line) {
    var div = document.createElement("div");
    div.className = "result bad";
    div.setAttribute("data-outcome", "bad");
    var p = document.createElement("p");
    p.className = "result-title";
    p.textContent = title;
    var q = document.createElement("p");
    q.textContent = line;
    div.appendChild(p);
    div.appendChild(q);
    resultArea.replaceChildren(div);
    refocus();
  }

  field.addEventListener("keydown", function (event) {
    if (event.isComposing) return;
    if (event.key === "Enter" || (event.key === "Tab" && !event.shiftKey && field.value !== "")) {
      event.preventDefault();
      takeScan();
    }
  });

  // A scanner (or a paste) may put CR, LF or Tab into the value itself: each ends a scan.
  field.addEventListener("input", function () {
    if (!/[\r\n\t]/.test(field.value)) return;
    var parts = field.value.split(/\r\n|[\r\n\t]/);
    field.value = parts.pop();
    parts.forEach(function (code) {
      if (code !== "") enqueue(code);
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    takeScan();
    refocus();
  });

  // A click on the page (not on a control) gives the focus back to the scan field.
  document.addEventListener("click", function (event) {
    if (!isControl(event.target)) refocus();
  });
  window.addEventListener("focus", function () {
    setTimeout(refocus, 0);
  });

  refocus();
})();
