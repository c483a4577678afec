// Live updates: one server-sent events stream per tab; elements that show live data re-fetch
// their server-rendered fragment when an event concerns them. Pages work without it.
//
//   <script src="live.js" data-live-url="/live/evenements/" defer></script>
//   <div id="queue-results" data-live-events="case.created case.updated"
//        data-live-case="42" data-live-select="#timeline">
//
// data-live-events: the event kinds the element reacts to (an element with its own hx-get or
// hx-post repeats that request); data-live-case: only events about
// this case; data-live-select: take this part of the answer (default: the server answers the
// fragment itself, htmx sends the element's id as HX-Target). Bursts are grouped (one request
// per element per second at most). Every event is also dispatched on <body> as "live:<kind>"
// (detail: its ids), for htmx triggers such as hx-trigger="live:item.offered from:body".
(function () {
  "use strict";

  var DELAY_MS = 800;
  // Every kind of guichet/live/events.py (KINDS); a test keeps the two lists in step.
  var KINDS = [
    "case.created", "case.assigned", "case.updated", "case.transferred", "message.received",
    "item.offered", "presence.changed"
  ];
  var script = document.currentScript || document.querySelector("script[data-live-url]");
  var pending = new Map();

  function refresh(element) {
    pending.delete(element);
    if (!document.body.contains(element) || !window.htmx) {
      return;
    }
    // Never replace a form the user is filling in: try again a little later.
    var active = document.activeElement;
    if (active && active !== document.body && element.contains(active) && active.form) {
      pending.set(element, window.setTimeout(function () { refresh(element); }, DELAY_MS * 4));
      return;
    }
    // An element with its own htmx request (hx-post, hx-get) runs that request again.
    var own = element.getAttribute("hx-post") ? "POST" : element.getAttribute("hx-get") ? "GET" : "";
    if (own) {
      window.htmx.ajax(own, element.getAttribute("hx-" + own.toLowerCase()), {
        source: element, target: element, swap: element.getAttribute("hx-swap") || "innerHTML"
      });
      return;
    }
    var select = element.getAttribute("data-live-select");
    var options = { source: element, target: element, swap: select ? "outerHTML" : "innerHTML" };
    if (select) {
      options.select = select;
    }
    window.htmx.ajax("GET", element.getAttribute("data-live-fetch") || window.location.href, options);
  }

  function concerns(element, kind, data) {
    var kinds = (element.getAttribute("data-live-events") || "").split(/\s+/);
    if (kinds.indexOf(kind) === -1) {
      return false;
    }
    var caseId = element.getAttribute("data-live-case");
    return !caseId || String(data.case_id) === caseId;
  }

  function dispatch(kind, event) {
    var data = {};
    try {
      data = JSON.parse(event.data || "{}");
    } catch (error) {
      return;
    }
    document.body.dispatchEvent(new CustomEvent("live:" + kind, { detail: data }));
    document.querySelectorAll("[data-live-events]").forEach(function (element) {
      if (concerns(element, kind, data) && !pending.has(element)) {
        pending.set(element, window.setTimeout(function () { refresh(element); }, DELAY_MS));
      }
    });
  }

  function connect() {
    var url = script && script.getAttribute("data-live-url");
    var listening = document.querySelector("[data-live-events], [hx-trigger*='live:']");
    if (!url || !window.EventSource || !listening) {
      return;
    }
    var source = new EventSource(url);
    KINDS.forEach(function (kind) {
      source.addEventListener(kind, function (event) { dispatch(kind, event); });
    });
    source.addEventListener("open", function () {
      document.body.setAttribute("data-live-state", "open");
      document.body.setAttribute("data-live-connected", "");
    });
    source.addEventListener("error", function () {
      document.body.setAttribute("data-live-state", source.readyState === 2 ? "closed" : "retrying");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", connect);
  } else {
    connect();
  }
})();
