// The result of registrations still being checked, without reloading the page: asks the server for their status
// cells until none is pending (the checks take a few seconds), and puts each answer in place.
(function () {
  "use strict";
  var delay = 800;
  var rounds = 0;

  function pendingCells() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-registration][data-pending]"), 0, 200);
  }

  function poll() {
    var cells = pendingCells();
    if (!cells.length || rounds++ > 80) { return; }
    var query = cells.map(function (cell) { return "id=" + encodeURIComponent(cell.dataset.registration); });
    fetch("/registrations/status?" + query.join("&"), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        cells.forEach(function (cell) {
          var id = cell.dataset.registration;
          if (body.cells[id] !== undefined) { cell.innerHTML = body.cells[id]; }
          if (body.pending.indexOf(Number(id)) < 0) { cell.removeAttribute("data-pending"); }
        });
      })
      .catch(function () { /* no network for a moment: the next round asks again */ })
      .then(function () {
        delay = Math.min(delay * 1.4, 5000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
