"use strict";
// gnnprop explore: the page's behaviour. Every number shown comes from the recorded derivations
// (inspect's records); nothing here computes a message, an aggregation or an update.
(function () {
  const $ = (id) => document.getElementById(id);
  const SVGNS = "http://www.w3.org/2000/svg";
  const state = { round: 0, channel: 0, selected: -1, focus: -1, pinned: [], timer: null };
  let D = null, LV = null, pool = null, nodes = [], pos = [], byId = new Map(), view = null, fit = null;

  async function inflate(id) {
    const text = $(id).textContent.trim();
    const bin = atob(text);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  // A number as Python's repr writes it (inspect's JSON), a whole number without ".0".
  function num(v) {
    if (v === null || v === undefined) return "not finite";
    if (Object.is(v, -0)) return "-0";
    if (Number.isInteger(v) && Math.abs(v) < 1e16) return String(v);
    const e = v.toExponential();
    const exp = parseInt(e.slice(e.indexOf("e") + 1), 10);
    if (exp >= -4 && exp < 16) return String(v);
    const [m, x] = e.split("e");
    const sign = x[0] === "-" ? "-" : "+";
    const digits = x.replace(/^[+-]/, "");
    return m + "e" + sign + (digits.length < 2 ? "0" + digits : digits);
  }
  const vec = (i) => (i < 0 ? null : pool[i]);
  const vtext = (v) => (v === null ? "—" : "(" + v.map(num).join(", ") + ")");

  // One recorded step back in inspect --format json's shape (data.py's encode_steps, reversed).
  // A check of a shown value against its formula redone on the shown inputs (inspect's record).
  function check(c) {
    if (c === 0) return null;
    if (c === 1) return { exact: true };
    if (c[0] === null) return { exact: null, why: c[1] };
    return { exact: false, redone: vec(c[1]), difference: vec(c[2]), ulp: c[3], why: c[4] };
  }
  function decodeStep(s) {
    const [round, x, names, msgs, agg, upd, value, computedBy, labels] = s;
    const aggregation = { op: agg[0], value: vec(agg[1]), count: agg[2] };
    if (agg[3] !== 0) aggregation[agg[3][0]] = agg[3][1];
    if (agg[4] !== -2) aggregation.sum = vec(agg[4]);
    aggregation.check = check(agg[5]);
    return {
      round: round, computed_by: computedBy, inputs: { x: vec(x) }, labels: labels,
      messages: msgs.map((m) => {
        const inputs = {};
        names.forEach((k, j) => { inputs[k] = vec(m[2][j]); });
        return { from: m[0], edge: m[1], inputs: inputs, value: vec(m[3]), check: check(m[4]) };
      }),
      aggregation: aggregation,
      update: { inputs: { x: vec(upd[0]), aggr_out: vec(upd[1]) }, value: vec(value), check: check(upd[2]) },
    };
  }
  // What a check says beside its value, where the value is not its formula's result bit for bit.
  function mark(c) {
    if (!c || c.exact === true) return null;
    if (c.exact === null) return el("p", { class: "muted" }, "not redone: " + c.why);
    return el("p", { class: "muted" }, "the formula on the inputs shown gives ", valueCells(c.redone),
      "; difference ", valueCells(c.difference), c.ulp === null ? "" : " (" + c.ulp + " ulp)", ": " + c.why);
  }
  const stepsCache = new Map();
  function steps(i) {
    const rec = D.records[String(i)];
    if (!rec) return null;
    if (!stepsCache.has(i)) stepsCache.set(i, rec.map(decodeStep));
    return stepsCache.get(i);
  }
  // The node's value after round r (round 0: the input), from its records.
  function valueAt(i, r) {
    const st = steps(i);
    if (!st || !st.length) return D.inputs[String(i)] !== undefined ? vec(D.inputs[String(i)]) : null;
    if (r === 0) return st[0].inputs.x;
    const s = st.find((t) => t.round === r);
    return s ? s.update.value : null;
  }

  // --- colour ---------------------------------------------------------------------------------
  function paint() {
    const n = nodes.length, C = D.channels.length, r = state.round, c = state.channel;
    const base = (r * C + c) * n;
    for (let i = 0; i < n; i++) {
      const level = LV[base + i];
      nodes[i].setAttribute("fill", level === 255 ? "#ffffff" : D.palette[level]);
    }
    const range = D.ranges[r][c];
    $("chan").textContent = D.channels[c] + (D.channels[c] === "norm" ? " (length of the row)" : "") + ", round " + r + ":";
    $("lo").textContent = range[0] === null ? "no values" : num(range[0]);
    $("hi").textContent = range[1] === null ? "" : num(range[1]);
  }

  // --- round -----------------------------------------------------------------------------------
  function setRound(r) {
    r = Math.max(0, Math.min(D.rounds, r));
    state.round = r;
    $("round").value = String(r);
    $("roundout").textContent = String(r);
    $("round").setAttribute("aria-valuetext", r === 0 ? "round 0, the input" : "round " + r);
    $("tround").textContent = String(r);
    paint();
    renderPanel();
    renderTable();
  }
  function play() {
    if (state.timer) { stop(); return; }
    if (state.round >= D.rounds) setRound(0);
    $("play").textContent = "Pause";
    $("play").setAttribute("aria-pressed", "true");
    state.timer = setInterval(() => {
      if (state.round >= D.rounds) { stop(); return; }
      setRound(state.round + 1);
    }, 900);
  }
  function stop() {
    clearInterval(state.timer);
    state.timer = null;
    $("play").textContent = "Play";
    $("play").setAttribute("aria-pressed", "false");
  }

  // --- selection and the derivation panel ---------------------------------------------------------
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }
  function nodeButton(id) {
    const i = byId.get(String(id));
    if (i === undefined) return el("span", {}, "node " + id);
    const b = el("button", { type: "button", class: "linkish", "data-node": String(id) }, "node " + id);
    b.addEventListener("click", () => select(i, true));
    return b;
  }
  function valueCells(v, winners) {
    const span = el("span", { class: "vec" }, "(");
    (v || []).forEach((a, k) => {
      if (k) span.append(", ");
      span.append(winners && winners.has(k) ? el("mark", { title: "supplies feature x" + k }, num(a)) : num(a));
    });
    span.append(")");
    return v === null ? el("span", { class: "vec" }, "—") : span;
  }

  function select(i, focusNode) {
    if (state.selected >= 0) nodes[state.selected].classList.remove("sel");
    state.selected = i;
    if (i >= 0) {
      nodes[i].classList.add("sel");
      if (!state.pinned.includes(i)) state.pinned.push(i);
      if (focusNode) moveFocus(i);
    }
    renderPanel();
    renderTable();
  }

  function renderPanel() {
    const panel = $("panel"), i = state.selected, r = state.round;
    highlight(null);
    if (i < 0) return;
    const id = D.ids[i];
    panel.replaceChildren(el("h2", {}, "node " + id + ", round " + r));
    const st = steps(i);
    if (!st) {
      panel.append(el("p", {}, "Node " + id + "'s derivations are not in this page: " + D.explainedShort + "."),
        el("p", {}, "To record them, start from it: ", el("code", {}, D.rerun.replace("NODE", String(id)))));
      return;
    }
    if (r === 0) {
      panel.append(el("p", {}, "Round 0 is the input: x = ", valueCells(valueAt(i, 0))),
        el("p", { class: "muted" }, "Move the round slider to see how round 1 was derived."));
      return;
    }
    const s = st.find((t) => t.round === r);
    if (!s) {
      panel.append(el("p", {}, "The run stopped before round " + r + " (" + D.stopReason + ")."));
      return;
    }
    panel.append(el("p", { class: "muted" }, D.layer + " layer, " + D.aggr + " aggregation"));
    if (D.formulas.layer) panel.append(el("p", {}, "layer: ", el("span", { class: "formula" }, D.formulas.layer)));
    panel.append(el("p", {}, "input: x = ", valueCells(s.inputs.x)));
    for (const [k, what] of Object.entries(s.labels || {})) panel.append(el("p", { class: "muted" }, k + ": " + what));
    const agg = s.aggregation, who = agg.argmax || agg.argmin || null;
    panel.append(el("h3", {}, "Messages (" + s.messages.length + ")"), el("p", {}, el("span", { class: "formula" }, D.formulas.message)));
    if (!s.messages.length) {
      panel.append(el("p", {}, agg.value === null ? "No messages were seen one by one (the layer aggregates through a sparse product)." : "No incoming edges."));
    } else {
      // An input that every message received alike (x_i: the node's own row) is shown once, above.
      const all = Object.keys(s.messages[0].inputs);
      const same = s.messages.length > 1 ? all.filter((k) => {
        const first = JSON.stringify(s.messages[0].inputs[k]);
        return s.messages.every((m) => JSON.stringify(m.inputs[k]) === first);
      }) : [];
      for (const k of same) panel.append(el("p", {}, k + " = ", valueCells(s.messages[0].inputs[k]), " in every message"));
      const names = all.filter((k) => !same.includes(k));
      const head = el("tr", {}, el("th", {}, "from"), ...names.map((k) => el("th", {}, k)), el("th", {}, "message"));
      const table = el("table", { class: "msgs" }, el("thead", {}, head));
      const body = el("tbody", {});
      const shown = s.messages.slice(0, state.allMessages ? undefined : 50);
      for (const m of shown) {
        const wins = new Set();
        if (who) who.forEach((src, k) => { if (String(src) === String(m.from)) wins.add(k); });
        body.append(el("tr", {}, el("td", {}, nodeButton(m.from)), ...names.map((k) => el("td", {}, valueCells(m.inputs[k]))),
          el("td", {}, valueCells(m.value, who ? wins : null))));
      }
      table.append(body);
      panel.append(table);
      if (shown.length < s.messages.length) {
        const more = el("button", { type: "button" }, "Show all " + s.messages.length + " messages");
        more.addEventListener("click", () => { state.allMessages = true; renderPanel(); });
        panel.append(more);
      }
    }
    panel.append(el("h3", {}, "Aggregate"), el("p", {}, el("span", { class: "formula" }, D.formulas.aggregate)));
    if (agg.value === null) {
      panel.append(el("p", {}, "not observed (the layer does not aggregate through PyG's aggregate step)"));
    } else {
      panel.append(el("p", {}, agg.op + " → ", valueCells(agg.value)));
      if (who) {
        const p = el("p", {}, (agg.argmax ? "argmax" : "argmin") + ": ");
        who.forEach((src, k) => { if (k) p.append(", "); p.append("x" + k + " from ", src === null ? "none" : nodeButton(src)); });
        panel.append(p);
      }
      if (agg.sum) panel.append(el("p", {}, "sum ", valueCells(agg.sum), agg.op === "mean" ? " / " + agg.count + " messages" : " of " + agg.count + " messages"));
      const am = mark(agg.check);
      if (am) panel.append(am);
    }
    panel.append(el("h3", {}, "Update"), el("p", {}, el("span", { class: "formula" }, D.formulas.update)),
      el("p", {}, "x = ", valueCells(s.update.inputs.x), ", aggr_out = ", valueCells(s.update.inputs.aggr_out)),
      el("p", { class: "result" }, "→ ", valueCells(s.update.value)));
    const um = mark(s.update.check);
    if (um) panel.append(um);
    const off = s.messages.filter((m) => m.check && m.check.exact !== true).length;
    if (off) panel.append(el("p", { class: "muted" }, off + " message" + (off > 1 ? "s are" : " is") +
      " not their formula's result bit for bit: inspect --format json has each one's difference"));
    highlight(s, who);
  }

  // The selected node's in-edges from drawn senders, drawn over the graph (max/min winners in orange).
  function highlight(s, who) {
    const g = $("overlay");
    g.replaceChildren();
    if (!s || state.selected < 0) return;
    const t = pos[state.selected], winners = new Set((who || []).map(String));
    for (const m of s.messages) {
      const j = byId.get(String(m.from));
      if (j === undefined || j === state.selected) continue;
      const line = document.createElementNS(SVGNS, "line");
      line.setAttribute("x1", pos[j][0]); line.setAttribute("y1", pos[j][1]);
      line.setAttribute("x2", t[0]); line.setAttribute("y2", t[1]);
      line.setAttribute("class", winners.has(String(m.from)) ? "hi win" : "hi");
      g.append(line);
    }
  }

  function renderTable() {
    const t = $("values"), r = state.round;
    const width = Math.max(1, ...state.pinned.map((i) => (valueAt(i, r) || []).length));
    const head = el("tr", {}, el("th", { scope: "col" }, "node"));
    for (let k = 0; k < width; k++) head.append(el("th", { scope: "col" }, "x" + k));
    head.append(el("th", { scope: "col" }, ""));
    const body = el("tbody", {});
    for (const i of state.pinned) {
      const v = valueAt(i, r);
      const row = el("tr", {}, el("td", {}, nodeButton(D.ids[i])));
      if (v === null) row.append(el("td", { colspan: String(width), style: "text-align: left" }, steps(i) ? "not computed (the run stopped earlier)" : "not recorded"));
      else for (let k = 0; k < width; k++) row.append(el("td", {}, k < v.length ? num(v[k]) : ""));
      const drop = el("button", { type: "button", "aria-label": "Remove node " + D.ids[i] + " from the table" }, "×");
      drop.addEventListener("click", () => { state.pinned = state.pinned.filter((x) => x !== i); renderTable(); });
      row.append(el("td", {}, drop));
      body.append(row);
    }
    t.replaceChildren(el("thead", {}, head), body);
  }

  // --- keyboard: roving focus over the nodes ------------------------------------------------------------
  function moveFocus(i) {
    if (state.focus >= 0 && state.focus !== i) nodes[state.focus].setAttribute("tabindex", "-1");
    state.focus = i;
    const c = nodes[i];
    c.setAttribute("tabindex", "0");
    c.setAttribute("aria-label", "node " + D.ids[i] + (D.records[String(i)] ? "" : ", derivations not recorded"));
    c.focus({ preventScroll: true });
  }
  function nearest(i, dx, dy) {
    const [x0, y0] = pos[i];
    let best = -1, score = Infinity;
    for (let j = 0; j < pos.length; j++) {
      if (j === i) continue;
      const ex = pos[j][0] - x0, ey = pos[j][1] - y0;
      const along = ex * dx + ey * dy;
      if (along <= 0) continue;
      const across = Math.abs(ex * dy - ey * dx);
      const s = along + 2 * across;
      if (s < score) { score = s; best = j; }
    }
    return best;
  }
  function onGraphKey(ev) {
    const i = state.focus >= 0 ? state.focus : 0;
    const dirs = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (dirs[ev.key]) {
      const j = nearest(i, ...dirs[ev.key]);
      if (j >= 0) moveFocus(j);
      ev.preventDefault();
    } else if (ev.key === "Enter" || ev.key === " ") {
      select(i, true);
      ev.preventDefault();
    } else if (ev.key === "Escape") {
      select(-1, false);
    }
  }
  function onPageKey(ev) {
    const tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") return;
    if (ev.key === "[") setRound(state.round - 1);
    else if (ev.key === "]") setRound(state.round + 1);
    else if (ev.key === "+" || ev.key === "=") zoom(0.8);
    else if (ev.key === "-") zoom(1.25);
  }

  // --- zoom and pan -------------------------------------------------------------------------------------
  function setView(v) { view = v; $("graph").setAttribute("viewBox", v.join(" ")); }
  function zoom(f, cx, cy) {
    const [x, y, w, h] = view;
    cx = cx === undefined ? x + w / 2 : cx; cy = cy === undefined ? y + h / 2 : cy;
    setView([cx - (cx - x) * f, cy - (cy - y) * f, w * f, h * f]);
  }
  function svgPoint(ev) {
    const svg = $("graph"), p = svg.createSVGPoint();
    p.x = ev.clientX; p.y = ev.clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }

  function findNode(ev) {
    if (ev.key !== "Enter") return;
    const i = byId.get($("find").value.trim());
    if (i === undefined) { $("find").setCustomValidity("no drawn node has this id"); $("find").reportValidity(); return; }
    $("find").setCustomValidity("");
    select(i, true);
  }

  async function start() {
    D = JSON.parse(new TextDecoder().decode(await inflate("data")));
    LV = await inflate("levels");
    pool = D.vectors;
    nodes = Array.from(document.querySelectorAll("#graph .n"));
    pos = nodes.map((c) => [parseFloat(c.getAttribute("cx")), parseFloat(c.getAttribute("cy"))]);
    D.ids.forEach((id, i) => byId.set(String(id), i));
    nodes.forEach((c, i) => {
      if (!D.records[String(i)]) c.classList.add("ctx");
      c.addEventListener("click", () => select(i, true));
    });
    const sel = $("colour");
    D.channels.forEach((name, c) => sel.append(el("option", { value: String(c) }, name)));
    state.channel = D.channel;
    sel.value = String(D.channel);
    sel.addEventListener("change", () => { state.channel = parseInt(sel.value, 10); paint(); });
    $("round").addEventListener("input", () => { stop(); setRound(parseInt($("round").value, 10)); });
    $("play").addEventListener("click", play);
    $("find").addEventListener("keydown", findNode);
    $("graph").addEventListener("keydown", onGraphKey);
    $("graph").addEventListener("focus", (ev) => { if (ev.target === $("graph") && nodes.length) moveFocus(state.focus >= 0 ? state.focus : D.start); });
    document.addEventListener("keydown", onPageKey);
    $("zoomin").addEventListener("click", () => zoom(0.8));
    $("zoomout").addEventListener("click", () => zoom(1.25));
    $("zoomfit").addEventListener("click", () => setView(fit.slice()));
    fit = $("graph").getAttribute("viewBox").split(/\s+/).map(Number);
    view = fit.slice();
    $("graph").addEventListener("wheel", (ev) => { ev.preventDefault(); const p = svgPoint(ev); zoom(ev.deltaY > 0 ? 1.15 : 0.87, p.x, p.y); }, { passive: false });
    let drag = null;
    $("graph").addEventListener("pointerdown", (ev) => { if (ev.target.classList.contains("n")) return; drag = svgPoint(ev); });
    $("graph").addEventListener("pointermove", (ev) => { if (!drag) return; const p = svgPoint(ev); setView([view[0] - (p.x - drag.x), view[1] - (p.y - drag.y), view[2], view[3]]); });
    window.addEventListener("pointerup", () => { drag = null; });
    $("bar").style.background = "linear-gradient(to right, " + D.palette.filter((_, k) => k % 16 === 0 || k === 254).join(", ") + ")";
    state.pinned = D.pinned.slice();
    setRound(D.rounds > 0 ? Math.min(1, D.rounds) : 0);
    if (D.pinned.length) select(D.pinned[0], false);
    document.body.setAttribute("data-ready", "1");
  }

  // For tests and the curious: the records as inspect --format json writes their steps.
  window.gnnprop = { steps: (id) => { const i = byId.get(String(id)); return i === undefined ? null : steps(i); },
                     select: (id) => select(byId.get(String(id)), true), setRound: setRound };
  start().catch((e) => { document.body.setAttribute("data-error", String(e)); throw e; });
})();
