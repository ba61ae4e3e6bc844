// Counts the text message as the sender types, as GSM-7 counts it (the server checks again).
(function () {
  var basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var extended = "^{}\\[~]|€\f";
  var field = document.getElementById("sms_text");
  var count = document.getElementById("sms-count");
  if (!field || !count) return;
  function update() {
    var text = field.value.trim();
    var length = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i);
      if (basic.indexOf(c) >= 0) { length += 1; }
      else if (extended.indexOf(c) >= 0) { length += 2; }
      else { count.textContent = "“" + c + "” cannot go in a text message"; return; }
    }
    count.textContent = length + " of 160 characters" + (length > 160 ? ": too long" : "");
  }
  field.addEventListener("input", update);
  update();
})();
