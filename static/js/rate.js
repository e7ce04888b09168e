// Rating page: shows one task at a time and wires the parts: drawing (rate_display.js), videos (rate_video.js),
// the checklist and scores (rate_scoring.js), progress (rate_progress.js) and the vote queue (rate_sync.js).
// Pauses, breaks, training feedback and the keyboard are handled here.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const parts = window.moslabRate;
  const protocol = JSON.parse($("protocol-data").textContent);
  let state = JSON.parse($("state-data").textContent);
  const form = $("rating-form");
  const image = $("stimulus");
  const video = $("stimulus-video");
  let current = null;          // the task on screen
  let waitingForServer = false;

  const display = parts.createDisplay({ $, image, video, stage: $("stage") });
  const videos = parts.createVideo({ $, video, protocol, onPlayedThrough: () => scoring.startViewing() });
  const scoring = parts.createScoring({ $, form, protocol, onUnlock: () => refreshLock() });
  const progress = parts.createProgress({ $ });
  const sync = parts.createSync({
    $, urls: { queue: form.dataset.queueUrl, submit: form.dataset.submitUrl },
    queueKey: "moslab-votes-" + form.dataset.studyId + "-" + (document.querySelector(".who") || {}).textContent,
    csrf: form.querySelector("input[name=csrfmiddlewaretoken]").value,
    onStored, onRefused, onState: applyState,
  });

  const isVideo = (task) => Boolean(task) && task.media_type === "video";
  const shown = () => (isVideo(current) ? video : image);
  const locked = () => !current || videos.waiting() || scoring.viewing();
  const layout = () => display.layout(shown());

  // scoring stays closed until a video played through once and the protocol's minimum viewing time passed
  function refreshLock() {
    $("rating-inputs").disabled = locked();
    form.classList.toggle("locked", locked());
  }

  function overlay(html) {
    $("overlay-box").innerHTML = html;
    $("overlay").hidden = !html;
  }
  function escapeHtml(text) { const div = document.createElement("div"); div.textContent = text; return div.innerHTML; }
  function showError(text) { $("form-error").textContent = text; $("form-error").hidden = false; }
  function renderProgress() { progress.render(state.progress, current, sync.queue(), state.break_seconds_left > 0); }

  function show(task) {
    videos.stop();
    current = task;
    overlay("");
    $("task-label").textContent = { training: "Training", qualification: "Qualification", relabel: "Second look" }[task.kind] || "";
    $("relabel-note").hidden = task.kind !== "relabel";
    $("prompt-text").textContent = task.prompt || "";
    $("prompt").hidden = !task.prompt;
    scoring.reset();
    renderProgress();
    image.hidden = isVideo(task);
    $("video-wrap").hidden = !isVideo(task);
    $("playback-note").hidden = !isVideo(task);
    refreshLock();
    if (isVideo(task)) { videos.show(task); layout(); return; }
    display.prefetch(task).then((loaded) => {
      if (current !== task) return;
      image.src = loaded.src;
      image.dataset.width = task.width;
      image.dataset.height = task.height;
      image.dataset.task = task.id;
      layout();
      scoring.startViewing();
    });
  }

  function stopShowing(html) { videos.stop(); current = null; refreshLock(); renderProgress(); overlay(html); }

  function applyState(next) {
    state = next;
    if (state.paused) { stopShowing("<h2>Rating paused</h2><p>" + escapeHtml(state.pause_reason) + "</p><p>Your coordinator has been told.</p>"); return; }
    if (state.break_seconds_left > 0) { breakCountdown(state.break_seconds_left); return; }
    const pending = state.tasks.filter((task) => !sync.queuedIds().has(task.id));
    pending.slice(1).forEach(display.prefetch);
    renderProgress();
    if (current && pending.length && pending[0].id === current.id) return;
    if (pending.length) { show(pending[0]); return; }
    if (sync.queue().length) { waitingForServer = true; stopShowing("<h2>Waiting for the server</h2><p>Your votes are kept on this device and will be sent as soon as it answers.</p>"); return; }
    location.assign(state.done_url);
  }

  function breakCountdown(seconds) {
    stopShowing("");
    let left = seconds;
    const tick = () => {
      if (left <= 0) { sync.refresh(); return; }
      overlay("<h2>Time for a break</h2><p>Rest your eyes; rating resumes in <strong id='break-left'>" + left + "</strong> s.</p>");
      left -= 1;
      setTimeout(tick, 1000);
    };
    tick();
  }

  // submitting: kept on the device first, then sent (rate_sync.js); the next task shows at once
  function submit() {
    if (locked()) return;
    const problem = scoring.problem();
    if (problem) { showError(problem); return; }
    const vote = { task_id: current.id, client_id: crypto.randomUUID ? crypto.randomUUID() : uuid4(),
      group: progress.groupOf(current.kind), ...scoring.vote(), display: display.record(shown(), videos.record()) };
    videos.stop();
    sync.add(vote);
    const wasTraining = current.kind === "training" || current.kind === "qualification";
    current = null;
    const next = state.tasks.filter((task) => !sync.queuedIds().has(task.id));
    if (!wasTraining && next.length) show(next[0]); else stopShowing("<h2>Saving\u2026</h2>");
    sync.flush();
  }

  function uuid4() {
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
  }

  function onStored(answer) {
    if (answer.feedback) { showFeedback(answer.feedback, answer.state); return; }
    if (waitingForServer) { waitingForServer = false; current = null; }
    applyState(answer.state);
  }

  function onRefused() {  // the banner says why; the server's state brings the task back
    current = null;
    refreshLock();
    sync.refresh();
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
  window.addEventListener("resize", layout);
  video.addEventListener("loadedmetadata", layout);
  $("fullscreen").addEventListener("click", () => document.documentElement.requestFullscreen && document.documentElement.requestFullscreen());

  // The guideline opens over the page (G or its button) and leaves the vote being made as it is.
  const guideline = $("guideline");
  $("guideline-open").addEventListener("click", () => guideline.showModal());

  document.addEventListener("keydown", (event) => {
    if (guideline.open) return;  // Esc closes it (the browser's own dialog key); nothing else reaches the vote
    if (event.target.id === "reason" && event.key !== "Enter") return;
    if ((event.key === "g" || event.key === "G") && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      guideline.showModal();
      return;
    }
    if (!$("overlay").hidden) {
      if (event.key === "Enter" && $("continue")) { event.preventDefault(); $("continue").click(); }
      return;
    }
    if (event.key === " " && isVideo(current) && event.target.tagName !== "BUTTON") {
      event.preventDefault();
      if (videos.canPlay()) videos.play();
      return;
    }
    if (locked()) {  // nothing is scored or submitted before the clip played through and the viewing time passed
      if (event.key === "Enter") event.preventDefault();
      return;
    }
    const aspect = protocol.aspects.find((a) => a.shortcut === event.key.toLowerCase());
    if (protocol.scale === "acr5" && event.key >= "1" && event.key <= "5") {
      scoring.key(Number(event.key));
    } else if (aspect) {
      scoring.cycleAspect(aspect);
    } else if (event.key === "Enter") {
      event.preventDefault();
      submit();
    } else if (event.key === "f" || event.key === "F") {
      $("fullscreen").click();
    }
  });

  // start: send anything left from an earlier visit, then show the first task
  layout();
  sync.flush();
  applyState(state);
  window.moslabRating = { queueLength: () => sync.queue().length, current: () => current && current.id,
    locked,
    ready: () => Boolean(current) && (isVideo(current)
      ? video.dataset.task === String(current.id) && video.readyState >= 1
      : image.dataset.task === String(current.id) && image.complete),
    playback: () => videos.state() && { ...videos.state(), locked: locked() } };
})();
