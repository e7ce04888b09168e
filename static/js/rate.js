// Rating page: pixel-exact drawing of images and videos, play-through before rating a video, deduction
// checklist, one score per dimension, keyboard, prefetch, and a local retry queue so that no vote is lost
// when the network or the server fails.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const protocol = JSON.parse($("protocol-data").textContent);
  let state = JSON.parse($("state-data").textContent);
  const form = $("rating-form");
  const image = $("stimulus");
  const video = $("stimulus-video");
  const stage = $("stage");
  // one score per dimension; a single-score protocol has one unnamed dimension ""
  const dims = protocol.dimensions.length ? protocol.dimensions.map((d) => d.name) : [""];
  const labels = Object.fromEntries(protocol.dimensions.map((d) => [d.name, d.label]));
  const inputName = (name) => (name ? "score-" + name : "score");
  const sliderId = (name) => (name ? "slider-" + name : "slider");
  const outputId = (name) => (name ? "slider-value-" + name : "slider-value");
  const urls = { queue: form.dataset.queueUrl, submit: form.dataset.submitUrl };  // the API, from the template
  const queueKey = "moslab-votes-" + form.dataset.studyId + "-" + (document.querySelector(".who") || {}).textContent;
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  let queue = JSON.parse(localStorage.getItem(queueKey) || "[]");
  let current = null;          // the task on screen
  let shownAt = performance.now();
  let chosen = {};             // dimension -> score; the first dimension follows the guideline's suggestion while unset
  let active = 0;              // the dimension that keys 1-5 score
  let playback = null;         // the video on screen: how far it played, whether it ended once, replays
  let flushing = false;
  let retryTimer = null;
  let waitingForServer = false;
  const decoded = {};          // task id -> promise of a decoded Image

  function saveQueue() { localStorage.setItem(queueKey, JSON.stringify(queue)); }
  function queuedIds() { return new Set(queue.map((vote) => vote.task_id)); }

  // --- drawing: one image (or video) pixel to one device pixel ---
  function isVideo(task) { return Boolean(task) && task.media_type === "video"; }
  function shown() { return isVideo(current) ? video : image; }

  function layout() {
    const element = shown();
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

  function display() {
    const element = shown();
    const box = element.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    const record = {
      viewport: [window.innerWidth, window.innerHeight], device_pixel_ratio: ratio,
      rendered_device_px: [Math.round(box.width * ratio), Math.round(box.height * ratio)],
      natural_px: element === video ? [video.videoWidth, video.videoHeight] : [image.naturalWidth, image.naturalHeight],
      zoom: window.visualViewport ? window.visualViewport.scale : 1,
      fullscreen: Boolean(document.fullscreenElement), fits: layout(),
      screen: [screen.width, screen.height], user_agent: navigator.userAgent,
    };
    if (element === video && playback) {
      Object.assign(record, {
        media: "video", played_through: playback.ended, played_seconds: Math.round(playback.played * 100) / 100,
        replays: playback.replays, seeks_blocked: playback.seeksBlocked,
        video_duration: Math.round((video.duration || 0) * 1000) / 1000,
      });
    }
    return record;
  }

  function prefetch(task) {
    if (isVideo(task)) return Promise.resolve(null);  // the clip streams when shown
    if (!decoded[task.id]) {
      const next = new Image();
      next.src = task.image_url;
      decoded[task.id] = next.decode().then(() => next, () => next);
    }
    return decoded[task.id];
  }

  // --- the checklist and the score ---
  function deductions() {
    const chosen = {};
    protocol.aspects.forEach((aspect) => {
      const input = form.querySelector('input[name="aspect-' + aspect.key + '"]:checked');
      chosen[aspect.key] = input ? input.value : "none";
    });
    return chosen;
  }

  function suggested() { return window.moslabSuggestedScore(protocol, deductions()); }

  // the score of a dimension; null while a dimension other than the first has none
  function scoreOf(name) {
    const value = chosen[name];
    if (value === undefined || value === null) return name === dims[0] ? suggested() : null;
    return value;
  }
  function score() { return scoreOf(dims[0]); }
  function needsReason() { return Math.abs(score() - suggested()) > protocol.reason_tolerance * protocol.point_value; }

  function refreshVerdict() {
    $("suggested").textContent = suggested();
    dims.forEach((name, index) => {
      const value = scoreOf(name);
      form.querySelectorAll('input[name="' + inputName(name) + '"][type=radio]').forEach((input) => {
        input.checked = value !== null && Number(input.value) === value;
      });
      const slider = $(sliderId(name));
      if (slider) {
        if (value !== null) slider.value = value;
        slider.classList.toggle("unset", value === null);
        $(outputId(name)).textContent = value === null ? "\u2014" : value;
      }
      const group = name ? form.querySelector('[data-dimension="' + name + '"]') : null;
      if (group) group.classList.toggle("active", index === active);
    });
    $("reason-row").hidden = !needsReason();
  }

  function cycleAspect(aspect) {
    const inputs = Array.from(form.querySelectorAll('input[name="aspect-' + aspect.key + '"]'));
    const index = inputs.findIndex((input) => input.checked);
    inputs[(index + 1) % inputs.length].checked = true;
    refreshVerdict();
  }

  function resetForm() {
    protocol.aspects.forEach((aspect) => {
      form.querySelector('input[name="aspect-' + aspect.key + '"][value="none"]').checked = true;
    });
    chosen = {};
    active = 0;
    if (document.activeElement === $("reason")) $("reason").blur();  // keys go to the checklist again
    $("reason").value = "";
    $("form-error").hidden = true;
    refreshVerdict();
  }

  // --- status and overlays ---
  function setStatus(kind, text) {
    const element = $("net-status");
    element.className = "net-status " + kind;
    element.textContent = text;
  }

  function overlay(html) {
    $("overlay-box").innerHTML = html;
    $("overlay").hidden = !html;
  }

  function showError(text) { $("form-error").textContent = text; $("form-error").hidden = false; }

  // --- showing tasks ---
  function show(task) {
    stopVideo();
    current = task;
    overlay("");
    $("task-label").textContent = { training: "Training", qualification: "Qualification", relabel: "Second look" }[task.kind] || "";
    $("relabel-note").hidden = task.kind !== "relabel";
    $("prompt-text").textContent = task.prompt || "";
    $("prompt").hidden = !task.prompt;
    resetForm();
    if (isVideo(task)) { showVideo(task); return; }
    image.hidden = false;
    $("video-wrap").hidden = true;
    $("playback-note").hidden = true;
    setLocked(false);
    prefetch(task).then((loaded) => {
      if (current !== task) return;
      image.src = loaded.src;
      image.dataset.width = task.width;
      image.dataset.height = task.height;
      image.dataset.task = task.id;
      layout();
      shownAt = performance.now();
    });
  }

  // --- videos: a first full play with no seeking before the rating opens, then optional replays ---
  function locked() { return isVideo(current) && !(playback && playback.ended); }

  function setLocked(value) {
    $("rating-inputs").disabled = value;
    form.classList.toggle("locked", value);
  }

  function showVideo(task) {
    image.hidden = true;
    $("video-wrap").hidden = false;
    playback = { task: task.id, furthest: 0, last: 0, played: 0, ended: false, replays: 0, seeksBlocked: 0 };
    setLocked(true);
    video.controls = false;
    video.dataset.width = task.width;
    video.dataset.height = task.height;
    video.dataset.task = task.id;
    video.src = task.image_url;
    video.load();
    $("play").hidden = false;
    $("play").innerHTML = "&#9654; Play (Space)";
    $("replay").hidden = true;
    $("playback-text").textContent = "Watch the whole clip once: rating opens when it ends. Seeking is off during the first play.";
    $("playback-note").hidden = false;
    layout();
    shownAt = performance.now();
  }

  function stopVideo() {
    if (!playback) return;
    video.pause();
    playback = null;
  }

  function play() {
    if (!playback || !video.paused) return;
    $("play").hidden = true;
    $("replay").hidden = true;
    if (playback.ended) {  // a replay, allowed by the protocol
      playback.replays += 1;
      video.currentTime = 0;
      playback.last = 0;
    }
    video.play().catch(() => { $("play").hidden = false; });
  }

  video.addEventListener("timeupdate", () => {
    if (!playback || video.seeking) return;
    const step = video.currentTime - playback.last;
    if (step > 0 && step < 1.5) playback.played += step;  // watched at normal speed
    playback.last = video.currentTime;
    if (!playback.ended) playback.furthest = Math.max(playback.furthest, video.currentTime);
  });
  video.addEventListener("seeking", () => {
    if (!playback) return;
    if (!playback.ended && Math.abs(video.currentTime - playback.furthest) > 0.05) {
      playback.seeksBlocked += 1;  // no seeking during the first play: back to the furthest point played
      video.currentTime = playback.furthest;
    }
    playback.last = playback.ended ? video.currentTime : playback.furthest;
  });
  video.addEventListener("pause", () => {
    if (playback && !video.ended && !playback.ended) { $("play").innerHTML = "&#9654; Continue (Space)"; $("play").hidden = false; }
  });
  video.addEventListener("ended", () => {
    if (!playback) return;
    const rest = video.duration - playback.last;
    if (rest > 0 && rest < 1.5) playback.played += rest;
    playback.last = video.duration;
    if (!playback.ended) {
      playback.ended = true;
      playback.furthest = video.duration;
      setLocked(false);
      shownAt = performance.now();  // the response time of a video counts from the end of the first play
    }
    $("playback-text").textContent = "Played through: rate it now." + (protocol.replay ? " You may replay it." : "");
    $("replay").hidden = !protocol.replay;
  });
  video.addEventListener("loadedmetadata", layout);
  $("play").addEventListener("click", play);
  $("replay").addEventListener("click", play);

  function applyState(next) {
    state = next;
    $("block-progress").max = state.progress.block_size;
    $("block-progress").value = state.progress.block_done;
    if (state.progress.study_total) $("study-progress").max = state.progress.study_total;  // absent after a vote: unchanged
    $("study-progress").value = state.progress.study_done;
    if (state.paused) { stopVideo(); current = null; overlay("<h2>Rating paused</h2><p>" + escapeHtml(state.pause_reason) + "</p><p>Your coordinator has been told.</p>"); return; }
    if (state.break_seconds_left > 0) { breakCountdown(state.break_seconds_left); return; }
    const pending = state.tasks.filter((task) => !queuedIds().has(task.id));
    pending.slice(1).forEach(prefetch);
    if (current && pending.length && pending[0].id === current.id) return;
    if (pending.length) { show(pending[0]); return; }
    if (queue.length) { current = null; waitingForServer = true; overlay("<h2>Waiting for the server</h2><p>Your votes are kept on this device and will be sent as soon as it answers.</p>"); return; }
    location.assign(state.done_url);
  }

  function breakCountdown(seconds) {
    stopVideo();
    current = null;
    let left = seconds;
    const tick = () => {
      if (left <= 0) { refresh(); return; }
      overlay("<h2>Time for a break</h2><p>Rest your eyes; rating resumes in <strong id='break-left'>" + left + "</strong> s.</p>");
      left -= 1;
      setTimeout(tick, 1000);
    };
    tick();
  }

  function escapeHtml(text) { const div = document.createElement("div"); div.textContent = text; return div.innerHTML; }

  async function refresh() {
    try {
      const response = await fetch(urls.queue, { credentials: "same-origin" });
      if (response.ok) { applyState(await response.json()); return; }
    } catch (error) { /* fall through to retry */ }
    setTimeout(refresh, 2000);
  }

  // --- submitting: store locally first, then send, retrying until the server has it ---
  function submit() {
    if (!current || locked()) return;
    const missing = dims.filter((name) => scoreOf(name) === null);
    if (missing.length) {
      active = dims.indexOf(missing[0]);
      refreshVerdict();
      showError("Give a score for " + labels[missing[0]] + ": every dimension needs one.");
      return;
    }
    if (needsReason() && !$("reason").value.trim()) {
      $("reason-row").hidden = false;
      showError("Your score differs from the guideline's " + suggested() + ": say in one line why.");
      $("reason").focus();
      return;
    }
    const vote = {
      task_id: current.id, client_id: crypto.randomUUID ? crypto.randomUUID() : uuid4(),
      deductions: deductions(), reason: $("reason").value.trim(),
      response_time_ms: Math.round(performance.now() - shownAt), display: display(),
    };
    if (protocol.dimensions.length) vote.scores = Object.fromEntries(dims.map((name) => [name, scoreOf(name)]));
    else vote.score = score();
    stopVideo();
    queue.push(vote);
    saveQueue();
    const wasTraining = current.kind === "training" || current.kind === "qualification";
    current = null;
    if (!wasTraining) {
      const next = state.tasks.filter((task) => !queuedIds().has(task.id));
      if (next.length) show(next[0]); else overlay("<h2>Saving…</h2>");
    } else {
      overlay("<h2>Saving…</h2>");
    }
    flush();
  }

  function uuid4() {
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
  }

  async function flush() {
    if (flushing || !queue.length) return;
    flushing = true;
    clearTimeout(retryTimer);
    setStatus("busy", "Saving…");
    let latest = null;
    while (queue.length) {
      const vote = queue[0];
      let response = null;
      try {
        response = await fetch(urls.submit, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: JSON.stringify(vote),
        });
      } catch (error) { response = null; }
      if (!response || response.status >= 500) {
        setStatus("offline", "Server unreachable: " + queue.length + " vote" + (queue.length > 1 ? "s" : "") +
          " kept on this device, retrying…");
        flushing = false;
        retryTimer = setTimeout(flush, 1500);
        return;
      }
      const data = await response.json().catch(() => ({}));
      queue.shift();
      saveQueue();
      if (response.ok) {
        latest = data;
      } else {
        showError("Not stored: " + (data.detail || JSON.stringify(data)));
        latest = null;
        flushing = false;
        setStatus("error", "A vote was refused");
        current = null;
        refresh();
        return;
      }
    }
    flushing = false;
    setStatus("ok", "All votes saved");
    if (latest && latest.feedback) { showFeedback(latest.feedback, latest.state); return; }
    if (latest) {
      if (waitingForServer) { waitingForServer = false; current = null; }
      applyState(latest.state);
    }
  }

  function showFeedback(feedback, next) {
    const verdict = feedback.within_tolerance ? "Well within the reference." : "Further from the reference than we allow.";
    overlay("<h2>Training feedback</h2><p>You gave <strong>" + feedback.your_score + "</strong>; the reference score is <strong id='reference-score'>" +
      feedback.reference + "</strong>. " + verdict + "</p><p>" + escapeHtml(feedback.explanation || "") +
      "</p><button type='button' class='primary' id='continue'>Continue (Enter)</button>");
    $("continue").addEventListener("click", () => applyState(next));
    $("continue").focus();
  }

  // --- events ---
  form.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  function dimensionOf(input) {
    if (input.name === "score") return "";
    return input.name.startsWith("score-") ? input.name.slice(6) : null;
  }
  function choose(input) {
    const name = dimensionOf(input);
    if (name === null || !dims.includes(name)) return;
    chosen[name] = Number(input.value);
    active = dims.indexOf(name);
  }
  form.addEventListener("change", (event) => { choose(event.target); refreshVerdict(); });
  dims.forEach((name) => {
    const slider = $(sliderId(name));
    if (slider) slider.addEventListener("input", (event) => { choose(event.target); refreshVerdict(); });
  });
  window.addEventListener("resize", layout);
  window.addEventListener("online", flush);
  $("fullscreen").addEventListener("click", () => document.documentElement.requestFullscreen && document.documentElement.requestFullscreen());

  document.addEventListener("keydown", (event) => {
    if (event.target.id === "reason" && event.key !== "Enter") return;
    if (!$("overlay").hidden) {
      if (event.key === "Enter" && $("continue")) { event.preventDefault(); $("continue").click(); }
      return;
    }
    if (event.key === " " && isVideo(current) && event.target.tagName !== "BUTTON") {
      event.preventDefault();
      if (!$("play").hidden || !$("replay").hidden) play();
      return;
    }
    if (locked()) {  // nothing is scored or submitted before the clip has played through once
      if (event.key === "Enter") event.preventDefault();
      return;
    }
    const aspect = protocol.aspects.find((a) => a.shortcut === event.key.toLowerCase());
    if (protocol.scale === "acr5" && event.key >= "1" && event.key <= "5") {
      chosen[dims[active]] = Number(event.key);
      if (active < dims.length - 1) active += 1;
      refreshVerdict();
    } else if (aspect) {
      cycleAspect(aspect);
    } else if (event.key === "Enter") {
      event.preventDefault();
      submit();
    } else if (event.key === "f" || event.key === "F") {
      $("fullscreen").click();
    }
  });

  // start: send anything left from an earlier visit, then show the first task
  layout();
  if (queue.length) { flush(); }
  const first = state.tasks.filter((task) => !queuedIds().has(task.id));
  if (state.break_seconds_left > 0 || state.paused) applyState(state);
  else if (first.length) { show(first[0]); first.slice(1).forEach(prefetch); }
  else applyState(state);
  window.moslabRating = { queueLength: () => queue.length, current: () => current && current.id,
    ready: () => Boolean(current) && (isVideo(current)
      ? video.dataset.task === String(current.id) && video.readyState >= 1
      : image.dataset.task === String(current.id) && image.complete),
    playback: () => playback && { furthest: playback.furthest, played: playback.played, ended: playback.ended,
      replays: playback.replays, seeks_blocked: playback.seeksBlocked, locked: locked() } };
})();
