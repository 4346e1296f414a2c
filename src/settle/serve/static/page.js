// settle serve: start an action, follow its progress, filter the problem table, open an output.
(function () {
  "use strict";
  var body = document.body;
  var message = document.getElementById("message");

  function say(text, ok) {
    if (!message) { return; }
    message.textContent = text || "";
    message.className = "line " + (ok ? "" : "error");
    message.hidden = !text;
  }

  function post(form) {
    return fetch(form.getAttribute("action"), {method: "POST", body: new FormData(form), cache: "no-store"})
      .then(function (r) { return r.json().then(function (j) { return {ok: r.ok, status: r.status, j: j}; }); });
  }

  function poll() {
    fetch(body.dataset.status, {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      if (!s.running) { location.reload(); return; }
      document.getElementById("progress").hidden = false;
      document.getElementById("progress-text").textContent = s.text + " · " + s.elapsed;
      var bar = document.getElementById("progress-bar");
      if (s.expected) { bar.max = s.expected; bar.value = s.steps.length; } else { bar.removeAttribute("value"); }
      var list = document.getElementById("steps");
      list.textContent = "";
      s.steps.forEach(function (label) {
        var li = document.createElement("li");
        li.textContent = label;
        list.appendChild(li);
      });
      setTimeout(poll, 400);
    }).catch(function () { setTimeout(poll, 1000); });
  }

  document.querySelectorAll("form.act").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      post(form).then(function (res) {
        say(res.ok ? "" : res.j.message, res.ok);
        if (res.ok || res.j.running) {
          document.querySelectorAll("form.act button").forEach(function (b) { b.disabled = true; });
          document.getElementById("report").hidden = true;   // the last action's report, until this one ends
          poll();
        }
      });
    });
  });

  document.querySelectorAll("form.open").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      post(form).then(function (res) { say(res.j.message, res.ok); });
    });
  });

  var filters = document.querySelectorAll("#filters select");
  function filter() {
    var rows = document.querySelectorAll("#problems tbody tr"), shown = 0;
    rows.forEach(function (row) {
      var keep = true;
      filters.forEach(function (f) { if (f.value && row.dataset[f.dataset.filter] !== f.value) { keep = false; } });
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    var count = document.getElementById("shown");
    count.textContent = count.dataset.template.replace("{shown}", shown).replace("{total}", rows.length);
  }
  filters.forEach(function (f) { f.addEventListener("change", filter); });

  if (body.dataset.running === "1") { poll(); }
})();
