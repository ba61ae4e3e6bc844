// The operators' inbox, live: new messages appear in the open conversation, the list is reread
// when something changes, urgent conversations are announced, the resident's typing and read
// state are shown, and messages are sent over the WebSocket (each with its own client_id, so a
// retry is stored once; a message stays pending until the stored one comes back, is sent again
// when the connection reopens, and is put back in the box if it is refused or the connection cannot
// be reopened). Without this script the pages send with forms and refresh by a link.
(function () {
  "use strict";
  var status = document.getElementById("conversation-status");
  var conversation = status ? Number(status.getAttribute("data-conversation")) : null;
  var list = document.getElementById("messages");
  var last = list ? Number(list.getAttribute("data-last")) || 0 : 0;
  var socket = null;
  var typingTimer = null;
  var lastTyping = 0;
  // Client id → text of each message sent over the WebSocket and not yet back from the store.
  var pending = {};

  // Whether the live connection is up, on the body (`data-live="open"`): for styles and tests.
  function live(on) {
    document.body.setAttribute("data-live", on ? "open" : "closed");
  }

  function clientId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  // "6 Dec 2026 14:05", UK time, as the server writes the page's times.
  function ukTime(at) {
    try {
      var parts = {};
      new Intl.DateTimeFormat("en-GB", {
        timeZone: "Europe/London", day: "numeric", month: "short", year: "numeric",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23"
      }).formatToParts(new Date(at * 1000)).forEach(function (p) { parts[p.type] = p.value; });
      return parts.day + " " + parts.month.replace("Sept", "Sep") + " " + parts.year + " " + parts.hour + ":" + parts.minute;
    } catch (e) {
      return "";
    }
  }

  // Client id → text put back in the box: it may still have been stored (its answer lost), so
  // it is taken out again if the stored one arrives, and sent again with the same client id.
  var restored = {};

  // Puts a message back in the box (before what is there), so none is lost.
  function putBack(id) {
    var text = pending[id];
    delete pending[id];
    if (text === undefined || !box) { return; }
    restored[id] = text;
    box.value = box.value ? text + "\n\n" + box.value : text;
  }

  function restorePending() {
    Object.keys(pending).forEach(putBack);
  }

  // The client id to send the box's text with: the one it was first sent with when the box
  // holds just that message put back (stored once, whichever arrives), else a new one.
  function idFor(text) {
    var ids = Object.keys(restored).filter(function (id) { return restored[id] === text; });
    if (ids.length) {
      delete restored[ids[0]];
      return ids[0];
    }
    return clientId();
  }

  function addMessage(m) {
    if (m.client_id && pending[m.client_id] !== undefined) { delete pending[m.client_id]; }
    if (m.client_id && restored[m.client_id] !== undefined && box) {
      // It was stored after all: out of the box again.
      box.value = box.value.replace(restored[m.client_id], "").trim();
      delete restored[m.client_id];
    }
    if (!list || m.conversation !== conversation || document.getElementById("message-" + m.id)) { return; }
    var item = document.createElement("li");
    item.className = "message message-" + m.author;
    item.id = "message-" + m.id;
    var meta = document.createElement("p");
    meta.className = "message-meta";
    var name = document.createElement("strong");
    name.textContent = m.name;
    meta.appendChild(name);
    if (m.author === "note") {
      var tag = document.createElement("span");
      tag.className = "tag tag-grey";
      tag.textContent = "Internal note \u2014 not shown to the resident";
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(tag);
    }
    var when = document.createElement("span");
    when.className = "small";
    when.textContent = ukTime(m.at);
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(when);
    var body = document.createElement("p");
    body.className = "message-body";
    body.textContent = m.body;
    item.appendChild(meta);
    item.appendChild(body);
    list.appendChild(item);
    last = Math.max(last, m.id);
    if (m.author === "resident" && document.visibilityState === "visible") {
      send({ type: "read", conversation: conversation, up_to: m.id });
    }
  }

  // Rereads this page at most once a second, however many changes arrive.
  var rereadTimer = null;
  function reread() {
    if (rereadTimer) { return; }
    rereadTimer = setTimeout(function () { rereadTimer = null; rereadNow(); }, 1000);
  }

  // Rereads this page and swaps in the parts that change (the server's HTML, already escaped).
  function rereadNow() {
    fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["inbox-list", "conversation-status"].forEach(function (id) {
          var now = document.getElementById(id);
          var then = fresh.getElementById(id);
          if (now && then) { now.replaceWith(then); }
        });
      })
      .catch(function () {});
  }

  function urgent(frame) {
    var banner = document.getElementById("urgent-banner");
    if (!banner) { return; }
    banner.textContent = "";
    var p = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = "\u26a0 Urgent: a conversation needs an operator now";
    p.appendChild(strong);
    if (frame.words && frame.words.length) {
      p.appendChild(document.createTextNode(" (" + frame.words.join(", ") + "). "));
    } else {
      p.appendChild(document.createTextNode(". "));
    }
    var link = document.createElement("a");
    link.href = "/staff/inbox/" + frame.conversation;
    link.textContent = "Open it";
    p.appendChild(link);
    banner.appendChild(p);
  }

  function received(data) {
    var frame;
    try { frame = JSON.parse(data); } catch (e) { return; }
    if (frame.type === "message") {
      addMessage(frame);
      // The list's unread counts and times move with every message.
      if (!conversation) { reread(); }
    } else if (frame.type === "changed") {
      if (!conversation || frame.conversation === conversation || frame.conversation === null) { reread(); }
    } else if (frame.type === "urgent") {
      urgent(frame);
      reread();
    } else if (frame.type === "typing" && frame.conversation === conversation) {
      var typing = document.getElementById("typing");
      if (typing) {
        typing.textContent = "The resident is typing\u2026";
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { typing.textContent = ""; }, 4000);
      }
    } else if (frame.type === "read" && frame.conversation === conversation) {
      var typingLine = document.getElementById("typing");
      if (typingLine && !typingLine.textContent) { typingLine.textContent = "Read by the resident"; }
    } else if (frame.type === "error") {
      // A message refused is put back in the box, to change and send again.
      if (frame.client_id) { putBack(frame.client_id); }
      var banner = document.getElementById("urgent-banner");
      if (banner) { banner.textContent = frame.message; }
    }
  }

  function query() {
    return conversation ? "?conversation=" + conversation + "&after=" + last : "";
  }

  function connect(delay) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var opened = false;
    try {
      socket = new WebSocket(scheme + window.location.host + "/staff/inbox/live" + query());
    } catch (e) {
      events();
      return;
    }
    socket.onopen = function () {
      opened = true;
      delay = 1000;
      live(true);
      // Sent again with the same client id: stored once, whether or not it arrived before.
      Object.keys(pending).forEach(function (id) {
        send({ type: "send", conversation: conversation, body: pending[id], client_id: id });
      });
    };
    socket.onmessage = function (e) { received(e.data); };
    socket.onclose = function () {
      socket = null;
      live(false);
      if (!opened) { restorePending(); events(); return; }
      setTimeout(function () { connect(Math.min(delay * 2, 30000)); }, delay);
    };
  }

  // Where a WebSocket cannot get through: Server-Sent Events, sending with the forms.
  function events() {
    if (!window.EventSource) { return; }
    var source = new EventSource("/staff/inbox/events" + query());
    source.onopen = function () { live(true); };
    source.onerror = function () { live(false); };
    source.onmessage = function (e) { received(e.data); };
  }

  var form = document.getElementById("send-form");
  var box = document.getElementById("body");
  if (form && box) {
    form.addEventListener("submit", function (e) {
      var text = box.value.trim();
      if (!text) { return; }
      var id = idFor(text);
      if (send({ type: "send", conversation: conversation, body: text, client_id: id })) {
        pending[id] = text;
        e.preventDefault();
        box.value = "";
        box.focus();
        return;
      }
      // Sent with the form instead: with its client id, so a repeat is stored once.
      var field = form.querySelector("input[name=client_id]");
      if (!field) {
        field = document.createElement("input");
        field.type = "hidden";
        field.name = "client_id";
        form.appendChild(field);
      }
      field.value = id;
    });
    box.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTyping > 3000) {
        lastTyping = now;
        send({ type: "typing", conversation: conversation });
      }
    });
  }

  // A canned answer chosen fills the message box, to edit before sending.
  var canned = document.getElementById("canned");
  if (canned && box) {
    var fill = document.createElement("button");
    fill.type = "button";
    fill.className = "button button-secondary";
    fill.textContent = "Put in the message box";
    fill.addEventListener("click", function () {
      var option = canned.options[canned.selectedIndex];
      if (option) { box.value = option.getAttribute("data-body"); box.focus(); }
    });
    canned.addEventListener("change", function () {
      var option = canned.options[canned.selectedIndex];
      if (option && !box.value.trim()) { box.value = option.getAttribute("data-body"); }
    });
    canned.parentNode.appendChild(fill);
  }

  if (window.WebSocket) { connect(1000); } else { events(); }
})();
