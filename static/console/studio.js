// Live preview for the template studio: posts the unsaved fields, shows the rendered message,
// the SMS numbers and the errors as the editor types (debounced).
(function () {
  const form = document.getElementById("studio-form");
  if (!form) return;
  const set = (id, text) => { const el = document.getElementById(id); if (el) el.textContent = text; };
  let timer = null;
  async function refresh() {
    const data = new FormData(form);
    const response = await fetch(form.dataset.previewUrl, {method: "POST", body: data, credentials: "same-origin"});
    if (!response.ok) return;
    const p = await response.json();
    set("preview-subject", p.rendered.subject);
    set("preview-body", p.rendered.body_text);
    if (p.email_html !== undefined) {
      ["frame-desktop", "frame-phone"].forEach((id) => { const f = document.getElementById(id); if (f) f.srcdoc = p.email_html; });
    }
    if (p.sms) {
      set("sms-characters", p.sms.characters); set("sms-encoding", p.sms.encoding); set("sms-segments", p.sms.segments);
      set("sms-forced", p.sms.ucs2_forced_by.join(" ") || "-");
      set("sms-cost", p.sms.estimated_cost ? "$" + p.sms.estimated_cost + " (" + p.sms.priced_as + ")" : "-");
    }
    form.querySelectorAll("ul.errorlist[id^=errors-]").forEach((ul) => {
      const list = p.errors[ul.id.slice(7)] || [];
      ul.replaceChildren(...list.map((text) => { const li = document.createElement("li"); li.textContent = text; return li; }));
    });
    document.body.dataset.previewRefreshed = String(Number(document.body.dataset.previewRefreshed || 0) + 1);
  }
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 250); });
})();
