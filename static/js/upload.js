// Stimulus upload page: announce the chosen files, send each in chunks at the offset the server holds, resume after
// a lost connection (or, after a reload, when the same files are chosen again), then ask for the all-or-nothing import.
(function () {
  "use strict";
  const section = document.getElementById("upload");
  if (!section) { return; }
  const $ = (id) => document.getElementById(id);
  const csrf = section.querySelector("input[name=csrfmiddlewaretoken]").value;
  const startUrl = section.dataset.startUrl;
  const RETRY_MS = 2000;

  const signature = (files) => "moslab-upload-" + section.dataset.study + "-" +
    files.map((file) => file.name + ":" + file.size).join("|");
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const megabytes = (bytes) => (bytes / 1048576).toFixed(1) + " MB";

  function status(text) { $("upload-status").textContent = text; }

  function showProblems(detail, problems) {
    const box = $("upload-problems");
    box.replaceChildren();
    [detail].concat(problems || []).forEach((line) => {
      const paragraph = document.createElement("p");
      paragraph.textContent = line;
      box.appendChild(paragraph);
    });
    box.hidden = false;
  }

  // fetch that waits and tries again while the network is down; answers the Response of any HTTP status
  async function patient(url, options, doing) {
    for (;;) {
      try {
        return await fetch(url, Object.assign({ credentials: "same-origin" }, options));
      } catch (lost) {
        status("Connection lost while " + doing + "; trying again in a moment (keep this page open).");
        await sleep(RETRY_MS);
      }
    }
  }

  const headers = (extra) => Object.assign({ "X-CSRFToken": csrf }, extra || {});

  async function begin(files) {
    const key = signature(files);
    const known = localStorage.getItem(key);
    if (known) {
      const answer = await patient(startUrl + known + "/", { headers: headers() }, "checking the earlier upload");
      if (answer.ok) { return { key: key, state: await answer.json() }; }
      localStorage.removeItem(key);
    }
    const body = JSON.stringify({ files: files.map((file) => ({ name: file.name, size: file.size })) });
    const answer = await patient(startUrl, { method: "POST", headers: headers({ "Content-Type": "application/json" }),
      body: body }, "starting the upload");
    const state = await answer.json();
    if (!answer.ok) { throw state; }
    localStorage.setItem(key, state.id);
    return { key: key, state: state };
  }

  async function send(files, state) {
    const base = startUrl + state.id + "/";
    const total = files.reduce((sum, file) => sum + file.size, 0);
    const received = Object.assign({}, state.received);
    const done = () => Object.values(received).reduce((sum, value) => sum + value, 0);
    const progress = $("upload-progress");
    progress.hidden = false;
    progress.max = total;
    for (const file of files) {
      while (received[file.name] < file.size) {
        const offset = received[file.name];
        const chunk = file.slice(offset, Math.min(file.size, offset + state.chunk_bytes));
        const url = base + "chunk?name=" + encodeURIComponent(file.name) + "&offset=" + offset;
        const answer = await patient(url, { method: "POST", headers: headers({ "Content-Type": "application/octet-stream" }),
          body: chunk }, "sending " + file.name);
        const reply = await answer.json().catch(() => ({ detail: "The server answered HTTP " + answer.status + "." }));
        if (answer.ok || answer.status === 409) {
          received[file.name] = reply.received;  // 409: the server holds another amount; continue from there
        } else if (answer.status >= 500) {
          status("The server had an error (HTTP " + answer.status + "); trying again in a moment.");
          await sleep(RETRY_MS);
        } else {
          throw reply;
        }
        progress.value = done();
        status("Sent " + megabytes(done()) + " of " + megabytes(total) + " (" + Math.floor(100 * done() / total) + " %).");
      }
    }
    return base;
  }

  async function upload() {
    const files = Array.from($("upload-files").files);
    $("upload-problems").hidden = true;
    if (!files.length) { showProblems("Choose a zip, or images and videos, first.", []); return; }
    $("upload-button").disabled = true;
    let key = null;
    try {
      const begun = await begin(files);
      key = begun.key;
      const base = await send(files, begun.state);
      status("All files arrived; checking and importing them…");
      const answer = await patient(base + "import", { method: "POST", headers: headers() }, "importing");
      const reply = await answer.json().catch(() => ({ detail: "The server answered HTTP " + answer.status + "." }));
      localStorage.removeItem(key);
      if (!answer.ok) { throw reply; }
      status("Imported " + reply.created.length + " new stimuli" +
        (reply.unchanged.length ? "; " + reply.unchanged.length + " were there already, unchanged." : "."));
    } catch (refusal) {
      status("");
      showProblems(refusal.detail || String(refusal), refusal.problems);
    } finally {
      $("upload-button").disabled = false;
    }
  }

  $("upload-button").addEventListener("click", upload);
}());
