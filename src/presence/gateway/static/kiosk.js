// The kiosk's screen: the card reader watched, the keypad, the badge reader read by key codes, and the screen
// cleared after each person. Works with the pages' strict policy (no inline script).
(function () {
  "use strict";
  var body = document.body;

  // The start page asks the kiosk program whether a card was just read.
  if (body.dataset.watchCard) {
    var notice = document.getElementById("card-notice");
    var ask = function () {
      fetch(body.dataset.watchCard, {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (answer) {
        if (answer.visit) { location.assign(answer.visit + "?lang=" + encodeURIComponent(body.dataset.lang)); return; }
        if (answer.unreadable && notice) { notice.hidden = false; }
        setTimeout(ask, 400);
      }).catch(function () { setTimeout(ask, 2000); });
    };
    setTimeout(ask, 400);
  }

  // After a registration: back to the start, for the next person, without leaving this page in the history.
  if (body.dataset.clearAfter) {
    setTimeout(function () { location.replace("/"); }, Number(body.dataset.clearAfter) * 1000);
  }
  // A person who walks away half-way: back to the start too.
  if (body.dataset.idleAfter) {
    var idle;
    var restart = function () {
      clearTimeout(idle);
      idle = setTimeout(function () { location.replace("/"); }, Number(body.dataset.idleAfter) * 1000);
    };
    ["keydown", "pointerdown", "input"].forEach(function (e) { document.addEventListener(e, restart, true); });
    restart();
  }

  var insert = function (input, text) {
    var start = input.selectionStart === null ? input.value.length : input.selectionStart;
    var end = input.selectionEnd === null ? input.value.length : input.selectionEnd;
    input.value = input.value.slice(0, start) + text + input.value.slice(end);
    input.setSelectionRange(start + text.length, start + text.length);
  };

  // The on-screen keypad.
  document.querySelectorAll(".keypad").forEach(function (pad) {
    var input = document.getElementById(pad.dataset.for);
    pad.addEventListener("click", function (event) {
      var key = event.target.closest("[data-key]");
      if (!key || !input) { return; }
      if (key.dataset.key === "erase") { input.value = input.value.slice(0, -1); } else { input.value += key.dataset.key; }
      input.focus();
    });
  });

  // Key codes name the key pressed, whatever the keyboard's layout: a Belgian AZERTY keyboard types "&" with the
  // key a badge reader presses for "1". The digits of a number are read by their codes; so is everything a
  // badge reader types (a burst of keys ended by Enter, such as a Limosa-1 QR code), as the US layout those
  // readers emulate.
  var US = {Minus: "-_", Equal: "=+", BracketLeft: "[{", BracketRight: "]}", Backslash: "\\|", Semicolon: ";:",
            Quote: "'\"", Backquote: "`~", Comma: ",<", Period: ".>", Slash: "/?", Space: "  ",
            Digit1: "1!", Digit2: "2@", Digit3: "3#", Digit4: "4$", Digit5: "5%", Digit6: "6^", Digit7: "7&",
            Digit8: "8*", Digit9: "9(", Digit0: "0)"};
  var digitOf = function (code) {
    var found = /^(?:Digit|Numpad)([0-9])$/.exec(code);
    return found ? found[1] : null;
  };
  var usCharacter = function (event) {
    var letter = /^Key([A-Z])$/.exec(event.code);
    if (letter) { return event.shiftKey ? letter[1] : letter[1].toLowerCase(); }
    var digit = /^Numpad([0-9])$/.exec(event.code);
    if (digit) { return digit[1]; }
    var pair = US[event.code];
    return pair ? pair[event.shiftKey ? 1 : 0] : null;
  };
  document.querySelectorAll("input[data-keys]").forEach(function (input) {
    var burst = [];
    var last = 0;
    input.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.altKey || event.metaKey) { return; }
      if (input.dataset.keys === "digits") {
        var digit = digitOf(event.code);
        if (digit !== null) { event.preventDefault(); insert(input, digit); return; }
        if (event.key.length === 1) { event.preventDefault(); }  // nothing but digits in a national number
        return;
      }
      var now = event.timeStamp;
      if (now - last > 80) { burst = []; }  // a person types slower than a reader: a new burst
      last = now;
      if (event.key === "Enter") {
        if (burst.length >= 10) {  // a reader's burst: its characters are those of its key codes
          input.value = burst.join("");
        }
        burst = [];
        return;
      }
      var character = usCharacter(event);
      if (character !== null) { burst.push(character); }
      // A person typing the number: its digits by their codes too (a burst is replaced as a whole at Enter).
      var typed = digitOf(event.code);
      if (typed !== null) { event.preventDefault(); insert(input, typed); }
    });
  });
})();
