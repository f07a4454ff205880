// The report's behaviour: routing by #<article id>, the index's filters and sorting, and on
// an article page the fact cards over highlights and the facts table's jumps. Every piece
// of markup was rendered by the generator; this script only moves and shows it, and puts
// text into the page as text (textContent), never as markup.
(() => {
  "use strict";
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const index = document.getElementById("index");
  const article = document.getElementById("article");
  const pop = document.getElementById("pop");
  const missing = document.getElementById("missing");
  const tbody = document.querySelector("#articles tbody");
  const rowOf = new Map();
  for (const tr of tbody.rows) rowOf.set(tr.dataset.id, tr);
  const indexTitle = document.title;
  let indexScroll = 0;
  let pinned = null;

  // ---- routing ------------------------------------------------------------------------
  function pageSource(id) {
    return document.getElementById("page-" + id);
  }
  function wantedId() {
    const raw = location.hash.slice(1);
    if (!raw || pageSource(raw)) return raw;
    try {
      return decodeURIComponent(raw);
    } catch (error) {
      return raw;
    }
  }
  function route() {
    hidePop();
    const id = wantedId();
    const source = id ? pageSource(id) : null;
    if (source) {
      if (!index.hidden) indexScroll = window.scrollY;
      article.innerHTML = source.textContent;
      article.hidden = false;
      index.hidden = true;
      const page = article.firstElementChild;
      document.title = (page && page.dataset.title ? page.dataset.title + " · " : "") + indexTitle;
      window.scrollTo(0, 0);
      return;
    }
    article.hidden = true;
    article.replaceChildren();
    index.hidden = false;
    document.title = indexTitle;
    missing.hidden = !id;
    missing.querySelector("code").textContent = id;
    window.scrollTo(0, indexScroll);
  }
  window.addEventListener("hashchange", route);

  // ---- index: search, filters, sorting ------------------------------------------------
  const controls = {
    q: document.getElementById("q"),
    inst: document.getElementById("f-inst"),
    metric: document.getElementById("f-metric"),
    kind: document.getElementById("f-kind"),
    status: document.getElementById("f-status"),
  };
  const shown = document.getElementById("shown");
  function matches(row, words, inst, metric, kind, status) {
    if (inst && !row.inst.includes(inst)) return false;
    if (metric && !row.metric.includes(metric)) return false;
    if (kind && !row.kind.includes(kind)) return false;
    if (status === "warn" ? !row.warn : status && row.status !== status) return false;
    return words.every((word) => row.q.includes(word));
  }
  function filter() {
    const words = controls.q.value.toLowerCase().split(/\s+/).filter(Boolean);
    let count = 0;
    for (const row of data.rows) {
      const ok = matches(row, words, controls.inst.value, controls.metric.value, controls.kind.value, controls.status.value);
      rowOf.get(row.id).hidden = !ok;
      count += ok;
    }
    shown.textContent = count + " of " + data.rows.length;
  }
  for (const control of Object.values(controls)) control.addEventListener("input", filter);

  let sortKey = "n";
  let sortUp = true;
  function sortBy(key) {
    sortUp = key === sortKey ? !sortUp : true;
    sortKey = key;
    const value = (row) => (row.sort[key] === undefined ? "" : row.sort[key]);
    const order = data.rows.slice().sort((a, b) => {
      const x = value(a);
      const y = value(b);
      const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "zh");
      return sortUp ? c : -c;
    });
    tbody.append(...order.map((row) => rowOf.get(row.id)));
    for (const button of document.querySelectorAll("#articles th button")) {
      if (button.dataset.sort === key) button.setAttribute("aria-sort", sortUp ? "ascending" : "descending");
      else button.removeAttribute("aria-sort");
    }
  }
  for (const button of document.querySelectorAll("#articles th button")) {
    button.addEventListener("click", () => sortBy(button.dataset.sort));
  }

  // ---- article: fact cards over highlights --------------------------------------------
  function hiddenKind(mark) {
    const page = mark.closest(".page");
    return page !== null && page.classList.contains("hide-" + mark.dataset.kind);
  }
  function marksAt(x, y, fallback) {
    const found = document.elementsFromPoint(x, y).filter((e) => e.matches("mark.hl") && !hiddenKind(e));
    return found.length ? found : [fallback];
  }
  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  // A fact's card: its row of the facts table (the non-empty cells under their headers).
  function cardFor(mark) {
    const row = article.querySelector('tr[data-fact="' + mark.dataset.fact + '"]');
    if (!row) return null;
    const table = row.closest("table");
    const card = element("div", "card k-" + mark.dataset.kind);
    const head = element("div", "card-kind");
    head.append(element("span", "chip k-" + mark.dataset.kind), table.dataset.label);
    card.append(head, element("div", "card-head", row.dataset.headline));
    const fields = element("dl");
    const names = table.tHead.rows[0].cells;
    for (let n = 0; n < row.cells.length; n++) {
      const cell = row.cells[n];
      if (cell.classList.contains("evs") || !cell.textContent) continue;
      fields.append(element("dt", "", names[n].textContent), element("dd", "", cell.textContent));
    }
    card.append(fields, element("div", "at", "characters " + mark.dataset.start + "–" + mark.dataset.end));
    return card;
  }
  function showPop(marks, anchor) {
    const cards = [];
    const seen = new Set();
    for (const mark of marks) {
      if (seen.has(mark.dataset.fact)) continue;
      seen.add(mark.dataset.fact);
      const card = cardFor(mark);
      if (card) cards.push(card);
    }
    for (const on of article.querySelectorAll("mark.hl.on")) on.classList.remove("on");
    for (const mark of marks) mark.classList.add("on");
    pop.replaceChildren(...cards);
    pop.hidden = cards.length === 0;
    const box = anchor.getBoundingClientRect();
    const width = pop.offsetWidth;
    const height = pop.offsetHeight;
    const left = Math.max(8, Math.min(box.left, window.innerWidth - width - 8));
    const below = box.bottom + 8;
    pop.style.left = left + "px";
    pop.style.top = (below + height > window.innerHeight && box.top - height - 8 > 0 ? box.top - height - 8 : below) + "px";
  }
  function hidePop() {
    pinned = null;
    pop.hidden = true;
    pop.replaceChildren();
    for (const on of article.querySelectorAll("mark.hl.on")) on.classList.remove("on");
  }
  article.addEventListener("mouseover", (event) => {
    const mark = event.target.closest("mark.hl");
    if (!mark || pinned || hiddenKind(mark)) return;
    showPop(marksAt(event.clientX, event.clientY, mark), mark);
  });
  article.addEventListener("mouseout", (event) => {
    if (pinned || !event.target.closest("mark.hl")) return;
    const into = event.relatedTarget;
    if (!(into instanceof Element) || !into.closest("mark.hl")) hidePop();
  });

  // ---- article: facts table jumps to its evidence -------------------------------------
  function flash(marks) {
    for (const mark of marks) {
      mark.classList.remove("flash");
      void mark.offsetWidth; // restart the animation
      mark.classList.add("flash");
    }
  }
  function goTo(marks) {
    if (!marks.length) return;
    hidePop();
    const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    marks[0].scrollIntoView({ block: "center", behavior: smooth ? "smooth" : "auto" });
    flash(marks);
  }
  article.addEventListener("animationend", (event) => event.target.classList.remove("flash"));
  article.addEventListener("click", (event) => {
    const mark = event.target.closest("mark.hl");
    if (mark && !hiddenKind(mark)) {
      event.stopPropagation();
      if (pinned === mark) {
        hidePop();
        return;
      }
      showPop(marksAt(event.clientX, event.clientY, mark), mark);
      pinned = mark;
      return;
    }
    const evidence = event.target.closest("[data-goto]");
    if (evidence) {
      const target = document.getElementById(evidence.dataset.goto);
      goTo(target ? [target] : []);
      return;
    }
    const row = event.target.closest("tr[data-fact]");
    if (row) goTo(Array.from(article.querySelectorAll('mark.hl[data-fact="' + row.dataset.fact + '"]')));
  });
  article.addEventListener("keydown", (event) => {
    const row = event.target.closest("tr[data-fact]");
    if (row && (event.key === "Enter" || event.key === " ") && event.target === row) {
      event.preventDefault();
      goTo(Array.from(article.querySelectorAll('mark.hl[data-fact="' + row.dataset.fact + '"]')));
    }
  });
  article.addEventListener("change", (event) => {
    const box = event.target.closest("input[data-show-kind]");
    if (box) article.firstElementChild.classList.toggle("hide-" + box.dataset.showKind, !box.checked);
  });
  document.addEventListener("click", (event) => {
    if (pinned && !pop.contains(event.target)) hidePop();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hidePop();
  });
  window.addEventListener("scroll", () => {
    if (!pinned) hidePop();
  }, { passive: true });

  filter();
  route();
})();
