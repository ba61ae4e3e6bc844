// "Leave this site": replaces this page, and its entry in the browser's history, with a
// harmless one, so that the Back button does not lead to it. Without JavaScript the button is
// an ordinary link to the same page.
(function () {
  "use strict";
  var links = document.querySelectorAll("[data-leave-site]");
  for (var i = 0; i < links.length; i++) {
    links[i].addEventListener("click", function (event) {
      event.preventDefault();
      window.location.replace(this.getAttribute("href"));
    });
  }
})();
