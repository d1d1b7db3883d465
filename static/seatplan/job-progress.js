/* The job page follows its job: while the job is queued or running, ask the server for its
   progress every few seconds, move the bar and say the figures in the status line; when it has
   ended, reload the page once so the outcome shows. "Pause updates" stops the polling (WCAG
   2.2.2). Without JavaScript the page offers a "Reload now" link instead. Loaded only by a job
   page whose job has not ended; the CSP allows scripts from this server only. */
(function () {
  "use strict";
  var box = document.querySelector("[data-job-progress]");
  if (!box || box.getAttribute("data-running") !== "yes") {
    return;
  }
  var url = box.getAttribute("data-job-progress");
  var seconds = parseInt(box.getAttribute("data-refresh-seconds"), 10) || 3;
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-job-text]");
  var toggle = document.querySelector("[data-job-pause]");
  var timer = null;
  var paused = false;

  function figure(n) {
    return Number(n).toLocaleString("en-US");
  }

  function schedule() {
    if (!paused) {
      timer = window.setTimeout(poll, seconds * 1000);
    }
  }

  function show(job) {
    bar.max = job.total || 1;
    bar.value = job.done;
    var line = job.status_label + ": " + figure(job.done) + " of " + figure(job.total) + " done";
    if (job.percent !== null) {
      line += " (" + job.percent + "%)";
    }
    if (text.textContent !== line) {
      text.textContent = line;
    }
  }

  function poll() {
    window
      .fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (job) {
        show(job);
        if (job.finished) {
          window.location.reload();
        } else {
          schedule();
        }
      })
      .catch(schedule);
  }

  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      paused = !paused;
      toggle.textContent = paused ? "Resume updates" : "Pause updates";
      if (paused) {
        window.clearTimeout(timer);
      } else {
        poll();
      }
    });
  }
  schedule();
})();
