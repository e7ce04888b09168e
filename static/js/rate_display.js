// Rating page, drawing: one image (or video) pixel to one device pixel, never scaled; the display record sent
// with each vote; the next images fetched and decoded ahead. Part of the rating page (rate.js wires the parts).
(function () {
  "use strict";
  window.moslabRate = window.moslabRate || {};

  window.moslabRate.createDisplay = function ({ $, image, video, stage }) {
    const decoded = {};  // task id -> promise of a decoded Image

    // the element on screen's CSS size = its pixels / devicePixelRatio; says whether it fits the window
    function layout(element) {
      const ratio = window.devicePixelRatio || 1;
      const cssWidth = Number(element.dataset.width) / ratio;
      const cssHeight = Number(element.dataset.height) / ratio;
      element.style.width = cssWidth + "px";
      element.style.height = cssHeight + "px";
      const fits = cssWidth <= stage.clientWidth && cssHeight <= window.innerHeight;
      $("fit-warning").hidden = fits;
      $("fit-what").textContent = element === video ? "clip" : "image";
      stage.classList.toggle("overflowing", !fits);
      return fits;
    }

    // what the vote records about how the item was shown (a video adds its play-through)
    function record(element, playback) {
      const box = element.getBoundingClientRect();
      const ratio = window.devicePixelRatio || 1;
      const result = {
        viewport: [window.innerWidth, window.innerHeight], device_pixel_ratio: ratio,
        rendered_device_px: [Math.round(box.width * ratio), Math.round(box.height * ratio)],
        natural_px: element === video ? [video.videoWidth, video.videoHeight] : [image.naturalWidth, image.naturalHeight],
        zoom: window.visualViewport ? window.visualViewport.scale : 1,
        fullscreen: Boolean(document.fullscreenElement), fits: layout(element),
        screen: [screen.width, screen.height], user_agent: navigator.userAgent,
      };
      if (element === video && playback) Object.assign(result, playback);
      return result;
    }

    function prefetch(task) {
      if (task.media_type === "video") return Promise.resolve(null);  // the clip streams when shown
      if (!decoded[task.id]) {
        const next = new Image();
        next.src = task.image_url;
        decoded[task.id] = next.decode().then(() => next, () => next);
      }
      return decoded[task.id];
    }

    return { layout, record, prefetch };
  };
})();
