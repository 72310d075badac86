// Annotated / clean evidence toggle on the case page (buttons and the "a" key), zone overlay on/off.
(function () {
  "use strict";
  const fig = document.querySelector(".frames");
  if (!fig) return;
  const show = (view) => { if (fig.querySelector(".frame." + view)) fig.dataset.view = view; };
  fig.querySelectorAll(".view-btn").forEach((b) => b.addEventListener("click", () => show(b.dataset.show)));
  const overlay = fig.querySelector(".overlay-switch");
  if (overlay) overlay.addEventListener("change", () => fig.classList.toggle("no-overlay", !overlay.checked));
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "a" && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) {
      show(fig.dataset.view === "annotated" ? "clean" : "annotated");
    }
  });
})();
