// ocellus web UI. Plain JavaScript, no build step, no dependency: it talks to
// the daemon's /api/v1 routes and listens to /api/v1/events (server-sent events).
"use strict";

(() => {
  const API = "/api/v1";
  const TOKEN_KEY = "ocellus.token";
  const $ = (id) => document.getElementById(id);

  // el builds an element: el("li", {class: "x", dataset: {id: 3}}, child, "text", …).
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "dataset") Object.assign(e.dataset, v);
      else if (k === "onclick" || k === "onchange") e.addEventListener(k.slice(2), v);
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }
  const SVG = "http://www.w3.org/2000/svg";
  function sv(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  const state = {
    status: null,
    camera: "",
    labels: [], // store labels, with counts: [{name, counts:{train,val,test}}]
    modelClasses: [],
    lastSeq: 0,
    training: null,
    shownRun: 0, // run whose confusion matrix is shown
    sampleAfter: 0,
    filter: "",
  };

  // ---- messages ----------------------------------------------------------
  let toastTimer = 0;
  function toast(msg, isError) {
    const t = $("toast");
    t.textContent = msg;
    t.classList.toggle("error", !!isError);
    t.classList.add("show");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => t.classList.remove("show"), isError ? 5000 : 2500);
  }

  // ---- API with the bearer token ------------------------------------------
  class APIError extends Error {
    constructor(status, msg, body) { super(msg); this.status = status; this.body = body; }
  }

  function askToken() {
    const d = $("token-dialog");
    $("token-input").value = localStorage.getItem(TOKEN_KEY) || "";
    return new Promise((resolve) => {
      d.addEventListener("close", () => {
        if (d.returnValue === "save") {
          const v = $("token-input").value.trim();
          if (v) localStorage.setItem(TOKEN_KEY, v); else localStorage.removeItem(TOKEN_KEY);
          resolve(true);
        } else resolve(false);
      }, { once: true });
      d.returnValue = "";
      d.showModal();
    });
  }

  async function api(method, path, body, retried) {
    const headers = {};
    const tok = localStorage.getItem(TOKEN_KEY);
    if (tok && method !== "GET") headers.Authorization = "Bearer " + tok;
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    const r = await fetch(API + path, { method, headers, body: payload, cache: "no-store" });
    if (r.status === 401 && !retried) {
      $("token-btn").hidden = false;
      if (await askToken()) return api(method, path, body, true);
    }
    if (r.status === 204) return null;
    const ct = r.headers.get("Content-Type") || "";
    const data = ct.startsWith("application/json") ? await r.json() : await r.text();
    if (!r.ok) throw new APIError(r.status, (data && data.error) || r.status + " " + r.statusText, data);
    return data;
  }

  // fail reports a failed action.
  const fail = (what) => (err) => toast(what + ": " + err.message, true);

  // debounce runs f at most once per ms, after the last call.
  function debounce(f, ms) {
    let t = 0;
    return () => { clearTimeout(t); t = setTimeout(f, ms); };
  }

  const fmtPct = (p) => (p === null || p === undefined || Number.isNaN(p)) ? "–" : (100 * p).toFixed(1) + "%";
  const fmtNum = (x, d = 3) => (x === null || x === undefined || !Number.isFinite(x)) ? "–" : x.toFixed(d);
  const fmtTime = (t) => { const d = new Date(t); return Number.isNaN(d.getTime()) ? "" : d.toLocaleString(); };

  // ---- status, cameras, live view -------------------------------------------
  async function loadStatus() {
    const st = await api("GET", "/status");
    state.status = st;
    if (st.auth_required) $("token-btn").hidden = false;
    const sel = $("camera-select");
    const names = (st.cameras || []).map((c) => c.name);
    if (!state.camera || !names.includes(state.camera)) {
      state.camera = names[0] || "";
      startLive();
    }
    sel.replaceChildren(...names.map((n) => el("option", { value: n, text: n })));
    sel.value = state.camera;
    sel.hidden = names.length < 2;
    const cam = (st.cameras || []).find((c) => c.name === state.camera);
    $("camera-state").textContent = cam ? `${cam.state}${cam.error ? " — " + cam.error : ""} · ${cam.width}×${cam.height} · ${cam.fps.toFixed(1)} fps` : "no camera";
    if (cam && cam.last && cam.last.seq > state.lastSeq) showPrediction(cam.last);
    setModel(st.model);
    state.labels = (st.labels || []).map((n) => state.labels.find((l) => l.name === n) || { name: n, counts: null });
    renderLabelButtons();
    renderTraining(st.training);
    $("inbox-count").textContent = st.inbox;
  }

  function setModel(m) {
    if (!m) return;
    state.modelClasses = m.classes || [];
    const text = `${m.name || "model"}${m.id ? " (v" + m.id + ")" : ""} · ${state.modelClasses.length} classes`;
    $("header-model").textContent = text;
    $("active-model").textContent = text;
  }

  let snapshotTimer = 0;
  function startLive() {
    const img = $("live-img");
    clearInterval(snapshotTimer);
    if (!state.camera) { img.removeAttribute("src"); $("live-none").hidden = false; return; }
    $("live-none").hidden = true;
    const cam = encodeURIComponent(state.camera);
    img.onerror = () => {
      // No MJPEG (or it broke): refresh snapshots instead.
      img.onerror = null;
      clearInterval(snapshotTimer);
      snapshotTimer = setInterval(() => { img.src = `${API}/cameras/${cam}/snapshot.jpg?t=${Date.now()}`; }, 500);
    };
    img.src = `${API}/cameras/${cam}/live.mjpeg?fps=10`;
  }

  function showPrediction(p) {
    if (p.camera !== state.camera) return;
    state.lastSeq = p.seq;
    const box = $("prediction");
    box.dataset.seq = p.seq;
    box.dataset.label = p.label;
    $("pred-label").textContent = p.label;
    $("pred-conf").textContent = fmtPct(p.confidence);
    $("pred-latency").textContent = `${fmtNum(p.latency_ms, 1)} ms`;
    $("pred-model").textContent = `${p.model_name || "model"}${p.model_id ? " v" + p.model_id : ""}`;
    const rows = (p.top_k || []).map((c) => el("li", { dataset: { testid: "topk-row", label: c.label } },
      el("span", { class: "name", text: c.label, title: c.label }),
      el("span", { class: "bar" }, el("span", { style: `width:${Math.max(0, Math.min(100, 100 * c.prob)).toFixed(1)}%` })),
      el("span", { class: "p", text: fmtPct(c.prob) })));
    $("topk").replaceChildren(...rows);
    for (const b of document.querySelectorAll("#label-buttons button")) b.classList.toggle("current", b.dataset.label === p.label);
  }

  // ---- labelling ------------------------------------------------------------
  async function loadLabels() {
    state.labels = await api("GET", "/labels");
    renderLabelButtons();
    renderFilter();
  }

  // classes is the store's labels, then the model's classes the store lacks.
  function classes() {
    const names = state.labels.map((l) => l.name);
    const extra = state.modelClasses.filter((c) => !names.includes(c));
    return { names, extra, all: names.concat(extra) };
  }

  // renderLabelButtons keeps one button per class; existing buttons are
  // updated in place, so a button never goes away under a finger.
  function renderLabelButtons() {
    const { names, extra } = classes();
    const box = $("label-buttons");
    const old = new Map();
    for (const b of box.querySelectorAll("button[data-label]")) old.set(b.dataset.label, b);
    const btns = [];
    for (const n of names.concat(extra)) {
      const l = state.labels.find((x) => x.name === n);
      const count = l && l.counts ? l.counts.train + l.counts.val + l.counts.test : null;
      const modelOnly = extra.includes(n);
      let b = old.get(n);
      if (!b) {
        b = el("button", { type: "button", dataset: { testid: "label-btn", label: n }, onclick: () => capture(n) },
          el("span", { text: n }), el("small"));
      }
      b.classList.toggle("model-only", modelOnly);
      b.title = modelOnly ? "a class of the model, not yet a label: the first click adds it" : `label the current frame "${n}"`;
      b.querySelector("small").textContent = count === null ? (modelOnly ? "model class" : "…") : `${count} sample${count === 1 ? "" : "s"}`;
      btns.push(b);
    }
    const same = btns.length === box.children.length && btns.every((b, i) => box.children[i] === b);
    if (!same) box.replaceChildren(...btns);
    if (!btns.length) box.replaceChildren(el("p", { class: "muted", text: "Add a class below, then label frames with it." }));
  }

  async function ensureLabel(name) {
    if (state.labels.some((l) => l.name === name)) return;
    try {
      await api("POST", "/labels", { name });
    } catch (err) {
      if (err.status !== 409) throw err; // 409: someone added it meanwhile
    }
    await loadLabels();
  }

  async function capture(label) {
    if (!state.camera) { toast("no camera", true); return; }
    try {
      await ensureLabel(label);
      const s = await api("POST", `/cameras/${encodeURIComponent(state.camera)}/capture`, { label });
      const msg = `saved frame as “${label}” (sample ${s.id})`;
      $("label-msg").textContent = msg;
      $("label-msg").dataset.count = String(Number($("label-msg").dataset.count || 0) + 1);
      toast(msg);
      refreshLabels();
      refreshSamples();
    } catch (err) {
      if (err.status === 409 && err.body && err.body.sample) {
        $("label-msg").textContent = `this frame is already sample ${err.body.sample.id}`;
        return;
      }
      fail("label")(err);
    }
  }
  const refreshLabels = debounce(() => loadLabels().catch(() => {}), 300);

  async function addClass(ev) {
    ev.preventDefault();
    const input = $("new-class");
    const name = input.value.trim();
    if (!name) return;
    try {
      await api("POST", "/labels", { name });
      input.value = "";
      toast(`class “${name}” added`);
      await loadLabels();
    } catch (err) {
      fail("add class")(err);
    }
  }

  // ---- training -------------------------------------------------------------
  function renderTraining(t) {
    if (!t) return;
    const prev = state.training;
    state.training = t;
    const st = $("train-state");
    st.textContent = t.state;
    st.dataset.state = t.state;
    const busy = t.state !== "idle";
    $("train-btn").disabled = busy;
    $("cancel-btn").hidden = t.state !== "running";
    let detail = "";
    if (busy) {
      detail = `run ${t.run}${t.phase ? " · " + t.phase : ""}${t.epoch ? " · epoch " + t.epoch + (t.max_epochs ? "/" + t.max_epochs : "") : ""}`;
    } else {
      detail = `${t.new_samples} new sample${t.new_samples === 1 ? "" : "s"} since the last run`;
      if (t.next_check) detail += ` · next check ${fmtTime(t.next_check)}`;
    }
    $("train-detail").textContent = detail;
    renderOutcome(t.last);
    if (busy && t.history) drawCurves(t.history.map((h) => ({
      phase: h.phase, train_loss: h.train_loss, val_loss: h.val_loss, val_auc: h.val_auc, val_accuracy: h.val_accuracy,
    })), t.run);
    // A run ended: show its figures.
    const ended = prev && prev.state !== "idle" && t.state === "idle";
    if (ended || (t.last && t.last.run !== state.shownRun && !busy)) {
      loadLatestRun().catch(() => {});
      loadModels().catch(() => {});
    }
  }

  function renderOutcome(o) {
    const p = $("train-outcome");
    if (!o) { p.textContent = ""; p.className = ""; return; }
    let text = `Run ${o.run} ${o.status}`;
    let cls = o.status === "succeeded" ? "outcome-ok" : o.status === "cancelled" ? "outcome-warn" : "outcome-bad";
    if (o.error) text += `: ${o.error}`;
    if (o.compared) {
      const c = o.compared;
      text += c.promoted ? ` — promoted (${c.reason})` : ` — not promoted (${c.reason})`;
      if (!c.promoted) cls = "outcome-warn";
    }
    p.textContent = text;
    p.className = cls;
    p.dataset.run = o.run;
    p.dataset.status = o.status;
  }

  async function startTraining() {
    try {
      const r = await api("POST", "/training");
      toast(`training run ${r.run} started`);
      renderTraining(await api("GET", "/training"));
    } catch (err) {
      fail("train")(err);
    }
  }

  async function cancelTraining() {
    try {
      await api("DELETE", "/training");
      renderTraining(await api("GET", "/training"));
    } catch (err) {
      fail("cancel")(err);
    }
  }

  // drawCurves plots loss (train, val) and validation AUC/accuracy per epoch.
  function drawCurves(points, run) {
    drawChart($("loss-chart"), points, [["train_loss", "train"], ["val_loss", "val"]], false);
    drawChart($("auc-chart"), points, [["val_auc", "auc"], ["val_accuracy", "acc"]], true);
    $("loss-chart").dataset.run = run || 0;
  }

  function drawChart(svg, points, series, unit) {
    const W = 320, H = 160, L = 34, R = 8, T = 8, B = 20;
    const finite = (v) => typeof v === "number" && Number.isFinite(v);
    let lo = unit ? 0 : Infinity, hi = unit ? 1 : -Infinity;
    if (!unit) {
      for (const p of points) for (const [k] of series) if (finite(p[k])) { lo = Math.min(lo, p[k]); hi = Math.max(hi, p[k]); }
      if (!Number.isFinite(lo)) { lo = 0; hi = 1; }
      lo = Math.min(0, lo);
      if (hi - lo < 1e-9) hi = lo + 1;
    }
    const n = points.length;
    const x = (i) => L + (n <= 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
    const y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
    const kids = [
      sv("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }),
      sv("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }),
      sv("text", { x: L - 4, y: T + 8, "text-anchor": "end" }, fmtNum(hi, unit ? 1 : 2)),
      sv("text", { x: L - 4, y: H - B, "text-anchor": "end" }, fmtNum(lo, unit ? 1 : 2)),
      sv("text", { x: W - R, y: H - 4, "text-anchor": "end" }, n ? `epoch ${n}` : "no epochs yet"),
    ];
    for (let i = 1; i < n; i++) {
      if (points[i].phase !== points[i - 1].phase) {
        const xm = (x(i) + x(i - 1)) / 2;
        kids.push(sv("line", { class: "phase", x1: xm, y1: T, x2: xm, y2: H - B }));
        const right = xm > W - 60; // keep the phase name inside the chart
        kids.push(sv("text", { x: right ? xm - 3 : xm + 3, y: T + 8, "text-anchor": right ? "end" : "start" }, points[i].phase || ""));
      }
    }
    let drawn = 0;
    for (const [k, cls] of series) {
      const pts = [];
      points.forEach((p, i) => { if (finite(p[k])) pts.push([x(i), y(p[k])]); });
      if (!pts.length) continue;
      drawn += pts.length;
      if (pts.length > 1) kids.push(sv("polyline", { class: cls, points: pts.map((q) => q[0].toFixed(1) + "," + q[1].toFixed(1)).join(" "), "data-series": k }));
      for (const q of pts) kids.push(sv("circle", { class: cls, cx: q[0].toFixed(1), cy: q[1].toFixed(1), r: 2.2 }));
    }
    svg.replaceChildren(...kids);
    svg.dataset.points = String(drawn);
  }

  // loadLatestRun shows the newest finished run's curves and confusion matrix.
  async function loadLatestRun() {
    const runs = await api("GET", "/runs");
    const run = runs.find((r) => r.status !== "running");
    if (!run) return;
    const d = await api("GET", `/runs/${run.id}`);
    state.shownRun = run.id;
    if (!state.training || state.training.state === "idle") {
      drawCurves(d.epochs.map((e) => ({
        phase: e.phase, train_loss: num(e.metrics.train_loss), val_loss: num(e.metrics.val_loss),
        val_auc: num(e.metrics.val_auc), val_accuracy: num(e.metrics.val_accuracy),
      })), run.id);
    }
    renderConfusion(run, d.artifacts);
  }
  // Metrics encode non-finite values as strings ("NaN").
  const num = (v) => (typeof v === "number" ? v : null);

  function renderConfusion(run, artifacts) {
    const box = $("confusion");
    $("confusion-run").textContent = `(run ${run.id}, ${run.status})`;
    const links = (artifacts || []).map((a) => el("a", { href: `${API}/runs/${run.id}/artifacts/${encodeURIComponent(a)}`, target: "_blank", rel: "noopener", text: a }));
    const ap = $("artifacts");
    ap.replaceChildren();
    links.forEach((a, i) => { if (i) ap.append(" · "); ap.append(a); });
    let result = null;
    if (run.result) result = typeof run.result === "string" ? JSON.parse(run.result) : run.result;
    const test = result && result.test;
    if (test && test.confusion && test.confusion.length) {
      box.replaceChildren(confusionSVG(test.confusion, result.classes || test.classes || [], test));
      box.dataset.run = run.id;
      box.dataset.kind = "drawn";
      return;
    }
    if ((artifacts || []).includes("confusion.svg")) {
      const img = el("img", { src: `${API}/runs/${run.id}/artifacts/confusion.svg`, alt: "confusion matrix", "data-testid": "confusion-img" });
      box.replaceChildren(img);
      box.dataset.run = run.id;
      box.dataset.kind = "artifact";
      return;
    }
    box.replaceChildren(el("p", { class: "muted", text: run.status === "succeeded" ? "this run has no confusion matrix" : `run ${run.status}${run.error ? ": " + run.error : ""}` }));
    box.dataset.run = run.id;
    box.dataset.kind = "none";
  }

  // confusionSVG draws a heatmap: rows are true classes, columns predictions.
  function confusionSVG(m, names, test) {
    const k = m.length, cell = Math.max(28, Math.min(60, 300 / k)), L = 80, T = 70;
    const W = L + k * cell + 10, H = T + k * cell + 10;
    const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "confusion matrix", "data-testid": "confusion-matrix" });
    let max = 0;
    for (const row of m) for (const v of row) max = Math.max(max, v);
    svg.append(sv("text", { x: L + (k * cell) / 2, y: 12, "text-anchor": "middle" }, "predicted"));
    svg.append(sv("text", { x: 10, y: T + (k * cell) / 2, transform: `rotate(-90 10 ${T + (k * cell) / 2})`, "text-anchor": "middle" }, "true"));
    for (let j = 0; j < k; j++) {
      const cx = L + j * cell + cell / 2;
      svg.append(sv("text", { x: cx, y: T - 6, transform: `rotate(-40 ${cx} ${T - 6})`, "text-anchor": "start" }, names[j] || String(j)));
    }
    for (let i = 0; i < k; i++) {
      svg.append(sv("text", { x: L - 6, y: T + i * cell + cell / 2 + 4, "text-anchor": "end" }, names[i] || String(i)));
      for (let j = 0; j < k; j++) {
        const v = m[i][j] || 0, a = max ? v / max : 0;
        const hue = i === j ? 140 : 8;
        const fill = v === 0 ? "rgba(127,127,127,0.08)" : `hsla(${hue}, 65%, ${70 - 35 * a}%, ${0.35 + 0.65 * a})`;
        svg.append(sv("rect", { x: L + j * cell, y: T + i * cell, width: cell - 2, height: cell - 2, rx: 3, fill, "data-count": v }));
        svg.append(sv("text", { x: L + j * cell + cell / 2 - 1, y: T + i * cell + cell / 2 + 4, "text-anchor": "middle", class: a > 0.6 ? "on-dark" : "" }, String(v)));
      }
    }
    const title = sv("title", {}, `${test.split} split: accuracy ${fmtPct(test.accuracy)}, ${test.samples} samples`);
    svg.prepend(title);
    return svg;
  }

  // ---- models ---------------------------------------------------------------
  async function loadModels() {
    const d = await api("GET", "/models");
    setModel(d.active);
    const items = d.models.slice().reverse().map((m) => {
      let acc = "";
      try {
        const met = typeof m.metrics === "string" ? JSON.parse(m.metrics) : m.metrics;
        if (met && met.test && typeof met.test.accuracy === "number") acc = ` · ${met.test.split || "test"} accuracy ${fmtPct(met.test.accuracy)}`;
      } catch (_) { /* metrics are free JSON */ }
      const active = d.active && d.active.id === m.id;
      return el("li", { class: active ? "active" : null, dataset: { testid: "model-row", id: m.id } },
        el("div", { class: "grow" },
          el("div", { class: "name", text: `v${m.id} ${m.name || ""}` }),
          el("div", { class: "muted small-text", text: `${(m.classes || []).join(", ")}${acc} · ${fmtTime(m.created)}${m.run ? " · run " + m.run : ""}` })),
        active ? null : el("button", { type: "button", class: "small", dataset: { testid: "activate-btn" }, onclick: () => activate(m.id) }, "Activate"),
        el("a", { class: "button", href: `${API}/models/${m.id}/export`, download: "", dataset: { testid: "export-link" } }, "Export"));
    });
    if (!items.length) items.push(el("li", { class: "muted", text: "no trained versions yet (the base model is active)" }));
    $("models").replaceChildren(...items);
  }

  async function activate(id) {
    try {
      const m = await api("POST", `/models/${id}/activate`);
      toast(`model v${m.id} active`);
      setModel(m);
      await loadModels();
    } catch (err) {
      fail("activate")(err);
    }
  }

  async function rollback() {
    try {
      const m = await api("POST", "/models/rollback");
      toast(`rolled back to ${m.id ? "v" + m.id : m.name}`);
      setModel(m);
      await loadModels();
    } catch (err) {
      fail("roll back")(err);
    }
  }

  // ---- inbox ----------------------------------------------------------------
  function labelSelect(current) {
    const s = el("select", { "aria-label": "label" });
    const all = classes().all;
    if (!all.includes(current)) s.append(el("option", { value: "", text: "label…", disabled: true }));
    for (const n of all) s.append(el("option", { value: n, text: n }));
    s.value = all.includes(current) ? current : "";
    return s;
  }

  async function loadInbox() {
    const items = await api("GET", "/inbox");
    $("inbox-count").textContent = items.length;
    const tiles = items.map((it) => {
      const sel = labelSelect(it.prediction);
      return el("div", { class: "tile", dataset: { testid: "inbox-item", id: it.id } },
        el("img", { src: `${API}/inbox/${it.id}/image.jpg`, alt: `inbox frame ${it.id}`, loading: "lazy" }),
        el("div", { class: "meta" },
          el("span", { class: "muted", text: `${it.prediction} ${fmtPct(it.confidence)}` }),
          sel,
          el("div", { class: "actions" },
            el("button", { type: "button", dataset: { testid: "inbox-label" }, onclick: () => sel.value ? labelInbox(it.id, sel.value) : toast("choose a label first", true) }, "Label"),
            el("button", { type: "button", class: "danger", dataset: { testid: "inbox-discard" }, onclick: () => discardInbox(it.id) }, "Discard"))));
    });
    if (!tiles.length) tiles.push(el("p", { class: "muted", text: "empty" }));
    $("inbox").replaceChildren(...tiles);
  }
  const refreshInbox = debounce(() => loadInbox().catch(() => {}), 500);

  async function labelInbox(id, label) {
    try {
      await ensureLabel(label);
      await api("POST", `/inbox/${id}/label`, { label });
      toast(`labelled “${label}”`);
      await loadInbox();
    } catch (err) {
      fail("label")(err);
    }
  }

  async function discardInbox(id) {
    try {
      await api("DELETE", `/inbox/${id}`);
      await loadInbox();
    } catch (err) {
      fail("discard")(err);
    }
  }

  // ---- samples --------------------------------------------------------------
  function renderFilter() {
    const sel = $("sample-filter");
    const opts = [el("option", { value: "", text: "all labels" })];
    let total = 0;
    for (const l of state.labels) {
      const c = l.counts ? l.counts.train + l.counts.val + l.counts.test : 0;
      total += c;
      opts.push(el("option", { value: l.name, text: `${l.name} (${c})` }));
    }
    sel.replaceChildren(...opts);
    sel.value = state.filter;
    $("samples-total").textContent = total;
  }

  function sampleTile(s) {
    const sel = labelSelect(s.label);
    sel.addEventListener("change", () => relabel(s.id, sel.value));
    const del = el("button", { type: "button", class: "danger", dataset: { testid: "sample-delete" } }, "Delete");
    del.addEventListener("click", () => {
      if (del.dataset.armed) { deleteSample(s.id); return; }
      del.dataset.armed = "1";
      del.textContent = "Sure?";
      setTimeout(() => { delete del.dataset.armed; del.textContent = "Delete"; }, 3000);
    });
    return el("div", { class: "tile", dataset: { testid: "sample", id: s.id, label: s.label } },
      el("img", { src: `${API}/samples/${s.id}/image.jpg`, alt: `sample ${s.id} (${s.label})`, loading: "lazy" }),
      el("div", { class: "meta" },
        el("span", { class: "muted", text: `#${s.id} · ${s.split}` }),
        sel,
        el("div", { class: "actions" }, del)));
  }

  async function loadSamples(more) {
    const q = new URLSearchParams({ limit: "48" });
    if (state.filter) q.set("label", state.filter);
    if (more && state.sampleAfter) q.set("after", state.sampleAfter);
    const page = await api("GET", `/samples?${q}`);
    const tiles = page.samples.map(sampleTile);
    if (more) $("gallery").append(...tiles);
    else $("gallery").replaceChildren(...tiles);
    if (!more && !tiles.length) $("gallery").append(el("p", { class: "muted", text: "no samples yet" }));
    state.sampleAfter = page.next_after;
    $("more-samples").hidden = !page.next_after;
  }
  const refreshSamples = debounce(() => loadSamples(false).catch(() => {}), 800);

  async function relabel(id, label) {
    try {
      await ensureLabel(label);
      await api("PATCH", `/samples/${id}`, { label });
      toast(`sample ${id} is now “${label}”`);
      refreshLabels();
      refreshSamples();
    } catch (err) {
      fail("relabel")(err);
      refreshSamples();
    }
  }

  async function deleteSample(id) {
    try {
      await api("DELETE", `/samples/${id}`);
      const tile = document.querySelector(`#gallery [data-id="${id}"]`);
      if (tile) tile.remove();
      refreshLabels();
    } catch (err) {
      fail("delete")(err);
    }
  }

  // ---- live updates -----------------------------------------------------------
  let es = null;
  function connect() {
    if (es) es.close();
    const conn = $("conn");
    es = new EventSource(`${API}/events?types=prediction,training,model,sample,inbox`);
    let lost = false;
    es.onopen = () => {
      conn.dataset.state = "open";
      conn.title = "live updates: connected";
      loadStatus().catch(() => {});
      // Back after the daemon restarted: the live stream ended with it.
      if (lost) { lost = false; startLive(); loadModels().catch(() => {}); refreshSamples(); refreshInbox(); }
    };
    es.onerror = () => {
      lost = true;
      conn.dataset.state = es.readyState === EventSource.CLOSED ? "closed" : "connecting";
      conn.title = "live updates: reconnecting";
      if (es.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
    };
    es.addEventListener("prediction", (e) => showPrediction(JSON.parse(e.data)));
    es.addEventListener("training", (e) => renderTraining(JSON.parse(e.data)));
    es.addEventListener("model", (e) => { setModel(JSON.parse(e.data)); renderLabelButtons(); loadModels().catch(() => {}); });
    es.addEventListener("sample", () => { refreshLabels(); refreshSamples(); });
    es.addEventListener("inbox", () => refreshInbox());
  }

  // ---- start ------------------------------------------------------------------
  function init() {
    $("add-class-form").addEventListener("submit", addClass);
    $("train-btn").addEventListener("click", startTraining);
    $("cancel-btn").addEventListener("click", cancelTraining);
    $("rollback-btn").addEventListener("click", rollback);
    $("more-samples").addEventListener("click", () => loadSamples(true).catch(fail("samples")));
    $("sample-filter").addEventListener("change", (e) => { state.filter = e.target.value; loadSamples(false).catch(fail("samples")); });
    $("camera-select").addEventListener("change", (e) => { state.camera = e.target.value; state.lastSeq = 0; startLive(); });
    $("token-btn").addEventListener("click", () => askToken());
    $("live-img").addEventListener("load", () => { $("live-none").hidden = true; });
    drawCurves([], 0);
    connect();
    Promise.all([loadStatus(), loadLabels()])
      .then(() => Promise.all([loadModels(), loadInbox(), loadSamples(false), loadLatestRun()]))
      .catch(fail("loading"));
    // Status (camera fps, inbox count) now and then; events carry the rest.
    setInterval(() => { if (!document.hidden) loadStatus().catch(() => {}); }, 5000);
  }

  // The live stream never finishes loading: start it after the page's load
  // event so that the page counts as loaded.
  if (document.readyState === "complete") init();
  else window.addEventListener("load", init, { once: true });
})();
