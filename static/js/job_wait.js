// A page showing a queued or running job (an element with data-job-status-url) asks the job's JSON status
// every POLL_MS for the first FAST_FOR_MS, then less and less often (up to every SLOWEST_MS), and reloads once
// the job has ended: the results show as soon as the worker has stored them. Without scripts, the page's
// <noscript> refresh reloads it every 2 s instead.
(() => {
  const POLL_MS = 100;
  const FAST_FOR_MS = 2000;
  const SLOWEST_MS = 2000;
  const marker = document.querySelector("[data-job-status-url]");
  if (!marker) return;
  const url = marker.dataset.jobStatusUrl;
  const started = Date.now();
  let delay = POLL_MS;

  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const job = await response.json();
        if (job.status !== "queued" && job.status !== "running") {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // the network or the server is away for a moment: ask again later
    }
    if (Date.now() - started > FAST_FOR_MS) delay = Math.min(delay * 1.5, SLOWEST_MS);
    setTimeout(poll, delay);
  }

  setTimeout(poll, delay);
})();
