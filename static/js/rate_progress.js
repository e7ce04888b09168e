// Rating page, progress: "Image n of N" of the annotator's own images (training and qualification counted on
// their own) and of the current block, from the server's counts plus the votes still kept on this device.
// Part of the rating page (rate.js wires the parts).
(function () {
  "use strict";
  window.moslabRate = window.moslabRate || {};
  const NAMES = { training: "Training image", qualification: "Qualification image", rating: "Image" };
  const groupOf = (kind) => (kind === "training" || kind === "qualification" ? kind : "rating");

  window.moslabRate.createProgress = function ({ $ }) {
    let group = "rating";
    let most = 0;  // study images this annotator may rate: theirs and those still open to them when last asked

    // progress: the state's counts; task: the one on screen (null between tasks); queued: votes not yet stored
    function render(progress, task, queued, onBreak) {
      if (task) group = groupOf(task.kind);
      if (progress.open_to_you !== undefined) most = progress.yours.rating.total + progress.open_to_you;
      const count = progress.yours[group];
      const total = group === "rating" ? Math.max(most, count.total) : count.total;  // claims add to their own
      const kept = queued.filter((vote) => vote.group === group).length;
      const done = Math.min(count.done + kept, total);
      $("your-progress").max = Math.max(total, 1);
      $("your-progress").value = done;
      $("your-label").textContent = task && done < total
        ? NAMES[group] + " " + (done + 1) + " of " + total
        : NAMES[group].replace(/image$/, "images").replace(/^Image$/, "Images") + ": " + done + " of " + total + " rated";
      $("block-bar").hidden = group !== "rating";
      const size = progress.block_size;
      const inBlock = onBreak ? size : Math.min(progress.block_done + kept, size);  // a break follows a full block
      $("block-progress").max = size;
      $("block-progress").value = inBlock;
      $("block-label").textContent = task && !onBreak && inBlock < size
        ? "Block: " + (inBlock + 1) + " of " + size : "Block: " + inBlock + " of " + size + " rated";
    }

    return { render, groupOf };
  };
})();
