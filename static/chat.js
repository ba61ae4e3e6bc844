// A resident's chat, live: new messages as they are written, the queue line kept current, the
// operator typing and reading. Connects by WebSocket; where that fails, by Server-Sent Events;
// where those fail too, by long polling. Reconnects with back-off, asking for what it missed
// (`after=`), and shows each message once (by id and client id). Without this script the page
// still works: its form sends and it refreshes.
(function () {
  "use strict";
  var chat = document.getElementById("chat");
  if (!chat || !window.fetch || !window.JSON) {
    return;
  }
  var token = chat.getAttribute("data-token");
  var csrf = chat.getAttribute("data-csrf");
  var list = document.getElementById("chat-messages");
  var stateLine = document.getElementById("chat-state");
  var typingLine = document.getElementById("chat-typing");
  var readLine = document.getElementById("chat-read");
  var form = document.getElementById("chat-send");
  var body = document.getElementById("body");
  var lastId = parseInt(chat.getAttribute("data-last-id"), 10) || 0;
  var ended = chat.getAttribute("data-state") === "closed";
  var socket = null;
  var mode = window.WebSocket ? "ws" : "sse";
  var failures = 0;
  var typingTimer = null;
  var lastTyping = 0;
  var lastResident = 0;
  var pending = {};
  var operatorName = "";

  // Whether the live connection is up, on the body (`data-live="open"`): for styles and tests.
  function live(on) {
    document.body.setAttribute("data-live", on ? "open" : "closed");
  }

  function newClientId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function ordinal(n) {
    var tens = n % 100;
    if (tens >= 11 && tens <= 13) { return n + "th"; }
    switch (n % 10) {
      case 1: return n + "st";
      case 2: return n + "nd";
      case 3: return n + "rd";
      default: return n + "th";
    }
  }

  function waitWords(seconds) {
    var minutes = Math.ceil(seconds / 60);
    if (seconds < 60) { return "less than a minute"; }
    if (minutes === 1) { return "about 1 minute"; }
    if (minutes < 60) { return "about " + minutes + " minutes"; }
    if (minutes < 90) { return "about an hour"; }
    return "about " + Math.round(minutes / 60) + " hours";
  }

  // UK time, as the server writes the page's times.
  function clock(at) {
    var d = new Date(at * 1000);
    try {
      return new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/London", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(d);
    } catch (e) {
      return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
    }
  }

  function known(frame) {
    if (document.getElementById("m" + frame.id)) { return true; }
    if (frame.client_id) {
      var items = list.querySelectorAll("li[data-client-id]");
      for (var i = 0; i < items.length; i++) {
        if (items[i].getAttribute("data-client-id") === frame.client_id) {
          items[i].id = "m" + frame.id;
          items[i].setAttribute("data-id", frame.id);
          items[i].classList.remove("chat-pending");
          delete pending[frame.client_id];
          var meta = items[i].querySelector(".chat-meta");
          if (meta) { meta.textContent = (frame.name || "You") + " " + clock(frame.at); }
          return true;
        }
      }
    }
    return false;
  }

  function showMessage(frame) {
    if (frame.id > lastId) { lastId = frame.id; }
    if (frame.author === "resident") {
      lastResident = Math.max(lastResident, frame.id);
      readLine.textContent = "";
    } else {
      typingLine.textContent = "";
    }
    if (known(frame)) { return; }
    var item = document.createElement("li");
    item.className = "chat-message chat-" + frame.author;
    item.id = "m" + frame.id;
    item.setAttribute("data-id", frame.id);
    item.setAttribute("data-client-id", frame.client_id || "");
    var meta = document.createElement("p");
    meta.className = "chat-meta";
    var name = document.createElement("span");
    name.className = "chat-name";
    name.textContent = frame.name;
    var time = document.createElement("span");
    time.className = "chat-time";
    time.textContent = clock(frame.at);
    meta.appendChild(name);
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(time);
    var text = document.createElement("p");
    text.className = "chat-body";
    text.textContent = frame.body;
    item.appendChild(meta);
    item.appendChild(text);
    list.appendChild(item);
    if (frame.author !== "resident" && document.visibilityState !== "hidden") {
      sendRead(frame.id);
    }
  }

  function showState(frame) {
    ended = frame.state === "closed";
    if (frame.operator) { operatorName = frame.operator; }
    chat.setAttribute("data-state", frame.state);
    if (!stateLine) { return; }
    var words;
    if (frame.state === "closed") {
      words = "This chat has ended.";
    } else if (frame.state === "open") {
      words = frame.operator ? "You are chatting with " + frame.operator + "." : "You are chatting with an operator.";
    } else if (frame.notice) {
      words = frame.notice;
    } else if (frame.position) {
      words = "You are " + ordinal(frame.position) + " in the queue";
      if (frame.wait_seconds !== null && frame.wait_seconds !== undefined) {
        words += ", " + waitWords(frame.wait_seconds);
      }
      words += ". Please stay on this page.";
    } else {
      words = "Waiting for an operator.";
    }
    if (stateLine.textContent !== words) { stateLine.textContent = words; }
    if (ended && form) {
      // The page offers the rating and the transcript once the chat has ended.
      window.setTimeout(function () { window.location.reload(); }, 1500);
    }
  }

  function handle(frame) {
    if (frame.type === "message") {
      showMessage(frame);
    } else if (frame.type === "state") {
      showState(frame);
    } else if (frame.type === "typing") {
      typingLine.textContent = (operatorName || "The operator") + " is typing…";
      window.clearTimeout(typingTimer);
      typingTimer = window.setTimeout(function () { typingLine.textContent = ""; }, 6000);
    } else if (frame.type === "read") {
      if (frame.up_to >= lastResident && lastResident > 0) { readLine.textContent = "Read"; }
    } else if (frame.type === "error") {
      showProblem(frame.message);
    }
  }

  function showProblem(message) {
    var problem = document.getElementById("chat-problem");
    if (!problem) {
      problem = document.createElement("p");
      problem.id = "chat-problem";
      problem.className = "error-message";
      problem.setAttribute("role", "alert");
      if (form) { form.insertBefore(problem, form.firstChild); } else { chat.appendChild(problem); }
    }
    problem.textContent = message;
  }

  function clearProblem() {
    var problem = document.getElementById("chat-problem");
    if (problem) { problem.parentNode.removeChild(problem); }
  }

  function retry() {
    socket = null;
    if (ended) { return; }
    failures += 1;
    if (failures >= 2 && mode === "ws") { mode = "sse"; failures = 0; }
    else if (failures >= 2 && mode === "sse") { mode = "poll"; failures = 0; }
    var delay = Math.min(30000, 500 * Math.pow(2, failures)) + Math.random() * 500;
    window.setTimeout(connect, delay);
  }

  function connect() {
    if (ended) { return; }
    if (mode === "ws") {
      var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
      var opened = false;
      var ws = new WebSocket(scheme + "//" + window.location.host + "/chat/" + token + "/live?after=" + lastId);
      ws.onopen = function () { opened = true; failures = 0; socket = ws; live(true); flush(); };
      ws.onmessage = function (event) { handle(JSON.parse(event.data)); };
      ws.onclose = function () { live(false); if (socket === ws || !opened) { retry(); } };
    } else if (mode === "sse" && window.EventSource) {
      var source = new EventSource("/chat/" + token + "/events?after=" + lastId);
      source.onopen = function () { failures = 0; live(true); flush(); };
      source.onmessage = function (event) { handle(JSON.parse(event.data)); };
      source.onerror = function () { live(false); source.close(); retry(); };
    } else {
      mode = "poll";
      poll();
    }
  }

  function poll() {
    if (ended) { return; }
    var shown = encodeURIComponent(chat.getAttribute("data-state") || "");
    live(true);
    fetch("/chat/" + token + "/messages?after=" + lastId + "&wait=25&state=" + shown, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) {
        if (!answer.ok) { throw new Error("poll " + answer.status); }
        return answer.json();
      })
      .then(function (data) {
        failures = 0;
        data.messages.forEach(handle);
        handle(data.state);
        if (data.read >= lastResident && lastResident > 0) { readLine.textContent = "Read"; }
        window.setTimeout(poll, 100);
      })
      .catch(function () {
        live(false);
        failures += 1;
        window.setTimeout(poll, Math.min(30000, 1000 * Math.pow(2, failures)));
      });
  }

  function sendRead(id) {
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify({ type: "read", up_to: id }));
    }
  }

  function flush() {
    Object.keys(pending).forEach(function (clientId) { deliver(clientId, pending[clientId]); });
  }

  function deliver(clientId, text) {
    if (socket && socket.readyState === 1) {
      // Kept in `pending` until the stored message comes back (`known`): if the socket drops
      // first, `flush` sends it again on reconnecting, and the server stores it once.
      socket.send(JSON.stringify({ type: "send", body: text, client_id: clientId }));
      return;
    }
    var fields = new URLSearchParams();
    fields.append("csrf", csrf);
    fields.append("body", text);
    fields.append("client_id", clientId);
    fetch("/chat/" + token, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: fields
    })
      .then(function (answer) { return answer.json(); })
      .then(function (frame) {
        delete pending[clientId];
        handle(frame);
      })
      .catch(function () {
        showProblem("Your message has not been sent yet. We will try again when the connection is back.");
      });
  }

  if (form && body) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = body.value.trim();
      if (!text) { showProblem("Write a message first"); body.focus(); return; }
      clearProblem();
      var clientId = newClientId();
      pending[clientId] = text;
      var item = document.createElement("li");
      item.className = "chat-message chat-resident chat-pending";
      item.setAttribute("data-client-id", clientId);
      var meta = document.createElement("p");
      meta.className = "chat-meta";
      meta.textContent = "Sending…";
      var para = document.createElement("p");
      para.className = "chat-body";
      para.textContent = text;
      item.appendChild(meta);
      item.appendChild(para);
      list.appendChild(item);
      body.value = "";
      body.focus();
      deliver(clientId, text);
    });
    body.addEventListener("input", function () {
      var now = Date.now();
      if (socket && socket.readyState === 1 && now - lastTyping > 3000) {
        lastTyping = now;
        socket.send(JSON.stringify({ type: "typing" }));
      }
    });
    body.addEventListener("keydown", function (event) {
      // Enter sends; Shift+Enter starts a new line.
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });
  }
  var items = list.querySelectorAll("li.chat-resident");
  if (items.length) { lastResident = parseInt(items[items.length - 1].getAttribute("data-id"), 10) || 0; }
  var check = document.getElementById("chat-check");
  if (check) { check.parentNode.setAttribute("data-live", "on"); }
  connect();
})();
