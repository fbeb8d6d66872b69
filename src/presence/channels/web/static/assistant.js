// The assistant's "Everyone" box: ticks or unticks every proposed person (without it, people are ticked one by one).
(function () {
  "use strict";
  var everyone = document.getElementById("everyone");
  if (!everyone) { return; }
  var boxes = document.querySelectorAll("input[name=person]");
  everyone.closest("label").hidden = false;
  everyone.addEventListener("change", function () {
    Array.prototype.forEach.call(boxes, function (box) { box.checked = everyone.checked; });
  });
})();
