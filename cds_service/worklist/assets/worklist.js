// Sortable worklist table: a click on a column's button sorts the rows by that column's
// data-sort values; a second click reverses. Ties keep the worklist's urgency order (data-rank),
// so "State" ascending is the order the worklist was produced in. No library, no network.
(function () {
  "use strict";
  function keyOf(row, column, numeric) {
    var cell = row.cells[column];
    var raw = cell ? cell.getAttribute("data-sort") || "" : "";
    return numeric ? parseFloat(raw) : raw.toLowerCase();
  }
  function sortBy(table, header) {
    var column = header.cellIndex;
    var numeric = header.getAttribute("data-type") === "number";
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var ka = keyOf(a, column, numeric);
      var kb = keyOf(b, column, numeric);
      var order = ka < kb ? -1 : ka > kb ? 1 : 0;
      if (!ascending) order = -order;
      return order || Number(a.getAttribute("data-rank")) - Number(b.getAttribute("data-rank"));
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.setAttribute("aria-sort", th === header ? (ascending ? "ascending" : "descending") : "none");
    });
    var status = document.getElementById("wl-sort-status");
    if (status) {
      status.textContent = "Sorted by " + header.getAttribute("data-label") +
        (ascending ? ", ascending" : ", descending");
    }
  }
  function init() {
    var tables = document.querySelectorAll("table.worklist");
    Array.prototype.forEach.call(tables, function (table) {
      Array.prototype.forEach.call(table.querySelectorAll("th button.wl-sort"), function (button) {
        button.addEventListener("click", function () { sortBy(table, button.parentNode); });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
