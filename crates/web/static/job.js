// Progressive enhancement for job pages (reports, imports): poll the job's status and
// reload when it is done. Without JavaScript the page has an "Uppdatera" button instead.
(function () {
  var box = document.querySelector("[data-status-url]");
  var bar = box && box.querySelector("progress");
  if (!bar) return;
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.state === "running") {
          if (typeof s.done === "number") { bar.value = s.done; }
          setTimeout(poll, 500);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 300);
})();
