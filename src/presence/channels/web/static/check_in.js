// The instant the worker taps, on the server's clock (the phone's own clock, set right by how far it was from the
// server's when the page was drawn; it keeps running while the phone sleeps), so that a phone that had no network
// for a moment sends when he really checked in; and, only if he ticked the box, the phone's position.
(function () {
  "use strict";
  var form = document.getElementById("clock");
  if (!form) { return; }
  var offset = Date.parse(form.dataset.opened) - Date.now();
  var tapped = false;

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (tapped) { return; }  // a second tap while the first is on its way registers nothing more
    tapped = true;
    var button = event.submitter;
    form.elements.tapped_at.value = new Date(Date.now() + offset).toISOString();
    function send() {
      if (button && button.name) {
        var chosen = document.createElement("input");
        chosen.type = "hidden";
        chosen.name = button.name;
        chosen.value = button.value;
        form.appendChild(chosen);
      }
      form.submit();
    }
    var consent = document.getElementById("consent");
    if (!consent || !consent.checked || !navigator.geolocation) { send(); return; }
    navigator.geolocation.getCurrentPosition(function (where) {
      form.elements.latitude.value = String(where.coords.latitude);
      form.elements.longitude.value = String(where.coords.longitude);
      send();
    }, send, {timeout: 5000, maximumAge: 60000});
  });
})();
