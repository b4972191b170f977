/* voxgraft report: the trial explorer. No library and no network: the trials are the JSON in
   #vx-data (explorer.py), the sounds are data URIs, either in that JSON or already in the page
   (an <audio data-key>). */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("vx-data").textContent);
  const V = D.values, N = V.trial_id.length, PAGE = 100;
  const $ = (id) => document.getElementById(id);
  const sounds = new Map(Object.entries(D.audio));
  document.querySelectorAll("audio[data-key]").forEach((a) => {
    if (!sounds.has(a.dataset.key)) sounds.set(a.dataset.key, a.getAttribute("src"));
  });
  const numeric = D.columns.filter((c) => !D.text.includes(c));
  const front = new Set(V.trial_id.filter((_, i) => D.front[i]));
  const AIM_COLOURS = { timbre: "#1f77b4", cadence: "#d62728" };
  const state = { sort: null, desc: false, shown: PAGE, selected: null, rows: [], points: [] };

  const unique = (values) => [...new Set(values)].sort();
  const finite = (v) => typeof v === "number" && isFinite(v);
  function fmt(v) {
    if (v === null || v === undefined) return "";
    if (typeof v !== "number") return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a >= 1e5 || a < 1e-3) ? (+v.toPrecision(3)).toExponential() : String(+v.toPrecision(4));
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function fill(select, values, any) {
    select.innerHTML = (any ? "<option value=''>any</option>" : "") +
      values.map((v) => `<option value="${escapeHtml(v)}">${escapeHtml(v)}</option>`).join("");
  }

  fill($("vx-organs"), unique(V.organs), true);
  fill($("vx-trains"), D.organ_names, true);
  fill($("vx-alignment"), unique(V.alignment), true);
  fill($("vx-aim"), unique(V.aim), true);
  fill($("vx-outcome"), unique(V.outcome), true);
  fill($("vx-x"), numeric, false);
  fill($("vx-y"), numeric, false);
  if (D.scatter.length) { $("vx-x").value = D.scatter[0]; $("vx-y").value = D.scatter[1]; }

  function passes(i) {
    const organ = $("vx-trains").value, text = $("vx-text").value.trim();
    return (!$("vx-organs").value || V.organs[i] === $("vx-organs").value) &&
      (!organ || D.trains[i].includes(D.organ_names.indexOf(organ))) &&
      (!$("vx-alignment").value || V.alignment[i] === $("vx-alignment").value) &&
      (!$("vx-aim").value || V.aim[i] === $("vx-aim").value) &&
      (!$("vx-outcome").value || V.outcome[i] === $("vx-outcome").value) &&
      (!text || V.trial_id[i].includes(text));
  }

  function compare(column, desc) {
    const values = V[column], sign = desc ? -1 : 1;
    return (a, b) => {  // unmeasured values last, whichever way
      const x = values[a], y = values[b];
      if (x === null || y === null) return (x === null) - (y === null);
      return (x < y ? -1 : x > y ? 1 : 0) * sign;
    };
  }

  function drawTable() {
    const rows = state.rows.slice(0, state.shown);
    const head = D.columns.map((c) => {
      const arrow = state.sort === c ? (state.desc ? " ▼" : " ▲") : "";
      return `<th data-col="${escapeHtml(c)}" title="sort">${escapeHtml(c)}${arrow}</th>`;
    }).join("");
    const body = rows.map((i) => {
      const cls = [V.trial_id[i] === state.selected ? "vx-selected" : "", front.has(V.trial_id[i]) ? "vx-front" : ""].join(" ");
      return `<tr data-index="${i}" class="${cls}">` + D.columns.map((c) => `<td>${escapeHtml(fmt(V[c][i]))}</td>`).join("") + "</tr>";
    }).join("");
    $("vx-table").innerHTML = `<table class="vx-trials"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
    $("vx-count").textContent = `${state.rows.length} of ${N} trials` + (state.rows.length > rows.length ? `, first ${rows.length} listed` : "");
    $("vx-more").style.display = state.rows.length > rows.length ? "" : "none";
  }

  function scale(values, size, pad, flip) {
    const ok = values.filter(finite);
    const lo = ok.length ? Math.min(...ok) : 0, hi = ok.length ? Math.max(...ok) : 1;
    const span = hi > lo ? hi - lo : 1, from = hi > lo ? lo : lo - 0.5;  // one value: drawn mid-axis, labelled as itself
    const f = (v) => pad + ((v - from) / span) * (size - 2 * pad);
    return { lo, hi, at: flip ? (v) => size - f(v) : f };
  }

  function drawScatter() {
    const canvas = $("vx-scatter"), g = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
    const xs = $("vx-x").value, ys = $("vx-y").value;
    g.clearRect(0, 0, W, H);
    const rows = state.rows.filter((i) => finite(V[xs][i]) && finite(V[ys][i]));
    const knobs = (D.knobs || []).filter((k) => finite(k.values[xs]) && finite(k.values[ys]));
    const sx = scale(rows.map((i) => V[xs][i]).concat(knobs.map((k) => k.values[xs])), W, 40, false);
    const sy = scale(rows.map((i) => V[ys][i]).concat(knobs.map((k) => k.values[ys])), H, 30, true);
    g.strokeStyle = "#999"; g.strokeRect(30, 20, W - 50, H - 40);
    g.fillStyle = "#333"; g.font = "11px sans-serif";
    g.fillText(`${xs} ${fmt(sx.lo)} … ${fmt(sx.hi)} (${D.better[xs] === "min" ? "lower" : "higher"} is better)`, 34, H - 6);
    g.save(); g.translate(12, H - 24); g.rotate(-Math.PI / 2);
    g.fillText(`${ys} ${fmt(sy.lo)} … ${fmt(sy.hi)}`, 0, 0); g.restore();
    state.points = rows.map((i) => [i, sx.at(V[xs][i]), sy.at(V[ys][i])]);
    const alpha = state.points.length > 2000 ? 0.25 : 0.75;
    for (const [i, x, y] of state.points) {
      g.globalAlpha = alpha; g.fillStyle = g.strokeStyle = AIM_COLOURS[V.aim[i]] || "#555";
      if (V.outcome[i] === "rejected" || V.outcome[i] === "error") {  // a cross: never best, never on a front
        g.lineWidth = 1.5; g.beginPath(); g.moveTo(x - 4, y - 4); g.lineTo(x + 4, y + 4); g.moveTo(x - 4, y + 4); g.lineTo(x + 4, y - 4); g.stroke();
        continue;
      }
      g.beginPath(); g.arc(x, y, 3, 0, 2 * Math.PI); g.fill();
      if (front.has(V.trial_id[i])) { g.globalAlpha = 1; g.strokeStyle = "#000"; g.lineWidth = 1.2; g.stroke(); }
    }
    g.globalAlpha = 1;
    for (const k of knobs) {  // the knobs: reference marks, never trials (not clickable)
      const x = sx.at(k.values[xs]), y = sy.at(k.values[ys]);
      g.fillStyle = "#888"; g.strokeStyle = "#000"; g.lineWidth = 1;
      g.beginPath(); g.moveTo(x, y - 6); g.lineTo(x + 6, y); g.lineTo(x, y + 6); g.lineTo(x - 6, y); g.closePath(); g.fill(); g.stroke();
      g.fillStyle = "#333"; g.fillText(k.label, x + 8, y - 6);
    }
    const chosen = state.points.find(([i]) => V.trial_id[i] === state.selected);
    if (chosen) { g.strokeStyle = "#f0a000"; g.lineWidth = 3; g.beginPath(); g.arc(chosen[1], chosen[2], 8, 0, 2 * Math.PI); g.stroke(); }
    g.lineWidth = 1;
  }

  function parallelAxes() {
    const axes = ["organs", "alignment"].filter((c) => unique(V[c]).length > 1);
    return axes.concat(numeric.filter((c) => c !== "step"));
  }

  function axisValue(column, i, levels) {
    if (levels) return levels.indexOf(V[column][i]);
    const v = V[column][i];
    return column === "lr" && finite(v) && v > 0 ? Math.log10(v) : v;
  }

  function drawParallel() {
    const canvas = $("vx-parallel"), g = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
    g.clearRect(0, 0, W, H);
    const axes = parallelAxes(), left = 70, step = (W - left - 50) / Math.max(axes.length - 1, 1);
    const scales = axes.map((c) => {
      const levels = D.text.includes(c) ? unique(V[c]) : null;
      const values = state.rows.map((i) => axisValue(c, i, levels));
      return { levels, s: scale(values, H - 20, 30, true) };
    });
    const line = (i) => {
      g.beginPath();
      axes.forEach((c, k) => {
        const v = axisValue(c, i, scales[k].levels);
        if (!finite(v)) return;
        const x = left + k * step, y = 20 + scales[k].s.at(v);
        if (k === 0) g.moveTo(x, y); else g.lineTo(x, y);
      });
      g.stroke();
    };
    g.globalAlpha = Math.max(0.04, Math.min(0.6, 40 / Math.max(state.rows.length, 1)));
    for (const i of state.rows) { g.strokeStyle = AIM_COLOURS[V.aim[i]] || "#555"; line(i); }
    g.globalAlpha = 1;
    const chosen = V.trial_id.indexOf(state.selected);
    if (chosen >= 0 && state.rows.includes(chosen)) { g.strokeStyle = "#000"; g.lineWidth = 2.5; line(chosen); g.lineWidth = 1; }
    g.fillStyle = "#333"; g.font = "11px sans-serif"; g.textAlign = "center";
    axes.forEach((c, k) => {
      const x = left + k * step;
      g.strokeStyle = "#999"; g.beginPath(); g.moveTo(x, 30); g.lineTo(x, H - 10); g.stroke();
      g.fillText(c === "lr" ? "lr (log10)" : c, x, 12);
      const { levels, s } = scales[k];
      g.fillText(levels ? levels[0] : fmt(s.lo), x, H - 1);
      g.fillText(levels ? levels[levels.length - 1] : fmt(s.hi), x, 26);
    });
    g.textAlign = "start";
  }

  function player(trial) {
    const i = V.trial_id.indexOf(trial);
    const cell = (key, role) => sounds.has(key)
      ? `<audio controls preload="none" data-plays="${role}" data-sound="${escapeHtml(key)}"></audio>` : "";
    const rows = D.sentences.filter((s) => sounds.has(`${trial}/${s}`)).map((s) =>
      `<tr><td>${escapeHtml(s)}</td><td>${cell(`recipient/${s}`, "recipient")}</td><td>${cell(`donor/${s}`, "donor")}</td>` +
      `<td>${cell(`${trial}/${s}`, "trial")}</td></tr>`).join("");
    const about = `<p><b>trial ${escapeHtml(trial)}</b>: organs ${escapeHtml(V.organs[i])}, ${escapeHtml(V.alignment[i])}, ` +
      `lr ${fmt(V.lr[i])}, ${escapeHtml(V.outcome[i])}${front.has(trial) ? ", on its Pareto front" : ""}</p>`;
    $("vx-player").innerHTML = about + (rows
      ? `<table><tr><th>sentence</th><th>recipient</th><th>donor</th><th>this trial</th></tr>${rows}</table>`
      : `<p class="note">No sample of this trial is in the page: it embeds the top transplants' and up to ${D.extra_listen} ` +
        "more trials' (Pareto-front trials first), to stay small. The trial's checkpoints hold its samples.</p>");
    $("vx-player").querySelectorAll("audio[data-sound]").forEach((a) => { a.src = sounds.get(a.dataset.sound); });
  }

  function select(trial) {
    state.selected = trial;
    player(trial);
    drawTable(); drawScatter(); drawParallel();
  }

  function update() {
    state.rows = [...Array(N).keys()].filter(passes);
    if (state.sort) state.rows.sort(compare(state.sort, state.desc));
    state.shown = PAGE;
    drawTable(); drawScatter(); drawParallel();
  }

  $("vx-table").addEventListener("click", (event) => {
    const th = event.target.closest("th[data-col]");
    if (th) {
      const column = th.dataset.col;
      state.desc = state.sort === column ? !state.desc : D.better[column] === "max";  // best first on a first click
      state.sort = column;
      return update();
    }
    const tr = event.target.closest("tr[data-index]");
    if (tr) select(V.trial_id[+tr.dataset.index]);
  });
  $("vx-scatter").addEventListener("click", (event) => {
    const box = event.target.getBoundingClientRect();
    const x = (event.clientX - box.left) * (event.target.width / box.width), y = (event.clientY - box.top) * (event.target.height / box.height);
    let best = null, dist = 64;  // within 8 px
    for (const [i, px, py] of state.points) {
      const d = (px - x) ** 2 + (py - y) ** 2;
      if (d < dist) { dist = d; best = i; }
    }
    if (best !== null) select(V.trial_id[best]);
  });
  $("vx-more").addEventListener("click", () => { state.shown += PAGE; drawTable(); });
  ["vx-organs", "vx-trains", "vx-alignment", "vx-aim", "vx-outcome"].forEach((id) => $(id).addEventListener("change", update));
  $("vx-text").addEventListener("input", update);
  ["vx-x", "vx-y"].forEach((id) => $(id).addEventListener("change", drawScatter));

  // For the browser test and for scripts: where a trial's point is drawn, in canvas pixels.
  window.voxgraftExplorer = {
    pointOf: (trial) => { const p = state.points.find(([i]) => V.trial_id[i] === trial); return p ? [p[1], p[2]] : null; },
    knobs: () => (D.knobs || []).map((k) => k.label),
    select,
  };
  update();
  if (D.top.length) select(D.top[0]);
})();
