// Zone editor: draw frontage polygons on the camera's latest frame, bind each to a merchant,
// save, then watch for the edge node's acknowledgement. Coordinates are relative (0..1).
// Also shows the camera's ignore regions (dashed, with the rejected alert's id; removable) and
// sets its scene reference (now, or HH:MM today/tomorrow).
(function () {
  "use strict";
  const root = document.getElementById("zone-editor");
  if (!root) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const canvas = document.getElementById("zone-canvas");
  const g = canvas.getContext("2d");
  const listEl = document.getElementById("zone-list");
  const statusEl = document.getElementById("push-status");
  const COLOURS = ["#e53e3e", "#3182ce", "#38a169", "#d69e2e", "#805ad5", "#dd6b20", "#319795"];
  const HANDLE = 7; // px on the canvas

  const TEXTS = JSON.parse(document.getElementById("texts").textContent);
  const T = (key, values) =>
    (TEXTS[key] || key).replace(/\{(\w+)\}/g, (m, name) => (values && name in values ? values[name] : m));
  const merchantNames = JSON.parse(document.getElementById("merchant-names").textContent);
  let zones = JSON.parse(document.getElementById("zones-data").textContent);
  let masks = JSON.parse(document.getElementById("masks-data").textContent);
  const maskList = document.getElementById("mask-list");
  const referenceEl = document.getElementById("reference-status");
  let selected = zones.length ? 0 : -1;
  let drawing = null; // points of the polygon being drawn
  let dragging = null; // {zone, vertex}
  let hover = null;
  let frame = null;

  const colour = (i) => COLOURS[i % COLOURS.length];
  const rel = (ev) => {
    const r = canvas.getBoundingClientRect();
    const x = (ev.clientX - r.left) / r.width;
    const y = (ev.clientY - r.top) / r.height;
    return [Math.min(1, Math.max(0, +x.toFixed(4))), Math.min(1, Math.max(0, +y.toFixed(4)))];
  };
  const px = ([x, y]) => [x * canvas.width, y * canvas.height];

  function nextCode() {
    const used = new Set(zones.map((z) => z.code));
    for (let i = 1; ; i++) if (!used.has("z" + i)) return "z" + i;
  }

  function draw() {
    g.clearRect(0, 0, canvas.width, canvas.height);
    if (frame) g.drawImage(frame, 0, 0, canvas.width, canvas.height);
    else {
      g.fillStyle = "#2d3748";
      g.fillRect(0, 0, canvas.width, canvas.height);
      g.fillStyle = "#a0aec0";
      g.font = "28px sans-serif";
      g.fillText(T("editor.no_frame_canvas"), 40, 60);
    }
    zones.forEach((z, i) => {
      const c = colour(i);
      g.beginPath();
      z.polygon.forEach((p, j) => (j ? g.lineTo(...px(p)) : g.moveTo(...px(p))));
      g.closePath();
      g.fillStyle = c + (i === selected ? "55" : "33");
      g.fill();
      g.lineWidth = i === selected ? 4 : 2;
      g.strokeStyle = c;
      g.stroke();
      if (i === selected) {
        z.polygon.forEach((p) => {
          g.fillStyle = "#fff";
          g.fillRect(px(p)[0] - HANDLE, px(p)[1] - HANDLE, HANDLE * 2, HANDLE * 2);
          g.strokeRect(px(p)[0] - HANDLE, px(p)[1] - HANDLE, HANDLE * 2, HANDLE * 2);
        });
      }
      if (i === selected || zones.length <= 6) { // many narrow zones: label the selected one
        const [lx, ly] = px(z.polygon[0]);
        g.font = `bold ${Math.max(12, Math.round(canvas.width / 55))}px sans-serif`;
        g.fillStyle = c;
        g.fillText(`${z.name || z.code} ${z.shop_id || T("editor.no_merchant")}`, lx + 6, ly - 8);
      }
    });
    drawMasks();
    if (drawing) {
      g.beginPath();
      drawing.forEach((p, j) => (j ? g.lineTo(...px(p)) : g.moveTo(...px(p))));
      if (hover) g.lineTo(...px(hover));
      g.strokeStyle = "#fefcbf";
      g.lineWidth = 3;
      g.setLineDash([10, 6]);
      g.stroke();
      g.setLineDash([]);
      drawing.forEach((p) => {
        g.fillStyle = "#fefcbf";
        g.beginPath();
        g.arc(...px(p), 6, 0, Math.PI * 2);
        g.fill();
      });
    }
  }

  function drawMasks() {
    g.save();
    g.setLineDash([12, 8]);
    g.lineWidth = 3;
    g.strokeStyle = "#f6e05e";
    g.fillStyle = "#f6e05e";
    g.font = `bold ${Math.max(12, Math.round(canvas.width / 60))}px sans-serif`;
    masks.forEach((m) => {
      const [x1, y1] = px([m.box[0], m.box[1]]);
      const [x2, y2] = px([m.box[2], m.box[3]]);
      g.strokeRect(x1, y1, x2 - x1, y2 - y1);
      g.fillText(`${m.code} ${m.alert_id || ""}`, x1 + 4, Math.max(y1 - 6, 14));
    });
    g.restore();
  }

  function renderMasks() {
    maskList.innerHTML = "";
    document.getElementById("no-masks").hidden = masks.length > 0;
    masks.forEach((m) => {
      const li = document.createElement("li");
      li.dataset.code = m.code;
      const text = document.createElement("span");
      text.textContent = `${m.code} · ${T("editor.mask_alert")} ${m.alert_id || "-"} · ${m.created_by}, ${m.created_at}`;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "remove-mask";
      button.textContent = T("editor.remove");
      button.addEventListener("click", () => removeMask(m.code));
      li.append(text, button);
      maskList.appendChild(li);
    });
  }

  async function post(url, body) {
    const res = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    });
    const answer = await res.json().catch(() => ({}));
    return { ok: res.ok, status: res.status, body: answer };
  }

  async function removeMask(code) {
    const base = document.getElementById("masks").dataset.removeUrl;
    const r = await post(`${base}/${encodeURIComponent(code)}/remove`);
    if (!r.ok) { status(r.body.detail || T("editor.remove_failed", { status: r.status }), "refused"); return; }
    masks = masks.filter((m) => m.code !== code);
    renderMasks();
    draw();
    status(T("editor.mask_removed", { code: code, revision: r.body.revision }));
    poll(r.body.revision, 0);
  }

  async function setReference(body) {
    const r = await post(document.getElementById("reference").dataset.url, body);
    if (!r.ok) { referenceEl.textContent = r.body.detail || T("editor.failed", { status: r.status }); return; }
    referenceEl.textContent = r.body.reference;
    status(T("editor.pushed", { revision: r.body.revision }));
    poll(r.body.revision, 0);
  }

  document.getElementById("reference-now").addEventListener("click", () => setReference({ when: "now" }));
  document.getElementById("reference-clear").addEventListener("click", () => setReference({ when: "clear" }));
  document.getElementById("reference-at").addEventListener("click", () => setReference({
    when: "at",
    time: document.getElementById("reference-time").value,
    day: document.getElementById("reference-day").value,
  }));

  function renderList() {
    listEl.innerHTML = "";
    zones.forEach((z, i) => {
      const li = document.createElement("li");
      li.style.borderLeftColor = colour(i);
      li.className = i === selected ? "selected" : "";
      li.dataset.code = z.code;
      li.innerHTML = `
        <strong>${z.code}</strong>
        <label><span class="t-merchant"></span> <input class="shop" list="merchants" required></label>
        <label><span class="t-name"></span> <input class="name"></label>
        <label><span class="t-dwell"></span> <input class="dwell" type="number" min="1" step="1"></label>
        <button type="button" class="remove"></button>`;
      li.querySelector(".t-merchant").textContent = T("editor.merchant");
      li.querySelector(".t-name").textContent = T("editor.name");
      li.querySelector(".t-dwell").textContent = T("editor.dwell");
      li.querySelector(".remove").textContent = T("editor.remove");
      li.querySelector(".shop").value = z.shop_id || "";
      li.querySelector(".name").value = z.name || "";
      li.querySelector(".dwell").value = (z.rules && z.rules.dwell_seconds) || 300;
      li.querySelector(".shop").addEventListener("input", (e) => {
        z.shop_id = e.target.value.trim();
        if (z.autoName) { // a new zone is named after its shop until someone types a name
          z.name = T("editor.new_zone_name", { shop: merchantNames[z.shop_id] || z.shop_id });
          li.querySelector(".name").value = z.name;
        }
        draw();
      });
      li.querySelector(".name").addEventListener("input", (e) => { z.name = e.target.value; z.autoName = false; draw(); });
      li.querySelector(".dwell").addEventListener("input", (e) => {
        z.rules = Object.assign({}, z.rules, { dwell_seconds: Number(e.target.value) });
      });
      li.querySelector(".remove").addEventListener("click", () => remove(i));
      li.addEventListener("focusin", () => { if (selected !== i) { selected = i; draw(); mark(); } });
      listEl.appendChild(li);
    });
  }

  function mark() {
    Array.from(listEl.children).forEach((li, i) => li.classList.toggle("selected", i === selected));
  }

  function remove(i) {
    zones.splice(i, 1);
    selected = Math.min(selected, zones.length - 1);
    renderList();
    draw();
  }

  function startDrawing() {
    drawing = [];
    canvas.focus();
    status(T("editor.draw_hint"));
  }

  function finishDrawing() {
    if (!drawing) return;
    if (drawing.length < 3) {
      status(T("editor.need_corners"), "refused");
      return;
    }
    const code = nextCode();
    zones.push({
      code: code, name: T("editor.new_zone_name", { shop: code }), autoName: true, shop_id: "",
      polygon: drawing, rules: { dwell_seconds: 300 },
    });
    drawing = null;
    selected = zones.length - 1;
    renderList();
    draw();
    const input = listEl.lastElementChild.querySelector(".shop");
    input.focus({ preventScroll: true });
    listEl.lastElementChild.scrollIntoView({ block: "nearest" });
    status(T("editor.bind"));
  }

  function inside(p, poly) {
    let hit = false;
    for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      const [xi, yi] = poly[i], [xj, yj] = poly[j];
      if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) hit = !hit;
    }
    return hit;
  }

  function vertexAt(p) {
    if (selected < 0) return null;
    const r = canvas.getBoundingClientRect();
    const tol = (HANDLE * 2) / canvas.width * (canvas.width / r.width);
    const idx = zones[selected].polygon.findIndex(
      (v) => Math.abs(v[0] - p[0]) < tol && Math.abs(v[1] - p[1]) < tol * (canvas.width / canvas.height));
    return idx >= 0 ? idx : null;
  }

  canvas.addEventListener("mousedown", (ev) => {
    const p = rel(ev);
    if (drawing) return;
    const v = vertexAt(p);
    if (v !== null) { dragging = { zone: selected, vertex: v }; return; }
    const hit = zones.findIndex((z) => inside(p, z.polygon));
    if (hit >= 0) { selected = hit; mark(); draw(); }
  });
  canvas.addEventListener("mousemove", (ev) => {
    const p = rel(ev);
    if (dragging) { zones[dragging.zone].polygon[dragging.vertex] = p; draw(); }
    else if (drawing) { hover = p; draw(); }
  });
  window.addEventListener("mouseup", () => (dragging = null));
  canvas.addEventListener("click", (ev) => {
    if (!drawing) return;
    if (ev.detail > 1) return; // part of a double-click
    drawing.push(rel(ev));
    draw();
  });
  canvas.addEventListener("dblclick", (ev) => {
    if (!drawing) return;
    ev.preventDefault();
    finishDrawing();
  });

  document.addEventListener("keydown", (ev) => {
    const typing = /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName);
    if (ev.key === "Escape") { drawing = null; hover = null; draw(); return; }
    if (typing) return;
    if (ev.key === "n") { ev.preventDefault(); startDrawing(); }
    else if (ev.key === "Enter" && drawing) { ev.preventDefault(); finishDrawing(); }
    else if ((ev.key === "Delete" || ev.key === "Backspace") && selected >= 0 && !drawing) {
      ev.preventDefault();
      remove(selected);
    }
  });
  document.getElementById("new-zone").addEventListener("click", startDrawing);
  document.getElementById("save-zones").addEventListener("click", save);

  function status(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "push-status " + (kind || "");
  }

  async function save() {
    const missing = zones.find((z) => !z.shop_id);
    if (missing) { status(T("editor.missing_merchant", { code: missing.code }), "refused"); return; }
    status(T("editor.saving"));
    const res = await fetch(root.dataset.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ zones: zones.map(({ autoName, ...zone }) => zone) }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { status(body.detail || T("editor.save_failed", { status: res.status }), "refused"); return; }
    status(T("editor.saved", { revision: body.revision, node: body.node }));
    poll(body.revision, 0);
  }

  async function poll(revision, tries) {
    const res = await fetch(root.dataset.statusUrl, { credentials: "same-origin" });
    const s = await res.json().catch(() => ({}));
    if (s.reference) referenceEl.textContent = s.reference;
    if (s.revision === revision && s.ack_accepted !== null && s.ack_accepted !== undefined) {
      if (s.ack_accepted) status(T("editor.applied", { node: s.node, revision: revision }), "accepted");
      else status(T("editor.refused", { node: s.node, revision: revision, reason: s.ack_reason }), "refused");
      return;
    }
    if (tries < 120) setTimeout(() => poll(revision, tries + 1), 1000);
    else status(T("editor.no_answer", { revision: revision }));
  }

  const url = root.dataset.frameUrl;
  if (url) {
    const img = new Image();
    img.onload = () => {
      frame = img;
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      draw();
    };
    img.src = url;
  }
  renderList();
  renderMasks();
  draw();
})();
