// Small behaviours that CSP forbids inline: auto-submit selects, print buttons.
document.addEventListener("change", (e) => {
  if (e.target.matches("[data-autosubmit]")) e.target.form.submit();
});
document.addEventListener("click", (e) => {
  if (e.target.matches("[data-print]")) { e.preventDefault(); window.print(); }
});
