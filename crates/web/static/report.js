// Progressive enhancement for the report job page: poll the job and reload when it is
// done. Without JavaScript the page has an "Uppdatera" button instead.
(function () {
  var box = document.getElementById("report-job");
  if (!box || !document.getElementById("report-progress")) return;
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.state === "running") {
          var bar = document.getElementById("report-progress");
          if (bar) { bar.value = s.done; }
          setTimeout(poll, 500);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 300);
})();
