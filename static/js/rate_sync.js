// Rating page, the session client: every vote goes first into a queue in localStorage, then to the server,
// retried with the same id until the server has it, so no vote is lost or doubled. A lost network and a server
// error are told apart, each with what the rater should do. Part of the rating page (rate.js wires the parts).
(function () {
  "use strict";
  window.moslabRate = window.moslabRate || {};

  window.moslabRate.createSync = function ({ $, urls, queueKey, csrf, onStored, onRefused, onState }) {
    let queue = JSON.parse(localStorage.getItem(queueKey) || "[]");
    let flushing = false;
    let retryTimer = null;

    const save = () => localStorage.setItem(queueKey, JSON.stringify(queue));
    const votes = (count) => count + " vote" + (count === 1 ? "" : "s");

    function status(kind, text) {
      $("net-status").className = "net-status " + kind;
      $("net-status").textContent = text;
    }

    // problem: null (all well), "network" (no answer at all) or an HTTP status of 500 and above
    function banner(problem, doing) {
      const element = $("sync-banner");
      element.hidden = problem === null;
      if (problem === "network") {
        element.className = "sync-banner network";
        element.textContent = "No connection to the server: check your network (Wi-Fi, cable, VPN). " + doing +
          " You do not need to reload the page.";
      } else if (problem !== null && problem < 500) {
        element.className = "sync-banner refused";
        element.textContent = "The server refused the request (HTTP " + problem + "). " + doing;
      } else if (problem !== null) {
        element.className = "sync-banner server";
        element.textContent = "The server had an error (HTTP " + problem + "); this is not your network. " + doing +
          " If this lasts more than a few minutes, tell your coordinator.";
      }
    }

    function add(vote) { queue.push(vote); save(); }

    async function send(vote) {
      const { group, ...body } = vote;  // the progress group stays on the device
      try {
        return await fetch(urls.submit, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: JSON.stringify(body),
        });
      } catch (error) {
        return null;  // no answer: the network (or the server's machine) cannot be reached
      }
    }

    async function flush() {
      if (flushing || !queue.length) return;
      flushing = true;
      clearTimeout(retryTimer);
      status("busy", "Saving\u2026");
      let latest = null;
      while (queue.length) {
        const response = await send(queue[0]);
        if (!response || response.status >= 500) {
          status("offline", votes(queue.length) + " kept on this device");
          banner(response ? response.status : "network", "Not yet saved: " + votes(queue.length) +
            ", kept on this device and sent again every few seconds; you can keep rating.");
          flushing = false;
          retryTimer = setTimeout(flush, 1500);
          return;
        }
        const data = await response.json().catch(() => ({}));
        queue.shift();
        save();
        if (!response.ok) {
          flushing = false;
          status("error", "A vote was refused");
          banner(response.status, "Not stored: " + (data.detail || JSON.stringify(data)) + " Rate the image again.");
          onRefused();
          return;
        }
        latest = data;
      }
      flushing = false;
      status("ok", "All votes saved");
      banner(null);
      if (latest) onStored(latest);
    }

    // the annotator's state from the server, asked again until it answers
    async function refresh() {
      let response = null;
      try {
        response = await fetch(urls.queue, { credentials: "same-origin" });
      } catch (error) { response = null; }
      if (response && response.ok) {
        if (!$("sync-banner").classList.contains("refused")) banner(null);  // a refusal stays until a vote is stored
        onState(await response.json());
        return;
      }
      if (response && response.status < 500) {
        banner(response.status, "Reload the page; if it asks you to log in, do so: your stored votes are safe.");
        return;
      }
      banner(response ? response.status : "network", "The next image is asked for again every few seconds.");
      setTimeout(refresh, 2000);
    }

    window.addEventListener("online", flush);
    return { add, flush, refresh, queue: () => queue, queuedIds: () => new Set(queue.map((vote) => vote.task_id)) };
  };
})();
