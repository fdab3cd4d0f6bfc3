/* advval: sort and filter the table of every column. The table is complete without this
   script; it only reorders and hides rows. Its sha256 is in the page's CSP. */
(function () {
  "use strict";
  var table = document.getElementById("columns-table");
  var controls = document.getElementById("columns-controls");
  if (!table || !controls) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var search = document.getElementById("columns-search");
  var kind = document.getElementById("columns-kind");
  var flag = document.getElementById("columns-flag");
  var count = document.getElementById("columns-count");
  var expand = document.getElementById("columns-expand");
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  rows.forEach(function (row, i) { row.advvalIndex = i; });

  function nameOf(row) {
    return row.querySelector(".col-name").textContent.toLowerCase();
  }

  function filter() {
    var query = search.value.trim().toLowerCase();
    var wanted = kind.value, flagged = flag.value, shown = 0;
    rows.forEach(function (row) {
      var flags = " " + (row.getAttribute("data-flags") || "") + " ";
      var keep = (!query || nameOf(row).indexOf(query) >= 0) &&
        (!wanted || row.getAttribute("data-kind") === wanted) &&
        (!flagged || (flagged === "*" ? flags.trim() !== "" : flags.indexOf(" " + flagged + " ") >= 0));
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " columns shown";
  }

  function key(row, column) {
    var cell = row.cells[column];
    var value = cell.getAttribute("data-v");
    if (value === null) {  /* text: a name cell by its name, not its plot's facts */
      return (cell.querySelector(".col-name") || cell).textContent.trim().toLowerCase();
    }
    return value === "" ? NaN : parseFloat(value);
  }

  function sortBy(column, head) {
    var ascending = head.getAttribute("aria-sort") !== "ascending";
    heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
    head.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var keyed = rows.map(function (row) { return [key(row, column), row]; });
    keyed.sort(function (a, b) {
      var x = a[0], y = b[0], order = 0;
      var xMissing = typeof x === "number" && isNaN(x), yMissing = typeof y === "number" && isNaN(y);
      if (xMissing || yMissing) {  /* no value: last either way */
        order = xMissing === yMissing ? 0 : (xMissing ? 1 : -1);
      } else {
        order = x < y ? -1 : (x > y ? 1 : 0);
        if (!ascending) { order = -order; }
      }
      return order || a[1].advvalIndex - b[1].advvalIndex;
    });
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (pair) { fragment.appendChild(pair[1]); });
    body.appendChild(fragment);
  }

  heads.forEach(function (head, column) {
    if (!head.hasAttribute("data-sort")) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    while (head.firstChild) { button.appendChild(head.firstChild); }
    head.appendChild(button);
    button.addEventListener("click", function () { sortBy(column, head); });
  });
  search.addEventListener("input", filter);
  kind.addEventListener("change", filter);
  flag.addEventListener("change", filter);
  expand.addEventListener("click", function () {
    var open = expand.getAttribute("aria-pressed") !== "true";
    expand.setAttribute("aria-pressed", open ? "true" : "false");
    expand.textContent = open ? "Hide every distribution" : "Show every distribution";
    rows.forEach(function (row) {
      var details = row.querySelector("details");
      if (details && !row.hidden) { details.open = open; }
    });
  });
  controls.hidden = false;
  filter();
})();
