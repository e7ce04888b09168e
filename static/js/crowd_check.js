// Crowd environment check: fill the form with what the browser reports (device pixels = CSS pixels x
// devicePixelRatio) and show it; the server decides whether the study's images fit at native size.
(function () {
  "use strict";
  const form = document.getElementById("environment-form");
  function measure() {
    const ratio = window.devicePixelRatio || 1;
    const zoom = window.visualViewport ? window.visualViewport.scale : 1;
    const values = {
      user_agent: navigator.userAgent, screen_width: screen.width, screen_height: screen.height,
      window_width: window.innerWidth, window_height: window.innerHeight, device_pixel_ratio: ratio, zoom: zoom,
    };
    Object.entries(values).forEach(([name, value]) => { form.elements[name].value = value; });
    const px = (w, h) => Math.round(w * ratio) + " x " + Math.round(h * ratio) + " px";
    document.getElementById("found-screen").textContent = px(screen.width, screen.height);
    document.getElementById("found-window").textContent = px(window.innerWidth, window.innerHeight);
    document.getElementById("found-zoom").textContent = Math.round(zoom * 100) + " %";
  }
  measure();
  window.addEventListener("resize", measure);
  form.addEventListener("submit", measure);
})();
