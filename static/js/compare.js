// Compare page: the earlier photo laid over the later one with a slider between them, and the
// heatmaps on or off. Progressive enhancement: without this file the photos stand side by side
// with their heatmaps shown.
(function () {
  "use strict";

  function initSlider(figure, slider) {
    var top = figure.querySelector("[data-compare-top]");
    var divider = figure.querySelector("[data-compare-divider]");
    if (!top) return;

    function apply() {
      // The earlier photo shows left of the divider, the later one right of it.
      var share = Math.min(Math.max(Number(slider.value), 0), 100);
      top.style.clipPath = "inset(0 " + (100 - share) + "% 0 0)";
      if (divider) divider.style.left = share + "%";
      slider.setAttribute("aria-valuetext", share + "% earlier photo, " + (100 - share) + "% later photo");
    }

    figure.classList.add("compare--overlay");
    if (divider) divider.hidden = false;
    slider.addEventListener("input", apply);
    apply();
  }

  function initHeatmaps(toggle) {
    var layers = document.querySelectorAll("[data-compare-heatmap]");
    if (!layers.length) {
      toggle.closest("label").hidden = true;
      return;
    }
    function apply() {
      Array.prototype.forEach.call(layers, function (layer) {
        layer.hidden = !toggle.checked;
      });
    }
    toggle.addEventListener("change", apply);
    apply();
  }

  var controls = document.querySelector("[data-compare-controls]");
  if (!controls) return;
  var figure = document.querySelector("[data-compare]");
  var slider = controls.querySelector("[data-compare-slider]");
  var toggle = controls.querySelector("[data-compare-heatmaps]");
  if (figure && slider) initSlider(figure, slider);
  if (toggle) initHeatmaps(toggle);
  controls.hidden = false;
})();
