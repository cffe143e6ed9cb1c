// The guided consent form: "yes to everything" / "no to everything" per media type ticks every
// question of that media type, so the parent still reviews and saves; each purpose is then stored
// as its own answer. Without JavaScript the buttons stay hidden and every question is answered by hand.
(function () {
  "use strict";
  document.querySelectorAll(".answer-all").forEach(function (row) {
    row.hidden = false;
    row.querySelectorAll("[data-answer-all]").forEach(function (button) {
      button.addEventListener("click", function () {
        const value = button.getAttribute("data-answer-all");
        const fieldset = button.closest("fieldset");
        fieldset.querySelectorAll("input[type=radio][value=" + value + "]").forEach(function (radio) {
          radio.checked = true;
          radio.dispatchEvent(new Event("change", { bubbles: true }));
        });
      });
    });
  });
})();
