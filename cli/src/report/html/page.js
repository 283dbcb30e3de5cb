// The session table's search, filters and sorting. The page is complete without it: rows,
// charts and summaries are all in the markup; this only hides and reorders rows.
(function () {
  "use strict";
  var table = document.getElementById("sessions");
  if (!table) return;
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var search = document.getElementById("search");
  var person = document.getElementById("person");
  var repo = document.getElementById("repo");
  var shown = document.getElementById("shown");
  var titleColumn = 4;
  // Lower-cased title and summary of each row, read once.
  var texts = new Map();
  rows.forEach(function (row) {
    texts.set(row, row.cells[titleColumn].textContent.toLowerCase());
  });

  function apply() {
    var text = search.value.trim().toLowerCase();
    var who = person.value;
    var where = repo.value;
    var count = 0;
    rows.forEach(function (row) {
      var keep = (!who || row.dataset.person === who) &&
        (!where || row.dataset.repo === where) &&
        (!text || texts.get(row).indexOf(text) !== -1);
      if (row.hidden === keep) row.hidden = !keep;
      if (keep) count++;
    });
    shown.textContent = count + " of " + rows.length + " sessions";
  }

  // Numbers and times sort by their data-v; a cell without one (an unknown fact) goes last
  // whichever the direction.
  function key(row, column, numeric) {
    var cell = row.cells[column];
    var v = cell.dataset.v;
    if (numeric) return v === undefined ? null : (isNaN(Number(v)) ? v : Number(v));
    return cell.textContent.trim().toLowerCase();
  }

  function sortBy(th) {
    var column = th.cellIndex;
    var numeric = th.classList.contains("num");
    var current = th.getAttribute("aria-sort");
    // Numbers and times start with the largest, text from A.
    var descending = current ? current === "ascending" : numeric;
    var keyed = rows.map(function (row, i) { return [key(row, column, numeric), i, row]; });
    keyed.sort(function (a, b) {
      if (a[0] === null || b[0] === null) {
        return a[0] === b[0] ? a[1] - b[1] : (a[0] === null ? 1 : -1);
      }
      var order = a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1];
      return descending ? -order : order;
    });
    rows = keyed.map(function (k) { return k[2]; });
    var fragment = document.createDocumentFragment();
    rows.forEach(function (row) { fragment.appendChild(row); });
    body.appendChild(fragment);
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  // With thousands of rows, filter once typing pauses rather than at every key.
  var pending = null;
  search.addEventListener("input", function () {
    if (rows.length < 2000) return apply();
    clearTimeout(pending);
    pending = setTimeout(apply, 150);
  });
  person.addEventListener("change", apply);
  repo.addEventListener("change", apply);
  table.tHead.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-sort]");
    if (button) sortBy(button.parentElement);
  });
  // A person in the People table shows only their sessions.
  var people = document.querySelector(".people tbody");
  if (people) {
    people.addEventListener("click", function (event) {
      var row = event.target.closest("tr[data-person]");
      if (!row) return;
      person.value = row.dataset.person;
      apply();
      table.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  }
  // A repository in the Repositories table shows only its sessions.
  var repos = document.querySelector(".repos tbody");
  if (repos) {
    repos.addEventListener("click", function (event) {
      var row = event.target.closest("tr[data-repo]");
      if (!row) return;
      repo.value = row.dataset.repo;
      apply();
      table.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  }
  // Printing shows every summary; afterwards the rows close again.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(table.querySelectorAll("details"), function (d) {
      return !d.open;
    });
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
  });
  apply();
})();
