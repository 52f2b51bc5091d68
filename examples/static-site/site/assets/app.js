// Proves in a browser that the script came from the bucket: it rewrites the page, and reports
// whether the stylesheet (also from the bucket) was applied.
(function () {
  var status = document.getElementById("status");
  var heading = document.querySelector("header h1");
  var cssApplied = getComputedStyle(heading).color === "rgb(20, 90, 160)";
  status.textContent = "Rendered by app.js; stylesheet " + (cssApplied ? "applied" : "missing") + ".";
  status.className = "ready";
  status.setAttribute("data-css", cssApplied ? "applied" : "missing");
  var pages = ["/", "/docs/", "/docs/getting-started.html"];
  var list = document.getElementById("pages");
  pages.forEach(function (page) {
    var item = document.createElement("li");
    item.textContent = "page " + page;
    list.appendChild(item);
  });
})();
