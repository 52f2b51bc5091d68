// Lists the guestbook's entries from the API and signs it from the form. Opening the page with
// ?name=...&message=... signs it once on load (how the end-to-end test drives it).
(function () {
  var api = window.GUESTBOOK_API;
  var status = document.getElementById("status");
  var list = document.getElementById("entries");

  function show(state, text) {
    status.setAttribute("data-state", state);
    status.textContent = text;
  }

  function render(entries) {
    list.textContent = "";
    entries.forEach(function (entry) {
      var item = document.createElement("li");
      item.textContent = entry.name + ": " + entry.message;
      list.appendChild(item);
    });
    show("loaded", "Loaded " + entries.length + " entries from the API.");
  }

  function load() {
    return fetch(api + "/entries")
      .then(function (response) { return response.json(); })
      .then(function (body) { render(body.entries); });
  }

  function sign(name, message) {
    // A JSON body makes this a non-simple request: the browser sends a CORS preflight first.
    return fetch(api + "/entries", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({name: name, message: message})
    }).then(function (response) {
      if (response.status !== 201) { throw new Error("signing answered " + response.status); }
    });
  }

  function fail(error) { show("error", "The API could not be reached: " + error.message); }

  document.getElementById("sign").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    sign(form.elements["name"].value, form.elements["message"].value).then(load).catch(fail);
  });

  var query = new URLSearchParams(window.location.search);
  var first = query.get("name") && query.get("message") ? sign(query.get("name"), query.get("message")) : Promise.resolve();
  first.then(load).catch(fail);
})();
