(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var severity = document.getElementById("filter-severity");
  var status = document.getElementById("filter-status");
  var team = document.getElementById("filter-team");
  var text = document.getElementById("filter-text");
  var count = document.getElementById("findings-count");

  function apply() {
    var q = text.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!severity.value || row.dataset.severity === severity.value) &&
        (!status.value || row.dataset.status === status.value) &&
        (!team.value || row.dataset.teams.split("\n").indexOf(team.value) >= 0) &&
        (!q || row.textContent.toLowerCase().indexOf(q) >= 0);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown === rows.length ?
      "Showing all " + rows.length + " findings" :
      "Showing " + shown + " of " + rows.length + " findings";
  }

  [severity, status, team].forEach(function (el) { el.addEventListener("change", apply); });
  text.addEventListener("input", apply);
  document.getElementById("filter-reset").addEventListener("click", function () {
    severity.value = ""; status.value = ""; team.value = ""; text.value = "";
    apply();
  });

  Array.prototype.forEach.call(document.querySelectorAll("button.show-team"), function (button) {
    button.addEventListener("click", function () {
      severity.value = ""; status.value = ""; text.value = "";
      team.value = button.dataset.team;
      apply();
      document.getElementById("findings").scrollIntoView();
    });
  });

  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  function key(row, index, numeric) {
    var cell = row.cells[index];
    var value = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
    return numeric ? Number(value) : value.toLowerCase();
  }
  headers.forEach(function (th, index) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      var numeric = th.dataset.type === "number";
      headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var order = rows.map(function (row, i) { return [key(row, index, numeric), i, row]; });
      order.sort(function (a, b) {
        if (a[0] < b[0]) { return ascending ? -1 : 1; }
        if (a[0] > b[0]) { return ascending ? 1 : -1; }
        return a[1] - b[1];
      });
      rows = order.map(function (entry) { return entry[2]; });
      var fragment = document.createDocumentFragment();
      rows.forEach(function (row) { fragment.appendChild(row); });
      body.appendChild(fragment);
    });
  });

  apply();
}());
