// Review queue: confirm / reject with the mouse (buttons) or the keyboard. No framework, no
// network beyond this site. Texts come from the page (<script id="texts">, the catalogue).
//   j/k or arrows move; c then Enter confirms; r, 1-9, Enter rejects with a reason;
//   a toggles annotated/clean; v plays the clip; o opens the case; ? shows help; Esc cancels.
(function () {
  "use strict";
  const root = document.querySelector(".queue");
  if (!root) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const list = document.getElementById("queue-items");
  const panel = document.getElementById("panel");
  const bar = document.getElementById("actionbar");
  const confirmBox = document.getElementById("confirm-box");
  const rejectBox = document.getElementById("reject-box");
  const otherInput = document.getElementById("reject-other");
  const toast = document.getElementById("toast");
  const help = document.getElementById("help");
  const countEl = document.getElementById("pending-count");
  const reasons = Array.from(rejectBox.querySelectorAll(".reasons li"));
  const OTHER_KEY = String(reasons.length); // the last reason is "Other (type it)"
  const TEXTS = JSON.parse(document.getElementById("texts").textContent);
  const T = (key, values) =>
    (TEXTS[key] || key).replace(/\{(\w+)\}/g, (m, name) => (values && name in values ? values[name] : m));

  let mode = "browse"; // browse | confirm | reject | busy
  let reasonKey = null;
  let panelRequest = 0;

  const items = () => Array.from(list.querySelectorAll(".queue-item"));
  const current = () => list.querySelector(".queue-item.selected");

  function select(item) {
    items().forEach((el) => el.classList.toggle("selected", el === item));
    if (!item) {
      panel.innerHTML = "";
      const done = document.createElement("p");
      done.className = "empty";
      done.id = "queue-done";
      done.textContent = T("queue.done");
      panel.appendChild(done);
      return;
    }
    item.scrollIntoView({ block: "nearest" });
    loadPanel(item.dataset.caseId);
  }

  async function loadPanel(caseId) {
    const ticket = ++panelRequest;
    panel.classList.add("loading");
    try {
      const res = await fetch(root.dataset.panelUrl + caseId, { credentials: "same-origin" });
      if (ticket !== panelRequest) return; // the reviewer moved on meanwhile
      if (res.ok) panel.innerHTML = await res.text();
      else panel.textContent = T("queue.load_failed", { status: res.status });
      wirePanel();
    } catch (err) {
      if (ticket === panelRequest) panel.textContent = String(err);
    } finally {
      if (ticket === panelRequest) panel.classList.remove("loading");
    }
  }

  function wirePanel() {
    panel.querySelectorAll(".view-btn").forEach((btn) =>
      btn.addEventListener("click", () => showFrame(btn.dataset.show)));
    const overlay = panel.querySelector(".overlay-switch");
    if (overlay) overlay.addEventListener("change", () =>
      panel.querySelector(".frames").classList.toggle("no-overlay", !overlay.checked));
    panel.querySelectorAll("[data-verdict]").forEach((btn) =>
      // the other button switches an open verdict (a mis-click needs no 取消 first)
      btn.addEventListener("click", () => { if (mode !== "busy") openBar(btn.dataset.verdict); }));
  }

  function showFrame(view) {
    const fig = panel.querySelector(".frames");
    if (!fig) return;
    if (!view) view = fig.dataset.view === "annotated" ? "clean" : "annotated";
    if (fig.querySelector(".frame." + view)) fig.dataset.view = view;
  }

  function move(step) {
    const all = items();
    if (!all.length) return;
    const i = all.indexOf(current());
    const next = i < 0 ? 0 : Math.min(all.length - 1, Math.max(0, i + step));
    if (all[next] !== current()) select(all[next]);
  }

  function openBar(kind) {
    const item = current();
    if (!item) return;
    mode = kind;
    reasonKey = null;
    bar.hidden = false;
    confirmBox.hidden = kind !== "confirm";
    rejectBox.hidden = kind !== "reject";
    bar.querySelectorAll(".target").forEach((t) => (t.textContent = item.dataset.number));
    reasons.forEach((li) => li.classList.remove("picked"));
    otherInput.hidden = true;
    otherInput.value = "";
  }

  function closeBar() {
    mode = "browse";
    bar.hidden = true;
    otherInput.blur();
  }

  function pickReason(key) {
    const li = reasons.find((r) => r.dataset.key === key);
    if (!li) return;
    reasonKey = key;
    reasons.forEach((r) => r.classList.toggle("picked", r === li));
    otherInput.hidden = key !== OTHER_KEY;
    if (key === OTHER_KEY) otherInput.focus(); // the digit's keydown is prevented: not typed
  }

  function reasonText() {
    if (!reasonKey) return "";
    if (reasonKey === OTHER_KEY) return otherInput.value.trim();
    return reasons.find((r) => r.dataset.key === reasonKey).dataset.reason;
  }

  function say(text, kind) {
    toast.textContent = text;
    toast.className = "toast " + (kind || "ok");
    toast.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(() => (toast.hidden = true), 4000);
  }

  async function submit() {
    const item = current();
    if (!item) return;
    const verdict = mode;
    const reason = verdict === "reject" ? reasonText() : "";
    if (verdict === "reject" && !reason) {
      say(T(reasonKey === OTHER_KEY ? "queue.type_reason" : "queue.pick_reason"), "error");
      return;
    }
    mode = "busy";
    try {
      const res = await fetch(root.dataset.reviewUrl + item.dataset.caseId + "/review", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ verdict: verdict, reason: reason }),
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) {
        say(`${item.dataset.number}: ${body.detail || res.status}`, "error");
        if (body.state && body.state !== "pending_review") finish(item); // reviewed elsewhere
        closeBar();
        return;
      }
      const fallback = verdict === "confirm" ? T("queue.confirmed", { number: item.dataset.number })
        : T("queue.rejected", { number: item.dataset.number });
      say(body.summary || fallback, "ok");
      finish(item);
      closeBar();
    } catch (err) {
      say(String(err), "error");
      closeBar();
    }
  }

  function finish(item) {
    const all = items();
    const i = all.indexOf(item);
    item.remove();
    const rest = items();
    const left = Math.max(0, Number(countEl.textContent) - 1);
    countEl.textContent = String(left);
    if (!rest.length && left > 0) {
      window.location.reload(); // this page is done; fetch the next oldest alerts
      return;
    }
    select(rest[Math.min(i, rest.length - 1)] || null);
  }

  reasons.forEach((li) => li.querySelector("button").addEventListener("click", () => {
    if (mode === "reject") pickReason(li.dataset.key);
  }));
  document.getElementById("submit-confirm").addEventListener("click", () => {
    if (mode === "confirm") submit();
  });
  document.getElementById("submit-reject").addEventListener("click", () => {
    if (mode === "reject") submit();
  });
  bar.querySelectorAll(".cancel-verdict").forEach((b) => b.addEventListener("click", closeBar));

  list.addEventListener("click", (ev) => {
    const item = ev.target.closest(".queue-item");
    if (item && mode === "browse") select(item);
  });

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (help.open) {
      if (ev.key === "Escape") help.close();
      return;
    }
    const typing = document.activeElement === otherInput;
    if (mode === "busy") {
      ev.preventDefault();
      return;
    }
    if (ev.key === "Escape") {
      closeBar();
      return;
    }
    if (typing) {
      if (ev.key === "Enter") {
        ev.preventDefault();
        submit();
      }
      return;
    }
    if (mode === "confirm" || mode === "reject") {
      if (ev.key === "Enter") {
        ev.preventDefault();
        submit();
      } else if (mode === "reject" && /^[1-9]$/.test(ev.key)) {
        ev.preventDefault();
        pickReason(ev.key);
      }
      return; // other keys do nothing while a verdict is open (Esc cancels it)
    }
    const handled = {
      j: () => move(1),
      ArrowDown: () => move(1),
      k: () => move(-1),
      ArrowUp: () => move(-1),
      c: () => openBar("confirm"),
      r: () => openBar("reject"),
      a: () => showFrame(null),
      v: () => {
        const clip = panel.querySelector("video");
        if (clip) clip.paused ? clip.play() : clip.pause();
      },
      o: () => {
        const item = current();
        if (item) window.location.href = root.dataset.caseUrl + item.dataset.caseId;
      },
      "?": () => help.showModal(),
    }[ev.key];
    if (handled) {
      ev.preventDefault();
      handled();
    }
  });

  const first = items()[0];
  if (first) select(first);
})();
