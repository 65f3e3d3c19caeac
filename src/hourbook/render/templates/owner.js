/* hourbook: the owner's tables sort, filter and download as CSV (docs/owner.md, "Reading the pages").
 *
 * Written by the build as site/owner/owner.js and loaded by the owner's pages only (their
 * Content-Security-Policy allows scripts from 'self' and nothing else); client pages have no script.
 * No library, no network. Words and the number format come from the <script> tag's data attributes,
 * in the books' locale. Without the script the tables are the same tables, unsorted and whole.
 *
 * Every <table> with a <thead> that is not a chart's hidden table of figures gets:
 *  - a button in each column header: sorts the rows by that column (numbers as numbers, dates by a
 *    cell's data-value, text in the page's language), again to reverse; aria-sort says which; the same
 *    sorts, and the page's own order, in a list beside the filter (shown on phones, where headers hide);
 *  - a text box: rows that do not contain every word typed are hidden (accents and case ignored);
 *  - a "Download as CSV" link: the rows shown, in the order shown, total rows included; a column
 *    whose header is right-aligned (class "num") holds plain decimals ("1234.50", "-3", "2.25" for
 *    2:15 hours), the first line of each cell only; text starting with = + - @ gets a ' first (no formulas).
 * Total rows (tr.total) stay at the bottom, never sorted or hidden.
 */
