// Behaviours every page may use, bound here because the pages' Content-Security-Policy
// allows no inline handlers: <button data-print> prints the page, <select data-autosubmit>
// submits its form when changed.
document.querySelectorAll('[data-print]').forEach(function (button) {
  button.addEventListener('click', function () { window.print(); });
});
document.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
  select.addEventListener('change', function () { select.form.submit(); });
});
