/* Upload progress for the dossier form (progressive enhancement).
 *
 * Without JavaScript the form posts normally. With it, a form that carries files is sent with
 * XMLHttpRequest so a <progress> bar can show how much is uploaded; the server's answer (the
 * next page after a redirect, or the form again with its errors) then replaces the page.
 * Files larger than a slot allows are flagged before anything is sent.
 */
(function () {
  "use strict";

  function selectedFiles(form) {
    var total = 0;
    var inputs = form.querySelectorAll('input[type="file"]');
    for (var i = 0; i < inputs.length; i++) {
      for (var j = 0; j < inputs[i].files.length; j++) total += inputs[i].files[j].size;
    }
    return total;
  }

  function tooLarge(form) {
    var inputs = form.querySelectorAll('input[type="file"][data-max-bytes]');
    for (var i = 0; i < inputs.length; i++) {
      var max = parseInt(inputs[i].getAttribute("data-max-bytes"), 10);
      for (var j = 0; j < inputs[i].files.length; j++) {
        if (max && inputs[i].files[j].size > max) return inputs[i];
      }
    }
    return null;
  }

  function replacePage(html, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var main = doc.querySelector("main");
    if (!main) {
      window.location.assign(url);
      return;
    }
    if (url && url !== window.location.href) window.history.replaceState(null, "", url);
    document.title = doc.title;
    document.querySelector("main").replaceWith(main);
    init();
    var summary = document.querySelector("[data-error-summary]") || document.querySelector("main");
    if (summary) summary.focus();
  }

  function send(form, submitter) {
    var box = form.querySelector("[data-upload-progress]");
    var bar = box && box.querySelector("progress");
    var status = box && box.querySelector("[data-upload-status]");
    var buttons = form.querySelectorAll('button[type="submit"]');
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var xhr = new XMLHttpRequest();
    // Not form.action: the buttons are named "action" and shadow the property.
    xhr.open("POST", form.getAttribute("action") || window.location.href);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    if (box) box.hidden = false;
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable || !bar) return;
      var percent = Math.round((event.loaded / event.total) * 100);
      bar.value = percent;
      if (status) status.textContent = percent + "%";
    });
    xhr.addEventListener("load", function () {
      if (xhr.status >= 200 && xhr.status < 500) {
        replacePage(xhr.responseText, xhr.responseURL);
      } else {
        window.location.reload();
      }
    });
    xhr.addEventListener("error", function () {
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = false;
      if (box) box.hidden = true;
      // The browser could not send it this way: fall back to a normal post.
      form.removeAttribute("data-upload-form");
      if (submitter && submitter.name) {
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = submitter.name;
        hidden.value = submitter.value;
        form.appendChild(hidden);
      }
      HTMLFormElement.prototype.submit.call(form);
    });
    xhr.send(data);
  }

  function init() {
    var forms = document.querySelectorAll("form[data-upload-form]");
    for (var i = 0; i < forms.length; i++) {
      var form = forms[i];
      if (form.getAttribute("data-upload-ready")) continue;
      form.setAttribute("data-upload-ready", "1");
      form.addEventListener("submit", function (event) {
        var target = event.currentTarget;
        var big = tooLarge(target);
        if (big) {
          event.preventDefault();
          big.setCustomValidity(big.getAttribute("data-too-large") || "File too large");
          big.reportValidity();
          big.addEventListener("change", function () { big.setCustomValidity(""); }, { once: true });
          return;
        }
        if (!window.FormData || !window.DOMParser || selectedFiles(target) === 0) return;
        event.preventDefault();
        send(target, event.submitter);
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
