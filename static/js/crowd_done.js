// Crowd done page: after a short pause (to note the code), go back to the platform with the completion code.
(function () {
  "use strict";
  const link = document.getElementById("return-link");
  if (!link) return;
  let seconds = Number(link.dataset.seconds || 5);
  const counter = document.getElementById("return-seconds");
  const timer = setInterval(function () {
    seconds -= 1;
    counter.textContent = String(Math.max(seconds, 0));
    if (seconds <= 0) {
      clearInterval(timer);
      location.assign(link.href);
    }
  }, 1000);
})();
