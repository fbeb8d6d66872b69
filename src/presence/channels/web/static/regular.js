// Regular registrations, kept on this device: after registering, the receipts page remembers the workplace and
// the receipt numbers (never a personal number); the registration page then offers to register the same people
// on the same workplace again, for today, in one tap (the server looks the receipts up: `/register/again`).
(function () {
  "use strict";
  var KEEP = 5;

  // Each person (and each enterprise he acts for) has his own list: a shared phone shows nobody else's.
  function key(element) { return "presence.regular." + element.dataset.owner; }

  function load(element) {
    try { return JSON.parse(window.localStorage.getItem(key(element))) || []; } catch (e) { return []; }
  }

  function save(element, items) {
    try { window.localStorage.setItem(key(element), JSON.stringify(items.slice(0, KEEP))); } catch (e) { /* private mode */ }
  }

  var remember = document.querySelector("[data-remember]");
  if (remember) {
    var ids = Array.prototype.map.call(remember.querySelectorAll("[data-registration]"),
                                       function (cell) { return cell.dataset.registration; });
    var workplace = remember.dataset.remember;
    if (ids.length && workplace) {
      var items = load(remember).filter(function (item) { return item.workplace !== workplace; });
      items.unshift({workplace: workplace, ids: ids.slice(0, 200), count: Number(remember.dataset.people) || ids.length});
      save(remember, items);
    }
  }

  var section = document.getElementById("regular");
  if (section) {
    var template = document.getElementById("regular-item");
    var text = document.getElementById("regular-label").dataset.text;
    var list = section.querySelector(".regular__list");
    load(section).forEach(function (item) {
      var entry = template.content.cloneNode(true);
      var form = entry.querySelector("form");
      item.ids.forEach(function (id) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "id";
        input.value = String(id);
        form.appendChild(input);
      });
      entry.querySelector("button").textContent =
        text.replace("{workplace}", item.workplace).replace("{count}", String(item.count));
      list.appendChild(entry);
    });
    if (list.children.length) { section.hidden = false; }
  }
})();
