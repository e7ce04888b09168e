// Rating page: draw the image one image pixel to one device pixel, keyboard voting, response time.
(function () {
  "use strict";
  const shownAt = performance.now();
  const image = document.getElementById("stimulus");
  const stage = document.getElementById("stage");
  const warning = document.getElementById("fit-warning");
  const form = document.getElementById("rating-form");

  function layout() {
    const ratio = window.devicePixelRatio || 1;
    const cssWidth = Number(image.dataset.width) / ratio;
    const cssHeight = Number(image.dataset.height) / ratio;
    image.style.width = cssWidth + "px";
    image.style.height = cssHeight + "px";
    const fits = cssWidth <= stage.clientWidth && cssHeight <= window.innerHeight;
    warning.hidden = fits;
    stage.classList.toggle("overflowing", !fits);
  }

  function fullscreen() {
    if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
  }

  window.addEventListener("resize", layout);
  layout();
  document.getElementById("fullscreen").addEventListener("click", fullscreen);

  form.addEventListener("submit", function () {
    document.getElementById("response-time").value = Math.round(performance.now() - shownAt);
    document.getElementById("submit").disabled = true;
  });

  document.addEventListener("keydown", function (event) {
    if (event.key >= "1" && event.key <= "5") {
      form.querySelector('input[name="score"][value="' + event.key + '"]').checked = true;
    } else if (event.key === "Enter" && form.querySelector('input[name="score"]:checked')) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === "f" || event.key === "F") {
      fullscreen();
    }
  });
})();
