(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var total = rows.filter(function (r) { return !r.dataset.suppressed; }).length;
  var text = document.getElementById("filter-text");
  var severity = document.getElementById("filter-severity");
  var impact = document.getElementById("filter-impact");
  var rule = document.getElementById("filter-rule");
  var suppressed = document.getElementById("filter-suppressed");
  var count = document.getElementById("shown-count");
  var more = document.getElementById("show-all");
  // at most this many rows are laid out at once (thousands of table rows make a browser slow);
  // "show all" lifts the limit until the filters change
  var pageSize = Number(table.dataset.pageSize) || 500;
  var limit = pageSize;

  // the searchable text of a row: everything but its code frame
  rows.forEach(function (r) {
    var parts = [];
    Array.prototype.forEach.call(r.cells, function (cell) {
      Array.prototype.forEach.call(cell.childNodes, function (node) {
        if (!(node.nodeType === 1 && node.tagName === "DETAILS")) parts.push(node.textContent);
      });
    });
    r._search = parts.join(" ").toLowerCase();
  });

  function apply() {
    var q = text.value.trim().toLowerCase();
    var words = q ? q.split(/\s+/) : [];
    var matching = 0;
    var withSuppressed = suppressed ? suppressed.checked : false;
    rows.forEach(function (r) {
      var ok = (!r.dataset.suppressed || withSuppressed)
        && (!severity.value || r.dataset.severity === severity.value)
        && (!impact.value || r.dataset.impact === impact.value)
        && (!rule.value || r.dataset.rule === rule.value)
        && words.every(function (w) { return r._search.indexOf(w) !== -1; });
      if (ok) matching += 1;
      var hide = !ok || matching > limit;
      if (r.hidden !== hide) r.hidden = hide;
    });
    var shown = Math.min(matching, limit);
    var note = withSuppressed ? " (with suppressed)" : "";
    if (shown < matching) {
      count.textContent = "first " + shown + " of " + matching + " matching shown" + note;
      more.textContent = "Show all " + matching;
      more.hidden = false;
    } else {
      count.textContent = shown + " of " + total + " shown" + note;
      more.hidden = true;
    }
  }
  function refilter() { limit = pageSize; apply(); }
  [text, severity, impact, rule, suppressed].forEach(function (el) {
    if (!el) return;
    el.addEventListener("input", refilter);
    el.addEventListener("change", refilter);
  });
  more.addEventListener("click", function () { limit = Infinity; apply(); });

  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  var keys = {
    severity: function (r) { return [Number(r.dataset.rank), r.dataset.path, Number(r.dataset.line)]; },
    impact: function (r) { return [r.dataset.impact, r.dataset.path, Number(r.dataset.line)]; },
    rule: function (r) { return [r.dataset.rule, r.dataset.path, Number(r.dataset.line)]; },
    location: function (r) { return [r.dataset.path, Number(r.dataset.line), r.dataset.rule]; },
    message: function (r) { return [r.cells[4].querySelector(".text").textContent.toLowerCase(), r.dataset.path]; }
  };
  var headers = Array.prototype.slice.call(table.tHead.querySelectorAll("th[data-sort]"));
  headers.forEach(function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var key = keys[th.dataset.sort];
      var decorated = rows.map(function (r, i) { return [key(r), i, r]; });
      decorated.sort(function (x, y) {
        for (var k = 0; k < x[0].length; k++) {
          var c = cmp(x[0][k], y[0][k]);
          if (c) return ascending || k > 0 ? c : -c;  // the direction applies to the column itself
        }
        return x[1] - y[1];
      });
      var frag = document.createDocumentFragment();
      decorated.forEach(function (d) { frag.appendChild(d[2]); });
      tbody.appendChild(frag);
      rows = decorated.map(function (d) { return d[2]; });
      apply();  // the first rows of the new order are the ones shown
    });
  });

  // code frames: the highlighted source lines are shipped once each, per file, in an inert
  // <template id="src-N">; a frame is drawn the first time its row's <details> opens
  var sources = {};
  function sourceLines(index) {
    if (!sources[index]) {
      var lines = {};
      var tpl = document.getElementById("src-" + index);
      if (tpl) Array.prototype.forEach.call(tpl.content.children, function (s) { lines[s.dataset.n] = s; });
      sources[index] = lines;
    }
    return sources[index];
  }
  function drawFrame(details) {
    if (details.querySelector("pre")) return;
    var spec = details.dataset.frame.split(" ").map(Number);
    var file = sourceLines(spec[0]);
    var width = String(spec[2]).length;
    var pre = document.createElement("pre");
    pre.className = "code";
    for (var n = spec[1]; n <= spec[2]; n++) {
      var line = document.createElement("span");
      line.className = n >= spec[3] && n <= spec[4] ? "ln hit" : "ln";
      var no = document.createElement("span");
      no.className = "no";
      no.textContent = (" ".repeat(width) + n).slice(-width);
      line.appendChild(no);
      if (file[String(n)]) line.appendChild(document.importNode(file[String(n)], true));
      pre.appendChild(line);
    }
    details.appendChild(pre);
  }
  tbody.addEventListener("toggle", function (e) {
    if (e.target.tagName === "DETAILS" && e.target.open && e.target.dataset.frame) drawFrame(e.target);
  }, true);

  document.addEventListener("click", function (e) {
    var opener = e.target.closest("[data-doc]");
    if (opener) {
      var dialog = document.getElementById("doc-" + opener.dataset.doc);
      if (dialog && !dialog.open) dialog.showModal();
      return;
    }
    var closer = e.target.closest("[data-close]");
    if (closer) {
      closer.closest("dialog").close();
      return;
    }
    if (e.target.tagName === "DIALOG") {  // a click on the backdrop, outside the dialog's box
      var box = e.target.getBoundingClientRect();
      if (e.clientX < box.left || e.clientX > box.right || e.clientY < box.top || e.clientY > box.bottom) e.target.close();
    }
  });
  apply();
})();
