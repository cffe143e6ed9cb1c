// Upload the chosen files one by one, with a progress bar per file and overall.
// Without JavaScript the form posts all files at once and the server lists the results.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  const input = form.querySelector("input[type=file]");
  const list = document.getElementById("upload-list");
  const overall = document.getElementById("overall-bar");
  const label = (name) => form.dataset["label" + name];
  const done = document.getElementById("upload-done");
  let album = null;

  function row(file) {
    const item = document.createElement("li");
    item.className = "list-group-item";
    const name = document.createElement("div");
    name.className = "d-flex justify-content-between gap-2";
    const title = document.createElement("span");
    title.className = "text-truncate";
    title.textContent = file.name;
    const status = document.createElement("span");
    status.className = "small";
    name.append(title, status);
    const bar = document.createElement("div");
    bar.className = "progress mt-1";
    const fill = document.createElement("div");
    fill.className = "progress-bar";
    bar.append(fill);
    item.append(name, bar);
    list.append(item);
    return { item, status, fill };
  }

  function send(file, view, done) {
    const data = new FormData(form);
    data.delete("files");
    data.append("files", file, file.name);
    const request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) view.fill.style.width = Math.round((100 * event.loaded) / event.total) + "%";
    });
    request.addEventListener("load", () => {
      let result = null;
      try { result = JSON.parse(request.responseText); } catch (error) { result = null; }
      const outcome = result && result.results ? result.results[0] : null;
      view.fill.style.width = "100%";
      if (result && result.album_id) album = result.album_id;
      if (outcome && outcome.status !== "refused") {
        view.item.dataset.status = outcome.status;
        const link = document.createElement("a");
        link.href = form.dataset.item.replace("0", outcome.id);
        link.textContent = label(outcome.status === "added" ? "Added" : "Existing");
        view.status.replaceChildren(link);
        view.fill.classList.add("bg-success");
      } else {
        view.item.dataset.status = "refused";
        const message = outcome ? outcome.message : (result && result.error ? result.error.message : "");
        view.status.textContent = label("Refused") + (message ? ": " + message : "");
        view.fill.classList.add("bg-danger");
      }
      done();
    });
    request.addEventListener("error", () => {
      view.item.dataset.status = "failed";
      view.status.textContent = label("Failed");
      view.fill.classList.add("bg-danger");
      done();
    });
    request.send(data);
  }

  form.addEventListener("submit", (event) => {
    if (!input.files.length || !form.checkValidity()) return;
    event.preventDefault();
    const files = Array.from(input.files);
    document.getElementById("upload-progress").hidden = false;
    list.replaceChildren();
    let finished = 0;
    const next = () => {
      overall.style.width = Math.round((100 * finished) / files.length) + "%";
      if (finished === files.length) {
        input.value = "";  // keep the group and album for the next batch
        if (album) {
          done.href = form.dataset.library + "?album=" + album;
          done.hidden = false;
        }
        return;
      }
      const file = files[finished];
      send(file, row(file), () => { finished += 1; next(); });
    };
    next();
  });
})();
