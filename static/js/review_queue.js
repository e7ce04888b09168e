// Review queue: "Select all shown" ticks or clears every image's box of the bulk decision.
(function () {
  "use strict";
  const all = document.getElementById("select-all");
  if (!all) return;
  const picks = () => Array.from(document.querySelectorAll("input.pick"));
  all.addEventListener("change", () => picks().forEach((box) => { box.checked = all.checked; }));
  picks().forEach((box) => box.addEventListener("change", () => { all.checked = picks().every((b) => b.checked); }));
})();
