// Progressive enhancement: while a payment is "being confirmed", check again a few times.
(function () {
  "use strict";
  var box = document.querySelector("[data-auto-refresh]");
  if (!box) { return; }
  var key = "payments-refresh:" + window.location.search;
  var count = parseInt(window.sessionStorage.getItem(key) || "0", 10);
  if (count >= 20) { return; }
  var seconds = parseInt(box.getAttribute("data-auto-refresh"), 10) || 3;
  window.setTimeout(function () {
    window.sessionStorage.setItem(key, String(count + 1));
    window.location.reload();
  }, seconds * 1000);
}());
