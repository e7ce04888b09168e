// A page showing a queued or running job (an element with data-job-status-url) asks the job's JSON status
// every POLL_MS at first, then after a tenth of the time waited so far (WAIT_SHARE, at most every SLOWEST_MS),
// and reloads once the job has ended: the results show at most about a tenth of the wait after the worker has
// stored them (about 40 requests in the first 20 s, then one every 2 s). Without scripts, the page's
// <noscript> refresh reloads it every 2 s instead.
(() => {
  const POLL_MS = 100;
  const WAIT_SHARE = 0.1;
  const SLOWEST_MS = 2000;
  const marker = document.querySelector("[data-job-status-url]");
  if (!marker) return;
  const url = marker.dataset.jobStatusUrl;
  const started = Date.now();

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
    setTimeout(poll, Math.min(Math.max(POLL_MS, (Date.now() - started) * WAIT_SHARE), SLOWEST_MS));
  }

  setTimeout(poll, POLL_MS);
})();
