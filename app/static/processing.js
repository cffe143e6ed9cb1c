// A film or sound recording still processing: ask for its state every 2 seconds, move the bar, and
// reload the page once it is done (the player, poster and faces then appear). Without JavaScript
// the page has a "Refresh" link.
(function () {
  "use strict";
  const box = document.getElementById("processing");
  if (!box) return;
  const bar = document.getElementById("processing-bar");
  const label = document.getElementById("processing-label");
  const template = label ? label.textContent.replace(/\d+\s*%/, "{n}%") : "";
  function show(percent) {
    if (bar) {
      bar.style.width = percent + "%";
      bar.parentElement.setAttribute("aria-valuenow", String(percent));
    }
    if (label && template.indexOf("{n}") >= 0) label.textContent = template.replace("{n}", String(percent));
  }
  if (bar) show(Number(bar.dataset.percent || 0));
  function poll() {
    fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (status && status.state !== "processing") {
          window.location.reload();
          return;
        }
        if (status) show(status.progress);
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
})();
