// Selfie diagnosis pages: photo preview, waiting for the result, heatmap controls, confirmations.
// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // --- Upload: preview each chosen photo (front, left, right) and check it before it is sent -------
  var HEIC = /\.(heic|heif)$/i;

  function megabytes(bytes) {
    return Math.floor(bytes / (1024 * 1024)) + " MB";
  }

  function fileSize(file) {
    var mb = file.size / (1024 * 1024);
    return mb >= 1 ? mb.toFixed(1) + " MB" : Math.ceil(file.size / 1024) + " KB";
  }

  function isHeic(file) {
    return /^image\/hei[cf]/.test(file.type) || HEIC.test(file.name);
  }

  // What is wrong with a chosen file that the server would refuse anyway ("" for nothing): the
  // browser knows its size and type before sending a byte.
  function problemWith(file, limits) {
    if (file.type && file.type.indexOf("image/") !== 0 && !isHeic(file)) {
      return "this is not a photo: choose a JPEG, PNG, WebP or HEIC photo.";
    }
    if (limits.photo && file.size > limits.photo) {
      return "too large: choose a photo under " + megabytes(limits.photo) + ".";
    }
    return "";
  }

  function initPreview(view, limits) {
    var input = view.querySelector('input[type="file"]');
    var box = view.querySelector("[data-selfie-preview]");
    var image = view.querySelector("[data-selfie-preview-image]");
    var note = view.querySelector("[data-selfie-preview-note]");
    if (!input || !box || !image || !window.URL || !URL.createObjectURL) return;
    var current = null;

    function preview() {
      if (current) URL.revokeObjectURL(current);
      current = null;
      var file = input.files && input.files[0];
      if (!file) {
        box.hidden = true;
        return;
      }
      var problem = problemWith(file, limits);
      note.textContent = file.name + " · " + fileSize(file) + (problem ? " — " + problem : "");
      box.hidden = false;
      image.hidden = Boolean(problem);
      if (problem) {
        image.removeAttribute("src");
        return;
      }
      current = URL.createObjectURL(file);
      image.src = current;
    }
    input.addEventListener("change", preview);
    // A photo chosen before this script ran (a slow connection or a busy device; the back
    // button restores the choice too) fired its "change" before anyone listened: show it now.
    if (input.files && input.files.length) preview();
    image.addEventListener("error", function () {
      var file = input.files && input.files[0];
      if (!current || !file) return;
      image.hidden = true;
      // Some browsers cannot show HEIC, which the shop reads; anything else they cannot show is
      // unlikely to be a photo the shop can read.
      note.textContent += isHeic(file)
        ? " (this browser cannot show HEIC photos; it will still be analysed)"
        : " — this browser cannot show this file: if it is not a photo, it will be refused.";
    });
  }

  // Before sending: every chosen file a photo within its size, and all of them within the
  // check's, so a shopper does not wait for an upload the shop would refuse.
  function initSizeCheck(form, limits) {
    var summary = form.querySelector("[data-upload-problem]");
    form.addEventListener("submit", function (event) {
      var problems = [];
      var total = 0;
      var first = null;
      Array.prototype.forEach.call(form.querySelectorAll('input[type="file"]'), function (input) {
        var file = input.files && input.files[0];
        if (!file) return;
        total += file.size;
        var problem = problemWith(file, limits);
        if (problem) {
          var legend = input.closest("[data-view]").querySelector("legend");
          problems.push((legend ? legend.textContent.replace(/\s*\(optional\)/, "") : file.name) + ": " + problem);
          first = first || input;
        }
      });
      if (!problems.length && limits.check && total > limits.check) {
        problems.push("Your photos come to " + megabytes(total) + " together; a check takes up to " +
          megabytes(limits.check) + ". Leave out a side photo, or choose smaller ones.");
      }
      if (!summary) return;
      summary.hidden = !problems.length;
      summary.textContent = problems.join(" ");
      if (problems.length) {
        event.preventDefault();
        if (first) first.focus();
      }
    });
  }

  function initUploadForm(form) {
    var limits = {
      photo: Number(form.getAttribute("data-max-photo-bytes")) || 0,
      check: Number(form.getAttribute("data-max-check-bytes")) || 0,
    };
    Array.prototype.forEach.call(form.querySelectorAll("[data-view]"), function (view) {
      initPreview(view, limits);
    });
    initSizeCheck(form, limits);
  }

  // --- Upload: a forgotten consent box is said at once, and the chosen photos stay chosen -------
  // (the server would say it too, but a browser cannot refill file inputs on the page it returns)
  function initConsent(form) {
    var box = form.querySelector('input[name="consent"]');
    var field = box && box.closest(".field");
    if (!field) return;
    var error = null;

    function clear() {
      if (!error) return;
      error.remove();
      error = null;
      field.classList.remove("field--invalid");
      box.removeAttribute("aria-invalid");
    }

    form.addEventListener("submit", function (event) {
      if (box.checked) return;
      event.preventDefault();
      if (!error && !field.querySelector(".field__errors")) {
        error = document.createElement("ul");
        error.className = "field__errors";
        error.id = box.id + "_error";
        error.setAttribute("role", "alert");
        error.setAttribute("data-testid", "consent-error");
        var item = document.createElement("li");
        item.textContent = form.getAttribute("data-consent-required");
        error.appendChild(item);
        field.appendChild(error);
        field.classList.add("field--invalid");
        box.setAttribute("aria-invalid", "true");
        box.setAttribute("aria-describedby", error.id);
      }
      box.focus();
    });
    box.addEventListener("change", function () {
      if (box.checked) clear();
    });
  }

  // --- Result: wait for the analysis, then reload to show it ------------------------------------
  var TEXTS = {
    queued: "Your photo is in the queue…",
    processing: "Analysing your photo…",
    done: "Done! Loading your result…",
    failed: "The analysis has finished. Loading…",
  };
  var TEXTS_SEVERAL = {
    queued: "Your photos are in the queue…",
    processing: "Analysing your photos…",
    done: TEXTS.done,
    failed: TEXTS.failed,
  };
  var STEPS = { queued: 1, processing: 2, done: 3, failed: 3 };

  function initPolling(section) {
    var url = section.getAttribute("data-status-url");
    var texts = Number(section.getAttribute("data-photos")) > 1 ? TEXTS_SEVERAL : TEXTS;
    var text = section.querySelector("[data-progress-text]");
    var bar = section.querySelector("[data-progress-bar]");
    var started = Date.now();
    var last = null;
    var etag = null; // of the last answer: while nothing changes, the server answers 304

    function show(status) {
      if (status === last) return;
      last = status;
      if (text && texts[status]) text.textContent = texts[status];
      if (bar && STEPS[status]) bar.value = STEPS[status];
    }

    function poll() {
      var headers = { Accept: "application/json" };
      if (etag) headers["If-None-Match"] = etag;
      fetch(url, { credentials: "same-origin", headers: headers, cache: "no-store" })
        .then(function (response) {
          if (response.status === 304) return { status: last };
          // Deleted meanwhile (or the session ended): the reloaded page says so.
          if (response.status === 404) return { status: "failed" };
          if (!response.ok) throw new Error("status " + response.status);
          etag = response.headers.get("ETag");
          return response.json();
        })
        .then(function (data) {
          show(data.status);
          if (data.status === "done" || data.status === "failed") {
            window.location.reload();
          } else {
            next();
          }
        })
        .catch(next);
    }

    function next() {
      // Every 1.5 s for the first two minutes, then gently: a stuck photo is failed by the
      // server's sweep and this page picks that up too.
      var delay = Date.now() - started < 120000 ? 1500 : 5000;
      window.setTimeout(poll, delay);
    }

    next();
  }

  // --- Result: each photo's heatmap on/off, its opacity, and the zone outlines on/off ------------
  function initHeatmap(controls) {
    var photo = controls.closest("[data-photo]") || document;
    var layer = photo.querySelector("[data-heatmap-layer]");
    var toggle = controls.querySelector("[data-heatmap-toggle]");
    var opacity = controls.querySelector("[data-heatmap-opacity]");
    var zones = photo.querySelector("[data-zone-overlay]");
    var zonesToggle = controls.querySelector("[data-zones-toggle]");

    function apply() {
      if (layer && toggle && opacity) {
        layer.style.opacity = toggle.checked ? String(opacity.value / 100) : "0";
        opacity.disabled = !toggle.checked;
        opacity.setAttribute("aria-valuetext", opacity.value + "%");
      }
      if (zones && zonesToggle) zones.style.display = zonesToggle.checked ? "" : "none";
    }

    [toggle, zonesToggle].forEach(function (box) {
      if (box) box.addEventListener("change", apply);
    });
    if (opacity) opacity.addEventListener("input", apply);
    controls.hidden = false;
    apply();
  }

  // --- Deletions: ask first -----------------------------------------------------------------------
  function initConfirm(form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  }

  function each(selector, init) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), init);
  }

  each("[data-selfie-form]", initUploadForm);
  each("[data-selfie-form]", initConsent);
  each("[data-diagnosis-poll]", initPolling);
  each("[data-heatmap-controls]", initHeatmap);
  each("form[data-confirm]", initConfirm);
})();
