// The portal's only script (Content-Security-Policy allows no inline script): a select marked
// data-autosubmit submits its form when changed (the language switch). Without JavaScript the
// form's own button does the same.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
});
