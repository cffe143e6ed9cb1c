// A film's face tracks: the buttons "show in the film" and the marks on the timeline under the
// player seek it to the first second a face is seen. The marks are placed from their data-from and
// data-to seconds. Without JavaScript the list still shows each track's first and last second.
(function () {
  "use strict";
  const player = document.getElementById("player");
  if (!player) return;
  document.querySelectorAll("[data-seek]").forEach(function (button) {
    button.addEventListener("click", function () {
      player.currentTime = Number(button.dataset.seek) || 0;
      player.scrollIntoView({ block: "nearest" });
      player.focus();
    });
  });
  const line = document.getElementById("track-timeline");
  if (!line) return;
  const total = Number(line.dataset.duration) || 0;
  if (total <= 0) return;
  // Tracks that overlap in time go on lanes of their own, so each stays visible and clickable.
  const lanes = [];
  const marks = Array.prototype.slice.call(line.querySelectorAll(".track-mark"));
  marks.sort(function (a, b) { return Number(a.dataset.from) - Number(b.dataset.from); });
  marks.forEach(function (mark) {
    const from = Math.min(total, Number(mark.dataset.from) || 0);
    const to = Math.min(total, Math.max(from, Number(mark.dataset.to) || from));
    let lane = lanes.findIndex(function (end) { return end < from; });
    if (lane < 0) lane = lanes.push(0) - 1;
    lanes[lane] = to + total / 100; // a little room, so a short track is never hidden under the next
    mark.style.left = (from / total) * 100 + "%";
    mark.style.width = ((to - from) / total) * 100 + "%";
    mark.style.top = lane + "rem";
  });
  line.style.height = Math.max(1, lanes.length) + "rem";
})();
