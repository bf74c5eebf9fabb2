/* Result delivery on the dossier form (progressive enhancement).
 *
 * Without JavaScript the postal address field is always shown (the server requires it only
 * when "by post" is chosen). With it, the field is shown only while "by post" is chosen.
 */
(function () {
  "use strict";

  function update(form) {
    var group = form.querySelector("[data-delivery-address]");
    if (!group) return;
    var chosen = form.querySelector("input[data-delivery-choice]:checked");
    var byPost = chosen !== null && chosen.value === "post";
    group.hidden = !byPost && !group.classList.contains("has-error");
  }

  function init() {
    var forms = document.querySelectorAll("form[data-upload-form]");
    for (var i = 0; i < forms.length; i++) {
      var form = forms[i];
      update(form);
      form.addEventListener("change", function (event) {
        if (event.target.hasAttribute("data-delivery-choice")) update(event.currentTarget);
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
