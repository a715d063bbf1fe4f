// Outcome grids (forms/grid.rs): arrow keys and Enter move between cells, and a paste of
// several cells from Excel into one cell spreads over the grid from that cell. Only an
// enhancement: without JavaScript, "Läs in" does the same on the server.
(function () {
  "use strict";
  var table = document.querySelector("table[data-grid]");
  if (!table) { return; }
  // The grid's value inputs as rows of cells ([value, margin] pairs).
  function rows() {
    var out = [];
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      var row = [];
      tr.querySelectorAll("td").forEach(function (td) {
        var inputs = td.querySelectorAll("input");
        row.push(inputs.length ? { value: inputs[0], margin: inputs[1] || null } : null);
      });
      out.push(row);
    });
    return out;
  }
  function locate(input) {
    var grid = rows();
    for (var r = 0; r < grid.length; r++) {
      for (var c = 0; c < grid[r].length; c++) {
        var cell = grid[r][c];
        if (cell && (cell.value === input || cell.margin === input)) {
          return { grid: grid, r: r, c: c, margin: cell.margin === input };
        }
      }
    }
    return null;
  }
  function focusAt(grid, r, c, margin) {
    var cell = grid[r] && grid[r][c];
    if (!cell) { return false; }
    var target = margin && cell.margin ? cell.margin : cell.value;
    target.focus();
    target.select();
    return true;
  }
  table.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t.tagName !== "INPUT" || e.altKey || e.ctrlKey || e.metaKey) { return; }
    var at = locate(t);
    if (!at) { return; }
    var atStart = t.selectionStart === 0 && t.selectionEnd === 0;
    var atEnd = t.selectionStart === t.value.length;
    var moved = false;
    if (e.key === "ArrowDown" || (e.key === "Enter" && !e.shiftKey)) {
      for (var r = at.r + 1; r < at.grid.length && !moved; r++) { moved = focusAt(at.grid, r, at.c, at.margin); }
      if (e.key === "Enter") { e.preventDefault(); }
    } else if (e.key === "ArrowUp" || (e.key === "Enter" && e.shiftKey)) {
      for (var u = at.r - 1; u >= 0 && !moved; u--) { moved = focusAt(at.grid, u, at.c, at.margin); }
      if (e.key === "Enter") { e.preventDefault(); }
    } else if (e.key === "ArrowRight" && atEnd) {
      moved = at.margin ? focusAt(at.grid, at.r, at.c + 1, false) : focusAt(at.grid, at.r, at.c, true);
    } else if (e.key === "ArrowLeft" && atStart) {
      moved = at.margin ? focusAt(at.grid, at.r, at.c, false) : focusAt(at.grid, at.r, at.c - 1, true);
    }
    if (moved) { e.preventDefault(); }
  });
  table.addEventListener("paste", function (e) {
    var t = e.target;
    var text = (e.clipboardData || window.clipboardData).getData("text");
    if (t.tagName !== "INPUT" || !/[\t\n]/.test(text.replace(/\s+$/, ""))) { return; }
    var at = locate(t);
    if (!at) { return; }
    e.preventDefault();
    var lines = text.replace(/\r/g, "").replace(/\n+$/, "").split("\n");
    lines.forEach(function (line, i) {
      var row = at.grid[at.r + i];
      if (!row) { return; }
      line.split("\t").forEach(function (value, j) {
        var cell = row[at.c + j];
        value = value.trim();
        if (!cell || value === "") { return; }
        var pm = value.indexOf("±");
        if (pm >= 0 && cell.margin) {
          cell.value.value = value.slice(0, pm).trim();
          cell.margin.value = value.slice(pm + 1).trim();
        } else {
          cell.value.value = value;
        }
      });
    });
  });
})();
