// The circulation desk, built for a barcode scanner in keyboard mode.
// - The scan field keeps the focus: after every result, after a click anywhere that is not a
//   form control, and after using the mode switch or a Renew button.
// - Enter (CR/LF) ends a scan; so does Tab when the field has text (in an empty field Tab
//   moves on as usual, so keyboard users can reach the other controls).
// - Scans go into a queue sent one at a time, in order: keys typed while a request runs stay in
//   the field and become the next scan. The server answers each with an HTML fragment (the
//   result and the patron panel), which replaces the old ones; no page reload.
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  var field = document.getElementById("scan");
  if (!form || !field) return;
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var resultArea = document.getElementById("result");
  var log = document.getElementById("scan-log");
  var label = document.getElementById("scan-label");
  var queue = [];
  var busy = false;
  var LABELS = {
    checkout: "Scan a library card, then each device",
    checkin: "Scan a device to check in",
  };
  var MAX_LOG = 100;
  var todoList = document.getElementById("todo-list");
  var ACTION_LIST_KEY = "lending-desk-todo";

  function mode() {
    var checked = form.querySelector('input[name="mode"]:checked');
    return checked ? checked.value : "checkout";
  }

  function patronCard() {
    return document.getElementById("patron-card").value;
  }

  // The program chosen for checkouts (the desk shows the list when the actor has programs).
  function program() {
    var select = document.getElementById("program");
    return select ? select.value : "";
  }

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

  // One scan from the field: what is in it now becomes a queued request; the field is
  // emptied at once so the next scan's keys start fresh.
  function takeScan() {
    var code = field.value;
    field.value = "";
    enqueue({ url: "/desk/scan", data: { mode: mode(), code: code }, code: code });
  }

  function enqueue(item) {
    queue.push(item);
    drain();
  }

  async function drain() {
    if (busy) return;
    busy = true;
    try {
      while (queue.length) {
        await send(queue.shift());
      }
    } finally {
      busy = false;
      form.removeAttribute("aria-busy");
    }
  }

  async function send(item) {
    form.setAttribute("aria-busy", "true");
    // Offline (static/offline.js): the scan is queued on this computer instead.
    var offline = window.lendingOffline;
    if (offline && await offline.take(item)) return;
    var body = new URLSearchParams(item.data);
    if (!body.has("patron")) body.set("patron", patronCard());
    if (item.url === "/desk/scan" && !body.has("program")) body.set("program", program());
    var response;
    try {
      response = await fetch(item.url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "x-csrftoken": token, "x-desk-fragment": "1" },
      });
    } catch (err) {
      if (offline && await offline.failed(item)) return;
      showLocal("Not done: the server could not be reached", "Scan " + (item.code || "it") + " again.");
      return;
    }
    var path = new URL(response.url, location.href).pathname;
    if (response.redirected || path !== item.url) {
      showLocal("Your login has ended", "Reload the page, log in again, then scan " + (item.code || "it") + " again.");
      return;
    }
    if (!response.ok) {
      var why = response.status === 403
        ? "Reload the page and try again."
        : "Something went wrong on our side. Scan " + (item.code || "it") + " again.";
      showLocal("Not done (error " + response.status + ")", why);
      return;
    }
    apply(await response.text());
  }

  function apply(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var result = template.content.querySelector(".result");
    var panel = template.content.querySelector("#patron-panel");
    if (panel) {
      document.getElementById("patron-panel").replaceWith(panel);
      document.getElementById("patron-card").value = panel.getAttribute("data-card") || "";
    }
    if (result) show(result);
    refocus();
  }

  function showLocal(title, line) {
    var div = document.createElement("div");
    div.className = "result bad";
    div.setAttribute("data-outcome", "bad");
    div.setAttribute("data-action", "error");
    var p = document.createElement("p");
    p.className = "result-title";
    p.innerHTML = '<span class="icon" aria-hidden="true">✗</span><span class="visually-hidden">Not done: </span>';
    p.appendChild(document.createTextNode(title));
    var q = document.createElement("p");
    q.textContent = line;
    div.appendChild(p);
    div.appendChild(q);
    show(div);
    refocus();
  }

  // The to-do list: check-in routings the clerk must act on (hold shelf, return to service,
  // repair, kit part missing). Each stays until its Done button is used, whatever is scanned
  // after it; the list is kept in sessionStorage so a reload does not lose it.
  function saveTodo() {
    var count = todoList.children.length;
    document.getElementById("todo-count").textContent = "(" + count + ")";
    document.getElementById("todo-empty").hidden = count > 0;
    try { sessionStorage.setItem(ACTION_LIST_KEY, todoList.innerHTML); } catch (err) { /* private mode */ }
  }

  function addTodo(result) {
    var entry = result.querySelector("template.todo-entry");
    if (!entry) return;
    todoList.appendChild(entry.content.cloneNode(true));
    entry.remove();
    saveTodo();
  }

  function restoreTodo() {
    var saved = null;
    try { saved = sessionStorage.getItem(ACTION_LIST_KEY); } catch (err) { saved = null; }
    // A page that was itself the answer to a scan (no JS) already lists that scan's entry.
    var fresh = todoList.innerHTML;
    if (saved) {
      todoList.innerHTML = saved;
      todoList.insertAdjacentHTML("beforeend", fresh);
    }
    saveTodo();
  }

  function show(result) {
    addTodo(result);
    resultArea.replaceChildren(result);
    var item = document.createElement("li");
    var copy = result.cloneNode(true);
    copy.classList.add("logged");
    // The log keeps what happened, not the kit checklist's form (its fields stay unique).
    copy.querySelectorAll("form, template").forEach(function (f) { f.remove(); });
    item.appendChild(copy);
    log.insertBefore(item, log.firstChild);
    while (log.children.length > MAX_LOG) log.removeChild(log.lastChild);
    var empty = document.getElementById("log-empty");
    if (empty) empty.hidden = true;
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
      if (code !== "") enqueue({ url: "/desk/scan", data: { mode: mode(), code: code }, code: code });
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    takeScan();
    refocus();
  });

  form.addEventListener("change", function (event) {
    if (event.target.name === "program") {
      refocus();
      return;
    }
    if (event.target.name !== "mode") return;
    form.setAttribute("data-mode", mode());
    label.textContent = LABELS[mode()];
    refocus();
  });

  // Renew buttons in the patron panel (the panel is replaced after each answer, so listen on
  // the document). Renewals join the same queue as scans.
  document.addEventListener("submit", function (event) {
    var renew = event.target.closest && event.target.closest(".renew-form");
    if (!renew) return;
    event.preventDefault();
    var data = {};
    new FormData(renew).forEach(function (value, key) {
      if (key !== "_csrf_token") data[key] = value;
    });
    enqueue({ url: "/desk/renew", data: data, code: data.device });
    refocus();
  });

  // The kit checklist after a checkin: sent through the same queue; the answer (the charges
  // made) replaces the checklist and the scan field has the focus again.
  document.addEventListener("submit", function (event) {
    var kit = event.target.closest && event.target.closest(".kit-form");
    if (!kit) return;
    event.preventDefault();
    var data = {};
    new FormData(kit).forEach(function (value, key) {
      if (key !== "_csrf_token") data[key] = value;
    });
    enqueue({ url: "/desk/kit", data: data, code: data.device });
    refocus();
  });

  // Done on a to-do entry: it leaves the list and the scan field has the focus again.
  document.addEventListener("submit", function (event) {
    var done = event.target.closest && event.target.closest(".todo-form");
    if (!done) return;
    event.preventDefault();
    done.closest(".todo-item").remove();
    saveTodo();
    refocus();
  });

  // A click anywhere that is not a form control or link gives the focus back to the field.
  document.addEventListener("click", function (event) {
    if (!isControl(event.target)) refocus();
    // The mode switch (even a click on the mode already chosen) hands the focus back too.
    else if (event.target.closest(".modes")) setTimeout(refocus, 0);
  });
  // Links such as "Print receipt" open a new tab; back here the field has the focus again.
  window.addEventListener("focus", function () {
    setTimeout(refocus, 0);
  });

  // Keys typed while focus is elsewhere (for instance on a radio button) are a scan arriving:
  // send them to the field, so none are lost.
  document.addEventListener("keydown", function (event) {
    if (event.target === field || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key.length !== 1 || event.key === " ") return;
    var el = event.target;
    if (el.matches && el.matches("textarea, select, input:not([type=radio]):not([type=checkbox]):not([type=hidden])")) return;
    event.preventDefault();
    field.focus();
    field.value += event.key;
  });

  window.lendingDesk = { show: show, refocus: refocus, patronCard: patronCard };  // offline.js
  restoreTodo();
  var first = resultArea.querySelector("template.todo-entry");
  if (first) first.remove();  // the full page (no JS answer) already listed it
  form.setAttribute("data-mode", mode());
  refocus();
})();
