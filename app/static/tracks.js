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
  line.querySelectorAll(".track-mark").forEach(function (mark) {
    const from = Math.min(total, Number(mark.dataset.from) || 0);
    const to = Math.min(total, Math.max(from, Number(mark.dataset.to) || from));
    mark.style.left = (from / total) * 100 + "%";
    mark.style.width = ((to - from) / total) * 100 + "%";
  });
})();
