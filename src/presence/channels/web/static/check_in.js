// The instant the worker taps, as the page measures it (the server's time when it was drawn plus the time since),
// so that a phone that had no network for a moment sends when he really checked in; and, only if he ticked the
// box, the phone's position (the server keeps whether it was on the workplace, not where).
(function () {
  "use strict";
  var form = document.getElementById("clock");
  if (!form) { return; }
  var opened = Date.parse(form.dataset.opened);
  var loaded = performance.now();
  var sending = false;

  form.addEventListener("submit", function (event) {
    if (sending) { return; }
    event.preventDefault();
    var button = event.submitter;
    form.elements.tapped_at.value = new Date(opened + (performance.now() - loaded)).toISOString();
    function send() {
      sending = true;
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
