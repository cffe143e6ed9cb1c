// The media item page: boxes over the photo, drawing a box to tag someone (or someone from outside
// the school), clicking a detected face to say who it is, and searching the picker by name. Without JavaScript the page still
// works: faces are listed with a "who is this?" choice and the search reloads the page.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  const form = document.getElementById("tags");
  const stage = document.getElementById("stage");
  const list = document.getElementById("people-list");

  function place(el, box) {
    el.style.left = box[0] * 100 + "%";
    el.style.top = box[1] * 100 + "%";
    el.style.width = box[2] * 100 + "%";
    el.style.height = box[3] * 100 + "%";
  }

  // A person in the tag list (added when search finds someone new), ticked.
  function ensurePerson(id, name) {
    let box = document.getElementById("tag-" + id);
    if (!box) {
      const row = document.createElement("div");
      row.className = "form-check";
      box = document.createElement("input");
      box.className = "form-check-input";
      box.type = "checkbox";
      box.name = "person_id";
      box.value = id;
      box.id = "tag-" + id;
      const label = document.createElement("label");
      label.className = "form-check-label";
      label.htmlFor = box.id;
      label.textContent = name;
      row.append(box, label);
      list.append(row);
      for (const select of document.querySelectorAll("select.face-person, #box-person")) {
        if (!select.querySelector('option[value="' + id + '"]')) select.append(new Option(name, id));
      }
    }
    box.checked = true;
    return box;
  }

  // Boxes of tags and detected faces.
  if (stage) {
    for (const el of stage.querySelectorAll("[data-box]")) place(el, el.dataset.box.split(",").map(Number));
    for (const el of stage.querySelectorAll("[data-face]")) {
      el.addEventListener("click", (event) => {
        event.preventDefault();
        const row = document.getElementById("face-" + el.dataset.face);
        const select = document.getElementById("face-person-" + el.dataset.face);
        if (!row) return;
        row.scrollIntoView({ behavior: "smooth", block: "center" });
        for (const other of document.querySelectorAll(".face-highlight")) other.classList.remove("face-highlight");
        row.classList.add("face-highlight");
        if (select) select.focus();
      });
    }

    // Drawing a box: press, drag, release; then pick who it is.
    const panel = document.getElementById("box-panel");
    const who = document.getElementById("box-person");
    let start = null;
    let drawing = null;
    let pending = null;
    const point = (event) => {
      const rect = stage.getBoundingClientRect();
      return [
        Math.min(Math.max((event.clientX - rect.left) / rect.width, 0), 1),
        Math.min(Math.max((event.clientY - rect.top) / rect.height, 0), 1),
      ];
    };
    const boxOf = (a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1])];
    stage.addEventListener("pointerdown", (event) => {
      if (event.target.closest("[data-face]") || event.button !== 0) return;
      start = point(event);
      if (drawing) drawing.remove();
      drawing = document.createElement("div");
      drawing.className = "box box-drawing";
      stage.append(drawing);
      place(drawing, [start[0], start[1], 0, 0]);
      stage.setPointerCapture(event.pointerId);
    });
    stage.addEventListener("pointermove", (event) => {
      if (start) place(drawing, boxOf(start, point(event)));
    });
    stage.addEventListener("pointerup", (event) => {
      if (!start) return;
      const box = boxOf(start, point(event));
      start = null;
      if (box[2] < 0.02 || box[3] < 0.02) {
        drawing.remove();
        drawing = null;
        return;
      }
      pending = box.map((v) => Math.round(v * 10000) / 10000);
      panel.classList.remove("d-none");
      who.value = "";
      who.focus();
    });
    const cancel = () => {
      panel.classList.add("d-none");
      if (drawing) drawing.remove();
      drawing = null;
      pending = null;
    };
    document.getElementById("box-cancel").addEventListener("click", cancel);
    document.getElementById("box-ok").addEventListener("click", () => {
      if (!who.value || !pending) return who.focus();
      const id = who.value;
      ensurePerson(id, who.selectedOptions[0].textContent);
      let hidden = form.querySelector('input[name="box_' + id + '"]');
      if (!hidden) {
        hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = "box_" + id;
        form.append(hidden);
      }
      hidden.value = pending.join(",");
      drawing.className = "box box-tag";
      const label = document.createElement("span");
      label.textContent = who.selectedOptions[0].textContent.split(" ")[0];
      drawing.append(label);
      drawing = null;
      pending = null;
      panel.classList.add("d-none");
    });

    // Or the box is someone from outside the school: sent with the "add" form of that section.
    const outsider = document.getElementById("box-outsider");
    document.getElementById("box-outsider-ok").addEventListener("click", () => {
      const form = document.getElementById("outsider-form");
      if (!outsider.value.trim() || !pending || !form) return outsider.focus();
      document.getElementById("outsider-box").value = pending.join(",");
      document.getElementById("outsider-name").value = outsider.value.trim();
      form.requestSubmit(form.querySelector('button[value="add"]'));
    });
  }

  // A face given to someone ticks that person.
  for (const select of document.querySelectorAll("select.face-person")) {
    select.addEventListener("change", () => {
      if (select.value) ensurePerson(select.value, select.selectedOptions[0].textContent);
    });
  }

  // The picker's search, as you type.
  const search = document.getElementById("people-search");
  const results = document.getElementById("search-results");
  if (search && form && window.fetch) {
    let timer = null;
    search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault();
    });
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        results.replaceChildren();
        const q = search.value.trim();
        if (q.length < 2) return;
        const response = await fetch(form.dataset.search + "?q=" + encodeURIComponent(q), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (!response.ok) return;
        for (const person of await response.json()) {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "list-group-item list-group-item-action";
          button.textContent = person.name + " · " + person.kind;
          button.addEventListener("click", () => {
            ensurePerson(String(person.id), person.name);
            results.replaceChildren();
            search.value = "";
          });
          results.append(button);
        }
      }, 200);
    });
  }
})();
