// The circulation desk with no connection (issue 14).
// - While online the desk keeps the offline kit (each kind's due date for a checkout made on
//   each of the coming days, and the cards that must not borrow) in IndexedDB, refreshed on
//   load and every 15 minutes.
// - When a scan cannot reach the server (or the browser says it is offline) the desk goes
//   offline: a banner says so and how many transactions wait; each scan is queued in IndexedDB
//   (database "lending-offline", store "queue") and shown as "Queued (offline)".
//   Check out offline: the first scan after "New patron" (or with no patron selected) is the
//   patron's card, the next scans are devices lent to that card. A card the kit lists as
//   blocked or expired is refused at once (nothing queued).
// - The queue survives a reload or a closed browser. Back online (the "online" event, or a
//   probe of /api/health every 10 s while offline), it is sent as ONE session whose id was
//   made with the batch: a retry after a failed upload sends the same id, and the server
//   replays a session once. Items leave IndexedDB only after the server answered 200.
// - "Export queue" downloads the queue as the upload body, for `lending offline import FILE`.
// - A small service worker (/desk/offline/sw.js) keeps a copy of /desk and its scripts so the
//   desk still opens when it is reloaded with no connection.
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  var banner = document.getElementById("offline-banner");
  if (!form || !banner || !form.hasAttribute("data-offline") || !window.indexedDB) return;

  var DB_NAME = "lending-offline";
  var QUEUE = "queue";
  var META = "meta";
  var KIT_EVERY_MS = 15 * 60 * 1000;
  var PROBE_EVERY_MS = 10 * 1000;
  var PATRON_KEY = "lending-offline-patron";
  var clerk = form.getAttribute("data-clerk") || "";
  var mayResolve = form.hasAttribute("data-offline-resolve");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var token = tokenMeta ? tokenMeta.content : "";
  var title = document.getElementById("offline-title");
  var help = document.getElementById("offline-help");
  var summary = document.getElementById("offline-summary");
  var newPatronButton = document.getElementById("offline-new-patron");
  var exportButton = document.getElementById("offline-export");
  var sendButton = document.getElementById("offline-send");

  var offline = false;
  var uploading = false;
  var probeTimer = null;
  var waiting = 0;
  var kit = null;
  var cards = {};
  var seq = 0;
  var patron = read(PATRON_KEY);
  var refusedCard = "";

  function read(key) {
    try { return sessionStorage.getItem(key) || ""; } catch (err) { return ""; }
  }

  function write(key, value) {
    try { sessionStorage.setItem(key, value); } catch (err) { /* private mode */ }
  }

  // ---- IndexedDB ----------------------------------------------------------------------
  var dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var open = indexedDB.open(DB_NAME, 1);
        open.onupgradeneeded = function () {
          var d = open.result;
          if (!d.objectStoreNames.contains(QUEUE)) d.createObjectStore(QUEUE, { keyPath: "id" });
          if (!d.objectStoreNames.contains(META)) d.createObjectStore(META);
        };
        open.onsuccess = function () { resolve(open.result); };
        open.onerror = function () { reject(open.error); };
      });
    }
    return dbPromise;
  }

  function run(store, mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(store, mode);
        var result;
        var request = work(tx.objectStore(store));
        if (request) request.onsuccess = function () { result = request.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function metaGet(key) { return run(META, "readonly", function (s) { return s.get(key); }); }
  function metaPut(key, value) { return run(META, "readwrite", function (s) { return s.put(value, key); }); }

  function allItems() {
    return run(QUEUE, "readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.seq - b.seq; });
    });
  }

  // This clerk's queue: the server takes only the uploader's own work.
  function ownItems() {
    return allItems().then(function (items) {
      return items.filter(function (item) { return item.clerk === clerk; });
    });
  }

  function removeItems(ids) {
    return run(QUEUE, "readwrite", function (s) {
      ids.forEach(function (id) { s.delete(id); });
      return null;
    });
  }

  function uid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "q-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  // The session the next queued scan joins: made once per batch and kept with it.
  function batchKey() { return "batch:" + clerk; }

  function currentBatch() {
    return metaGet(batchKey()).then(function (id) {
      if (id) return id;
      id = uid();
      return metaPut(batchKey(), id).then(function () { return id; });
    });
  }

  function addItem(item) {
    return currentBatch().then(function (session) {
      item.session = session;
      item.seq = Date.now() * 1000 + (seq++ % 1000);
      return run(QUEUE, "readwrite", function (s) { return s.add(item); });
    }).then(refreshCount);
  }

  function refreshCount() {
    return ownItems().then(function (items) {
      waiting = items.length;
      render();
      return items;
    });
  }

  // ---- the kit ------------------------------------------------------------------------
  function useKit(value) {
    kit = value || null;
    cards = {};
    if (kit && kit.cards) kit.cards.forEach(function (c) { cards[c.card] = c; });
  }

  function fetchKit() {
    if (offline) return Promise.resolve();
    return fetch("/desk/offline/kit", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok || response.redirected) return null;
        return response.json().then(function (value) {
          useKit(value);
          return metaPut("kit", value);
        });
      })
      .catch(function () { /* no connection: keep the kit we have */ });
  }

  function todayIn(timeZone) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: timeZone, year: "numeric", month: "2-digit", day: "2-digit",
    }).formatToParts(new Date()).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day;
  }

  // The provisional due date of a checkout made now: the kind is not known offline, so the
  // shortest of the kinds' due dates for today (the server sets the real one on upload).
  function provisionalDue() {
    if (!kit || !kit.kinds) return null;
    var today = todayIn(kit.timezone);
    var best = null;
    kit.kinds.forEach(function (k) {
      var due = k.due_by_day && k.due_by_day[today];
      if (due && (best === null || Date.parse(due) < Date.parse(best))) best = due;
    });
    return best;
  }

  function dayText(iso) {
    var options = { weekday: "short", month: "short", day: "numeric", year: "numeric" };
    if (kit && kit.timezone) options.timeZone = kit.timezone;
    return new Date(iso).toLocaleDateString("en-US", options);
  }

  // Blocked or expired (by the kit): the offline desk may not lend to the card.
  function cardTrouble(card) {
    var info = cards[card];
    if (!info) return null;
    var today = kit ? todayIn(kit.timezone) : "";
    if (info.blocked) return { refused: true, why: "is blocked" };
    if (info.expires_on && info.expires_on < today) {
      return { refused: true, why: "expired on " + info.expires_on };
    }
    if (info.expires_on) return { refused: false, why: "expires on " + info.expires_on };
    return null;
  }

  // ---- what a scan does offline --------------------------------------------------------
  function pad(n, width) { return String(n).padStart(width || 2, "0"); }

  function isoLocal(d) {
    var offset = -d.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    offset = Math.abs(offset);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      "." + pad(d.getMilliseconds(), 3) + sign + pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
  }

  function clean(raw) {
    var code = String(raw || "").replace(/\u0000/g, "").trim();
    if (/^[\d ]+$/.test(code) && code.replace(/ /g, "").length === 14) code = code.replace(/ /g, "");
    return code;
  }

  function result(kind, label, text, lines, code) {
    var div = document.createElement("div");
    div.className = "result " + kind;
    div.setAttribute("data-outcome", kind);
    div.setAttribute("data-action", kind === "queued" ? "queued" : "offline");
    div.setAttribute("data-code", code || "");
    var p = document.createElement("p");
    p.className = "result-title";
    var icon = document.createElement("span");
    icon.className = "icon";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = kind === "queued" ? "…" : kind === "bad" ? "✗" : "!";
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = label + ": ";
    p.appendChild(icon);
    p.appendChild(hidden);
    p.appendChild(document.createTextNode(text));
    div.appendChild(p);
    lines.forEach(function (line) {
      var q = document.createElement("p");
      q.textContent = line;
      div.appendChild(q);
    });
    return div;
  }

  function show(div) {
    if (window.lendingDesk) window.lendingDesk.show(div);
  }

  function setPatron(card) {
    patron = card;
    write(PATRON_KEY, card);
    var hiddenField = document.getElementById("patron-card");
    if (hiddenField) hiddenField.value = card;
    var panel = document.getElementById("patron-panel");
    if (panel) {
      panel.setAttribute("data-card", card);
      panel.replaceChildren();
      var h = document.createElement("h2");
      h.id = "patron-heading";
      h.textContent = card ? "Card " + card + " (offline)" : "No patron selected (offline)";
      var p = document.createElement("p");
      p.className = "muted";
      p.textContent = card
        ? "Each device scanned now is lent to this card. Loans and holds show again when the connection is back."
        : "Check out: scan the patron's library card first, then each device.";
      panel.appendChild(h);
      panel.appendChild(p);
    }
  }

  function queueCheckout(code) {
    var due = provisionalDue();
    var item = { id: uid(), type: "checkout", device: code, patron: patron, at: isoLocal(new Date()), clerk: clerk };
    if (due) item.due_at = due;
    return addItem(item).then(function () {
      var lines = [due
        ? "Due by " + dayText(due) + " (provisional: the server sets the real due date when the queue is sent)."
        : "Due date: set by the server when the queue is sent."];
      lines.push("Give the device now; the loan is recorded when the connection is back.");
      show(result("queued", "Queued (offline)", "Queued (offline): check out " + code + " to card " + patron, lines, code));
    });
  }

  function offlineScan(mode, raw) {
    var code = clean(raw);
    if (!code) {
      show(result("bad", "Not done", "Nothing was scanned", ["Scan the barcode again."], ""));
      return Promise.resolve();
    }
    if (code.length > 64) {
      show(result("bad", "Not done", "That is too long to be a barcode", ["Scan it again."], code.slice(0, 20)));
      return Promise.resolve();
    }
    if (mode === "checkin") {
      return addItem({ id: uid(), type: "checkin", device: code, at: isoLocal(new Date()), clerk: clerk }).then(function () {
        show(result("queued", "Queued (offline)", "Queued (offline): check in " + code,
          ["Set it aside until the connection is back: the server then says where it goes (shelf, hold shelf, repair)."], code));
      });
    }
    var trouble = cardTrouble(code);
    if (trouble && trouble.refused) {
      setPatron("");
      refusedCard = code;
      show(result("bad", "Not done", "Not lent: card " + code + " " + trouble.why,
        ["The desk cannot lend to this card. Ask the patron to see a librarian.",
          "Press New patron, then scan the next patron's card."], code));
      return Promise.resolve();
    }
    if (trouble || (!patron && !refusedCard)) {
      refusedCard = "";
      setPatron(code);
      var lines = ["Offline: now scan each device to lend. Press New patron before the next patron's card."];
      if (trouble) lines.unshift("Card " + trouble.why + ": offer to renew it when the connection is back.");
      show(result(trouble ? "warn" : "queued", trouble ? "Note" : "Patron (offline)", "Patron: card " + code + " (offline)", lines, code));
      return Promise.resolve();
    }
    if (refusedCard) {
      show(result("bad", "Not done", "Not lent: " + code,
        ["Card " + refusedCard + " cannot borrow. Press New patron, then scan the next patron's card."], code));
      return Promise.resolve();
    }
    return queueCheckout(code);
  }

  // desk.js hands each scan here first; true: handled offline (queued or refused here).
  function take(item) {
    if (!offline) return Promise.resolve(false);
    return handle(item).then(function () { return true; });
  }

  // desk.js: the scan's request failed with a network error. Go offline and queue it.
  function failed(item) {
    goOffline();
    return handle(item).then(function () { return true; });
  }

  function handle(item) {
    var data = item.data || {};
    var work;
    if (item.url === "/desk/scan") {
      work = offlineScan(data.mode, data.code);
    } else if (item.url === "/desk/renew" && data.device) {
      var device = clean(data.device);
      work = addItem({ id: uid(), type: "renew", device: device, at: isoLocal(new Date()), clerk: clerk }).then(function () {
        show(result("queued", "Queued (offline)", "Queued (offline): renew " + device,
          ["The server renews it when the queue is sent, if the rules allow; the new due date shows then."], device));
      });
    } else {
      show(result("bad", "Not done", "Not done: there is no connection",
        ["Note the kit's parts on paper and record them when the connection is back."], data.device || ""));
      work = Promise.resolve();
    }
    return work.catch(function (err) {
      show(result("bad", "Not done", "Not saved: the browser could not store the scan",
        ["Write it down: " + (data.code || data.device || "") + ". (" + err + ")"], ""));
    });
  }

  // ---- the banner ---------------------------------------------------------------------
  function plural(n) { return n + " transaction" + (n === 1 ? "" : "s"); }

  function render() {
    var showIt = offline || waiting > 0 || summary.childNodes.length > 0;
    banner.hidden = !showIt;
    banner.setAttribute("data-state", offline ? "offline" : "online");
    banner.setAttribute("data-waiting", String(waiting));
    var text;
    if (offline) text = "Offline — " + plural(waiting) + " waiting";
    else if (uploading) text = "Back online — sending " + plural(waiting) + "…";
    else if (waiting) text = "Online — " + plural(waiting) + " waiting to be sent";
    else text = "Back online";
    if (title.textContent !== text) title.textContent = text;
    help.textContent = offline
      ? "No connection: each scan is saved on this computer and sent by itself when the connection is back. " +
        "Check out: scan the patron's library card first, then each device; press New patron before the next patron's card. " +
        "Due dates shown are provisional."
      : waiting ? "The queue is sent when the server answers; Export queue saves it to a file for a librarian." : "";
    newPatronButton.hidden = !offline;
    exportButton.hidden = waiting === 0;
    sendButton.hidden = offline || uploading || waiting === 0;
  }

  function goOffline() {
    if (offline) return;
    offline = true;
    if (!patron && window.lendingDesk) setPatron(window.lendingDesk.patronCard() || "");
    else setPatron(patron);
    if (!probeTimer) probeTimer = setInterval(probe, PROBE_EVERY_MS);
    render();
  }

  function goOnline() {
    if (!offline) return;
    offline = false;
    if (probeTimer) { clearInterval(probeTimer); probeTimer = null; }
    refusedCard = "";
    render();
    upload().then(fetchKit);
  }

  function probe() {
    return fetch("/api/health", { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { if (response.ok) goOnline(); })
      .catch(function () { /* still offline */ });
  }

  // ---- sending the queue --------------------------------------------------------------
  function groups(items) {
    var order = [];
    var by = {};
    items.forEach(function (item) {
      if (!by[item.session]) { by[item.session] = []; order.push(item.session); }
      by[item.session].push(item);
    });
    return order.map(function (id) { return { id: id, items: by[id] }; });
  }

  // The upload body (schemas.offline.OfflineSessionIn), also the exported file.
  function sessionBody(group) {
    return {
      id: group.id,
      service_point: kit ? kit.service_point : null,
      transactions: group.items.map(function (item) {
        var t = { id: item.id, type: item.type, device: item.device, at: item.at, clerk: item.clerk };
        if (item.type === "checkout") t.patron = item.patron;
        if (item.due_at) t.due_at = item.due_at;
        return t;
      }),
    };
  }

  function say(kind, heading, lines, link) {
    summary.replaceChildren();
    var div = document.createElement("div");
    div.className = "alert " + kind;
    div.id = "offline-result";
    var strong = document.createElement("p");
    strong.innerHTML = "<strong></strong>";
    strong.firstChild.textContent = heading;
    div.appendChild(strong);
    if (lines.length) {
      var ul = document.createElement("ul");
      lines.forEach(function (line) {
        var li = document.createElement("li");
        li.textContent = line;
        ul.appendChild(li);
      });
      div.appendChild(ul);
    }
    if (link) {
      var p = document.createElement("p");
      var a = document.createElement("a");
      a.href = "/desk/offline";
      a.textContent = "Resolve them on the offline exceptions page";
      p.appendChild(a);
      div.appendChild(p);
    }
    summary.appendChild(div);
    render();
  }

  var WHAT = { checkout: "Check out", checkin: "Check in", renew: "Renew" };

  async function upload() {
    if (uploading || offline) return;
    var items = await ownItems();
    if (!items.length) return;
    uploading = true;
    render();
    var applied = 0, exceptions = 0, repeats = 0, lines = [];
    try {
      await metaPut(batchKey(), uid());  // scans from now on join a new session
      for (var group of groups(items)) {
        var response;
        try {
          response = await fetch("/desk/offline/upload", {
            method: "POST",
            credentials: "same-origin",
            headers: { "content-type": "application/json", "x-csrftoken": token },
            body: JSON.stringify(sessionBody(group)),
          });
        } catch (err) {
          goOffline();
          return;
        }
        var path = new URL(response.url, location.href).pathname;
        if (response.redirected || path !== "/desk/offline/upload") {
          say("error", "Your login has ended: log in again to send the queue.", ["It stays on this computer until it is sent."]);
          return;
        }
        if (response.status !== 200) {
          var detail = "";
          try { detail = (await response.json()).detail || ""; } catch (err) { detail = ""; }
          say("error", "The server did not take the queue (error " + response.status + ").",
            [detail || "Reload the page and try again.",
              "It stays on this computer: use Export queue and give the file to a librarian if this goes on."]);
          return;
        }
        var answer = await response.json();
        await removeItems(group.items.map(function (item) { return item.id; }));
        if (answer.already_uploaded) repeats += 1;
        applied += answer.applied;
        exceptions += answer.exceptions;
        (answer.results || []).forEach(function (r) {
          if (r.status !== "exception") return;
          var words = (answer.code_words || {})[r.code] || r.detail;
          lines.push((WHAT[r.type] || r.type) + " " + r.device + (r.patron ? " (card " + r.patron + ")" : "") +
            ": " + words + " [" + r.code + "]");
        });
      }
      var heading = applied + " applied, " + exceptions + (exceptions === 1 ? " needs" : " need") + " staff attention";
      if (repeats) lines.unshift("This queue had already been sent: nothing was done twice.");
      say(exceptions ? "warn" : "ok", "Offline work sent: " + heading + ".", lines, exceptions > 0 && mayResolve);
    } finally {
      uploading = false;
      await refreshCount();
    }
  }

  function exportQueue() {
    ownItems().then(function (items) {
      groups(items).forEach(function (group) {
        var blob = new Blob([JSON.stringify(sessionBody(group), null, 2)], { type: "application/json" });
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = "offline-queue-" + group.id + ".json";
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
      });
    });
  }

  newPatronButton.addEventListener("click", function () {
    refusedCard = "";
    setPatron("");
    show(result("queued", "New patron (offline)", "New patron: scan the library card",
      ["The next scan is taken as the patron's card, the scans after it as devices."], ""));
    if (window.lendingDesk) window.lendingDesk.refocus();
  });
  exportButton.addEventListener("click", exportQueue);
  sendButton.addEventListener("click", function () { upload(); });

  window.addEventListener("offline", goOffline);
  window.addEventListener("online", probe);

  window.lendingOffline = {
    take: take,
    failed: failed,
    isOffline: function () { return offline; },
    state: function () { return { offline: offline, waiting: waiting, uploading: uploading, kit: !!kit }; },
    upload: upload,
  };

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/desk/offline/sw.js", { scope: "/desk" }).catch(function () {
      /* no service worker: the desk still queues; a reload offline will not open it */
    });
  }

  metaGet("kit").then(useKit).catch(function () { /* none yet */ }).then(function () {
    if (!navigator.onLine) goOffline();
    return refreshCount();
  }).then(function () {
    if (!offline) {
      fetchKit();
      upload();
    }
  });
  setInterval(fetchKit, KIT_EVERY_MS);
})();