(function () {
  "use strict";
  var tag = document.currentScript;
  var words = tag ? tag.dataset : {};
  var DECIMAL = words.decimal || ".";
  var GROUP = words.group || ",";

  function say(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (all, name) {
      return name in values ? values[name] : all;
    });
  }

  // The first line of a cell: its text without the smaller lines under it (.sub) or hidden words.
  function mainText(cell) {
    var copy = cell.cloneNode(true);
    var extra = copy.querySelectorAll(".sub, .visually-hidden, button.sort-arrow");
    for (var i = 0; i < extra.length; i++) { extra[i].parentNode.removeChild(extra[i]); }
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  // "1.234,50 €" (es) -> "1234.50"; "−3" -> "-3"; "2:15" and "2:15 h" -> "2.25"; "45 %" -> "45"; none -> null.
  function plainNumber(text) {
    var clock = /^([−-]?)(\d+):(\d\d)(\D*)$/.exec(text.replace(/\s/g, ""));   // "3:00 h", "2:50 Std."
    if (clock) {
      var minutes = parseInt(clock[2], 10) * 60 + parseInt(clock[3], 10);
      var hours = (minutes / 60).toFixed(2).replace(/\.?0+$/, "");
      return (clock[1] && minutes ? "-" : "") + hours;
    }
    var negative = /[−-]\s*\d/.test(text) || /\(\s*\d.*\)/.test(text);
    var digits = "";
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i);
      if (c >= "0" && c <= "9") { digits += c; }
      else if (c === DECIMAL) { digits += "."; }
      else if (c === GROUP || /\s/.test(c) || c === "\u00a0" || c === "\u202f") { continue; }
    }
    if (!/^\d+(\.\d+)?$/.test(digits)) { return null; }
    return (negative ? "-" : "") + digits;
  }

  function cellOf(row, index) {
    var cells = row.cells;
    return index < cells.length ? cells[index] : null;
  }

  function isNumeric(th) {
    return th.classList.contains("num");
  }

  // What a cell holds, for sorting and CSV: its data-value if it has one, else a plain number in a
  // numeric column, else its first line of text.
  function value(cell, numeric) {
    if (!cell) { return ""; }
    if (cell.hasAttribute("data-value")) { return cell.getAttribute("data-value"); }
    var text = mainText(cell);
    if (numeric) {
      var number = plainNumber(text);
      if (number !== null) { return number; }
    }
    return text;
  }

  var collator = new Intl.Collator(document.documentElement.lang || undefined, {numeric: true, sensitivity: "base"});

  function compare(a, b, numeric) {
    if (numeric) {
      var x = parseFloat(a), y = parseFloat(b);
      var xn = isNaN(x), yn = isNaN(y);
      if (xn || yn) { return xn === yn ? collator.compare(a, b) : (xn ? 1 : -1); }
      return x - y;
    }
    return collator.compare(a, b);
  }

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // A field as CSV; text that a spreadsheet would read as a formula (=, +, -, @ first) is kept as text with a '.
  function csvField(text) {
    if (/^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) { text = "'" + text; }
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function slug(text) {
    var plain = fold(text).replace(/[^a-z0-9\u0400-\u04ff]+/g, "-").replace(/^-+|-+$/g, "");
    return plain.slice(0, 60) || "table";
  }

  function setUp(table, number) {
    var head = table.tHead;
    var headRow = head.rows[head.rows.length - 1];
    var headers = Array.prototype.slice.call(headRow.cells);
    var bodies = Array.prototype.slice.call(table.tBodies);
    var caption = table.caption ? table.caption.textContent.trim() : "";

    function rows() {
      var all = [];
      bodies.forEach(function (body) { all = all.concat(Array.prototype.slice.call(body.rows)); });
      return all;
    }
    var total = rows().filter(function (row) { return !row.classList.contains("total"); }).length;

    // The tools, above the table: the filter box, the count of rows shown, the CSV link.
    var tools = document.createElement("div");
    tools.className = "table-tools";
    var id = "table-filter-" + number;
    var label = document.createElement("label");
    label.setAttribute("for", id);
    label.textContent = words.filter || "Filter";
    var box = document.createElement("input");
    box.type = "search";
    box.id = id;
    box.placeholder = words.filterHint || "";
    box.setAttribute("autocomplete", "off");
    var count = document.createElement("span");
    count.className = "table-count muted small";
    count.setAttribute("aria-live", "polite");
    var link = document.createElement("a");
    link.className = "table-csv";
    link.textContent = words.csv || "CSV";
    link.setAttribute("download", slug(caption || document.title) + ".csv");
    if (caption) { link.setAttribute("aria-label", (words.csv || "CSV") + ": " + caption); }
    tools.appendChild(label);
    tools.appendChild(box);
    tools.appendChild(count);
    tools.appendChild(link);
    table.parentNode.insertBefore(tools, table);

    function refresh() {
      var shown = rows().filter(function (row) { return !row.hidden && !row.classList.contains("total"); });
      count.textContent = say(words.shown, {shown: shown.length, total: total});
      var lines = [headers.map(function (th) { return csvField(mainText(th)); }).join(",")];
      rows().forEach(function (row) {
        if (row.hidden) { return; }
        lines.push(headers.map(function (th, index) {
          return csvField(value(cellOf(row, index), isNumeric(th)));
        }).join(","));
      });
      link.href = "data:text/csv;charset=utf-8," + encodeURIComponent(lines.join("\r\n") + "\r\n");
    }

    box.addEventListener("input", function () {
      var wanted = fold(box.value).split(/\s+/).filter(Boolean);
      rows().forEach(function (row) {
        if (row.classList.contains("total")) { return; }
        var text = fold(row.textContent);
        row.hidden = !wanted.every(function (word) { return text.indexOf(word) >= 0; });
      });
      refresh();
    });

    // On a phone the headers are out of sight (the table stacks): a list offers the same sorts.
    var pick = document.createElement("select");
    pick.id = "table-sort-" + number;
    var pickLabel = document.createElement("label");
    pickLabel.setAttribute("for", pick.id);
    pickLabel.textContent = words.sortBy || "Sort";
    var narrow = document.createElement("span");
    narrow.className = "table-sort";
    narrow.appendChild(pickLabel);
    narrow.appendChild(pick);
    tools.insertBefore(narrow, count);
    var original = rows();
    pick.appendChild(new Option(words.pageOrder || "–", ""));

    function sortBy(index, ascending) {
      var th = headers[index];
      headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      pick.value = index + (ascending ? "+" : "-");
      var numeric = isNumeric(th);
      bodies.forEach(function (body) {
        var all = Array.prototype.slice.call(body.rows);
        var totals = all.filter(function (row) { return row.classList.contains("total"); });
        var sortable = all.filter(function (row) { return !row.classList.contains("total"); });
        var keyed = sortable.map(function (row) {
          return {row: row, key: value(cellOf(row, index), numeric), order: original.indexOf(row)};
        });
        keyed.sort(function (a, b) {
          var c = compare(a.key, b.key, numeric);
          return (ascending ? c : -c) || a.order - b.order;
        });
        keyed.forEach(function (item) { body.appendChild(item.row); });
        totals.forEach(function (row) { body.appendChild(row); });
      });
      refresh();
    }

    headers.forEach(function (th, index) {
      if (th.getAttribute("scope") !== "col" || th.colSpan > 1) { return; }
      var name = mainText(th);
      pick.appendChild(new Option(say(words.ascending || "{column} ↑", {column: name}), index + "+"));
      pick.appendChild(new Option(say(words.descending || "{column} ↓", {column: name}), index + "-"));
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        sortBy(index, th.getAttribute("aria-sort") !== "ascending");
      });
    });
    pick.addEventListener("change", function () {
      if (pick.value) {
        sortBy(parseInt(pick.value, 10), pick.value.slice(-1) === "+");
        return;
      }
      headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
      original.forEach(function (row) { row.parentNode.appendChild(row); });
      refresh();
    });
    refresh();
  }

  var tables = document.querySelectorAll("table");
  var number = 0;
  for (var i = 0; i < tables.length; i++) {
    var table = tables[i];
    if (!table.tHead || !table.tHead.rows.length || table.closest(".visually-hidden")) { continue; }
    number += 1;
    setUp(table, number);
  }
})();
