// Counts the text message as the sender types, as GSM-7 counts it, with the link to the alert
// that sending adds (none for an alert kept to subscribers); the server checks again.
(function () {
  var basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var extended = "^{}\\[~]|€\f";
  var field = document.getElementById("sms_text");
  var count = document.getElementById("sms-count");
  var kept = document.getElementById("private");
  if (!field || !count) return;
  var room = Number(count.getAttribute("data-link-room")) || 0;
  function update() {
    var text = field.value.trim();
    var length = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i);
      if (basic.indexOf(c) >= 0) { length += 1; }
      else if (extended.indexOf(c) >= 0) { length += 2; }
      else { count.textContent = "“" + c + "” cannot go in a text message"; return; }
    }
    if (length === 0) { count.textContent = "0 of 160 characters"; return; }
    var link = kept && kept.checked ? 0 : room;
    var total = length + link;
    count.textContent = total + " of 160 characters" + (link > 0 ? " with the link" : "") + (total > 160 ? ": too long" : "");
  }
  field.addEventListener("input", update);
  if (kept) kept.addEventListener("change", update);
  update();
})();
