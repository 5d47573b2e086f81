// The labelling page: lesion marks are points tapped on the photo, each with the type chosen,
// sent with the grade (fractions of the photo, so they hold at any displayed size).
(function () {
  "use strict";
  var form = document.querySelector("[data-labelling]");
  if (!form) return;
  var area = form.querySelector("[data-marks]");
  var image = area.querySelector("img");
  var field = form.querySelector("[data-lesions]");
  var count = form.querySelector("[data-mark-count]");
  var marks = [];
  var sent = false;

  function show() {
    field.value = JSON.stringify(marks);
    count.textContent = String(marks.length);
  }

  image.addEventListener("click", function (event) {
    var box = image.getBoundingClientRect();
    var type = form.querySelector("input[name=lesion_type]:checked");
    var mark = {
      x: Math.round(((event.clientX - box.left) / box.width) * 10000) / 10000,
      y: Math.round(((event.clientY - box.top) / box.height) * 10000) / 10000,
      type: type ? type.value : "papule",
    };
    marks.push(mark);
    var dot = document.createElement("span");
    dot.className = "labelling__mark labelling__mark--" + mark.type;
    dot.title = mark.type;
    dot.style.left = mark.x * 100 + "%";
    dot.style.top = mark.y * 100 + "%";
    dot.setAttribute("data-testid", "mark");
    area.appendChild(dot);
    show();
  });

  form.querySelector("[data-clear-marks]").addEventListener("click", function () {
    marks = [];
    area.querySelectorAll(".labelling__mark").forEach(function (dot) { dot.remove(); });
    show();
  });

  // A second click while the first answer is on its way sends nothing (the server would keep
  // the first anyway).
  form.addEventListener("submit", function (event) {
    if (sent) event.preventDefault();
    sent = true;
  });
})();
