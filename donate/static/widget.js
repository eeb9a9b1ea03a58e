/* The widget's pages: amount picker and live total, checkout in a new tab, waiting states,
   and the thank-you page that reports back. Money is integer minor units throughout. */
(() => {
  "use strict";
  const byId = (id) => document.getElementById(id);
  /* Every sentence comes from the page, in the reader's language (donate/widget/messages.py). */
  const MESSAGES = JSON.parse((byId("messages") || {}).textContent || "{}");
  const say_ = (key, amount = "") => (MESSAGES[key] || key).replace("{amount}", amount);
  const ENDINGS = { failed: say_("failed"), cancelled: say_("cancelled") };
  const LANG = document.documentElement.lang || "en";

  /* Tell the embedding page how tall we are (height only), once per frame at most. */
  function reportHeight() {
    if (window.parent === window) return;
    let last = 0;
    let queued = false;
    const send = () => {
      queued = false;
      const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height === last) return;
      last = height;
      // the title names the frame for screen readers, in the widget's language
      window.parent.postMessage({ type: "donate:resize", height, title: document.title }, "*");
    };
    send();
    if (!window.ResizeObserver) return;
    new ResizeObserver(() => {
      if (!queued) {
        queued = true;
        requestAnimationFrame(send);
      }
    }).observe(document.documentElement);
  }

  /* ---- money, in integer minor units ---- */
  const idiv = (a, b) => (a - (a % b)) / b;
  const unitOf = (currency) => 10 ** currency.decimals;

  function toMinor(text, currency) {
    const match = /^\s*(\d{1,9})(?:[.,](\d+))?\s*$/.exec(text);
    const fraction = (match && match[2]) || "";
    if (!match || fraction.length > currency.decimals) return null;
    return Number(match[1]) * unitOf(currency) + Number(fraction.padEnd(currency.decimals, "0"));
  }

  /* As the reader's locale writes money ("$1,025.50", "1.025,50 $"). Intl gets the amount as
     an exact decimal string, never a float; whole amounts (presets) are shown without cents. */
  function format(minor, currency, whole = false) {
    const unit = unitOf(currency);
    const cents = currency.decimals ? "." + String(minor % unit).padStart(currency.decimals, "0") : "";
    const digits = whole ? 0 : currency.decimals;
    return new Intl.NumberFormat(LANG, {
      style: "currency", currency: currency.code, minimumFractionDigits: digits, maximumFractionDigits: digits,
    }).format(idiv(minor, unit) + cents);
  }

  /* The smallest charge whose net after the fee rule [percent text, fixed minor] is `amount`. */
  function grossUp(amount, [percent, fixed]) {
    const [whole, fraction = ""] = String(percent).split(".");
    const rate = Number(whole + fraction);
    const scale = 100 * 10 ** fraction.length; // fee = round_half_up(charge * rate / scale) + fixed
    if (!(rate < scale)) return amount;
    const fee = (charge) => idiv(2 * charge * rate + scale, 2 * scale) + fixed;
    // the fee is rounded, so start just below the exact solution and step up (as donate/money.py)
    let charge = Math.max(amount, idiv((amount + fixed - 1) * scale, scale - rate));
    while (charge - fee(charge) < amount) charge += 1;
    return charge;
  }

  /* Polls a donation's status until it is no longer pending: 2 s, 5 s after a minute, 30 min max. */
  function poll(url, { onFinal, onPending = () => {}, onGiveUp }) {
    const started = Date.now();
    let timer = 0;
    let busy = false;
    let stopped = false;
    const next = () => {
      const elapsed = Date.now() - started;
      if (stopped) return;
      if (elapsed > 30 * 60 * 1000) onGiveUp();
      else timer = setTimeout(check, elapsed < 60 * 1000 ? 2000 : 5000);
    };
    const check = () => {
      clearTimeout(timer);
      if (busy || stopped) return;
      busy = true;
      fetch(url, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "omit" })
        .then((response) => (response.ok ? response.json() : null))
        .catch(() => null)
        .then((donation) => {
          busy = false;
          if (stopped) return;
          if (donation && donation.status && donation.status !== "pending") {
            stopped = true;
            onFinal(donation);
          } else {
            onPending();
            next();
          }
        });
    };
    next();
    return { now: check, stop: () => { stopped = true; clearTimeout(timer); } };
  }

  /* ---- the widget (slider or quick) ---- */
  function widgetPage() {
    const form = document.querySelector("form[data-donate]");
    if (!form) return;
    const status = byId("status");
    const again = byId("again");
    const problem = byId("problem");
    let key = null; // Idempotency-Key of the current attempt; a changed form is a new attempt
    let tab = null;
    let waiting = null; // { id, poller }
    let warnedClosed = false;

    for (const element of document.querySelectorAll("[data-js]")) element.hidden = false;
    const picker = amountPicker(form);
    for (const type of ["input", "change"]) {
      form.addEventListener(type, (event) => { key = null; picker.onEdit(event); });
    }
    if (window.top === window) focusFirstInvalid();

    form.addEventListener("submit", (event) => {
      if (waiting) { event.preventDefault(); return; }
      const opened = window.open("", "_blank");
      if (!opened) return; // popup blocked: the plain form posts to _top
      event.preventDefault();
      tab = opened;
      try { tab.document.title = say_("opening"); } catch (ignored) { /* not ours */ }
      clearErrors();
      key = key || newKey();
      const body = JSON.stringify(Object.fromEntries(new FormData(form)));
      setBusy(true);
      say(say_("opening"));
      fetch(form.action, {
        method: "POST",
        credentials: "omit",
        headers: { Accept: "application/json", "Content-Type": "application/json", "Idempotency-Key": key },
        body,
      }).then(
        (response) => response.json().catch(() => ({})).then((answer) => answered(response.status, answer)),
        () => refused(say_("offline")), // the same key is kept: a retry returns the first answer
      );
    });

    function answered(code, answer) {
      if (!(code >= 500 && code !== 502)) key = null;
      if (code === 201 && answer.id && answer.redirect_url) return startWaiting(answer);
      if (code === 422 && answer.errors) refused("", answer.errors);
      else refused(answer.error || say_("generic"));
    }

    function refused(message, errors) {
      closeTab();
      setBusy(false);
      say("");
      if (errors) showErrors(errors);
      else showProblem([message]);
    }

    function waitingText() {
      const chosen = form.querySelector('input[name="provider"]:checked') ||
        form.querySelector('input[name="provider"]');
      return say_(chosen && chosen.value === "paypal" ? "waiting_paypal" : "waiting");
    }

    function startWaiting(answer) {
      if (tab && !tab.closed) {
        tab.location.href = answer.redirect_url;
        say(waitingText());
      } else {
        const link = document.createElement("a");
        link.href = answer.redirect_url;
        link.target = "_blank";
        link.textContent = say_("open_page");
        say("");
        status.append(waitingText() + " ", link);
      }
      const url = form.dataset.statusUrl.replace("__id__", encodeURIComponent(answer.id));
      waiting = {
        id: answer.id,
        poller: poll(url, { onFinal: finish, onPending: checkTab, onGiveUp: () => end(say_("slow"), "") }),
      };
    }

    function checkTab() {
      if (warnedClosed || !tab || !tab.closed) return;
      warnedClosed = true;
      say(waitingText() + " " + say_("tab_closed"));
      again.hidden = false;
    }

    window.addEventListener("message", (event) => {
      const data = event.data;
      if (event.origin !== location.origin || !waiting || event.source !== tab) return;
      if (!data || data.type !== "donate:returned" || data.id !== waiting.id) return;
      if (data.cancelled) {
        warnedClosed = true;
        say(ENDINGS.cancelled, "bad");
        again.hidden = false;
      } else {
        say(say_("validating"));
      }
      waiting.poller.now();
    });

    function finish(donation) {
      if (donation.status === "completed") {
        waiting = null;
        again.hidden = true;
        const key = donation.frequency === "monthly" ? "thanks_monthly" : "thanks_once";
        say(say_(key, donation.charged_display), "ok"); // formatted in the language given in
      } else {
        end(ENDINGS[donation.status] || say_("status_" + donation.status), "bad");
      }
    }

    function end(message, tone) {
      waiting = null;
      say(message, tone);
      again.hidden = false;
      if (!form.contains(document.activeElement)) again.focus();
    }

    again.addEventListener("click", () => {
      if (waiting) waiting.poller.stop();
      waiting = null;
      warnedClosed = false;
      key = null;
      closeTab();
      again.hidden = true;
      say("");
      setBusy(false);
      form.querySelector("[type=submit]").focus();
    });

    function closeTab() {
      if (tab && !tab.closed) tab.close();
      tab = null;
    }

    function setBusy(on) {
      form.setAttribute("aria-busy", String(on));
      for (const element of form.elements) {
        if (element.tagName !== "FIELDSET") element.disabled = on || element.hasAttribute("data-off");
      }
    }

    function say(message, tone = "") {
      status.textContent = message;
      status.dataset.tone = tone;
    }

    function showProblem(messages) {
      problem.replaceChildren(...messages.filter(Boolean).map((text) => {
        const paragraph = document.createElement("p");
        paragraph.textContent = text;
        return paragraph;
      }));
    }

    function clearErrors() {
      for (const slot of form.querySelectorAll(".err")) slot.textContent = "";
      for (const element of form.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
      showProblem([]);
    }

    function showErrors(errors) {
      const general = [];
      for (const [field, message] of Object.entries(errors)) {
        const slot = byId("err-" + field);
        const control = form.elements[field];
        if (!slot || !control) { general.push(message); continue; }
        slot.textContent = message;
        for (const element of control instanceof RadioNodeList ? control : [control]) {
          element.setAttribute("aria-invalid", "true");
        }
      }
      if (errors.source) form.elements.source.value = ""; // the host page's address; not the reader's to fix
      showProblem(general);
      focusFirstInvalid();
    }

    function focusFirstInvalid() {
      const first = [...form.elements].find((element) =>
        element.getAttribute("aria-invalid") === "true" && element.type !== "hidden");
      if (first) first.focus();
    }
  }

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)),
      (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  /* The slider variant's amount field, slider, presets, currency label and live total. */
  function amountPicker(form) {
    const amount = form.elements.amount;
    const range = byId("amount-range");
    const total = byId("total");
    if (!range || !amount) return { onEdit: () => {} };
    const presets = [...document.querySelectorAll("[data-preset]")];
    const feesBlock = byId("fees");
    const fees = feesBlock ? JSON.parse(feesBlock.textContent) : {};
    for (const preset of presets) {
      preset.addEventListener("click", () => {
        amount.value = preset.dataset.preset;
        amount.dispatchEvent(new Event("input", { bubbles: true }));
      });
    }

    const currency = () => {
      const chosen = form.querySelector("input[name=currency]:checked") || form.querySelector("input[name=currency]");
      const data = chosen.dataset;
      return { code: chosen.value, symbol: data.symbol, decimals: +data.decimals, min: +data.min, max: +data.max };
    };

    function refresh() {
      const cur = currency();
      const minor = toMinor(amount.value, cur);
      const unit = unitOf(cur);
      byId("amount-currency").textContent = cur.symbol === cur.code ? cur.code : cur.code + cur.symbol;
      amount.pattern = cur.decimals ? `\\d+([.,]\\d{1,${cur.decimals}})?` : "\\d+";
      let tooFar = "";
      if (minor !== null && minor < cur.min) tooFar = say_("smallest", format(cur.min, cur));
      if (minor !== null && minor > cur.max) tooFar = say_("largest", format(cur.max, cur));
      amount.setCustomValidity(tooFar);
      for (const preset of presets) {
        preset.textContent = format(preset.dataset.preset * unit, cur, true);
        preset.setAttribute("aria-pressed", String(minor === preset.dataset.preset * unit));
      }
      if (minor !== null) {
        range.value = String(idiv(minor, unit));
        range.setAttribute("aria-valuetext", format(minor, cur));
      }
      const email = form.elements.email;
      if (email && form.elements.newsletter) email.required = form.elements.newsletter.checked;
      showTotal(cur, tooFar ? null : minor);
    }

    function showTotal(cur, minor) {
      if (!total) return;
      if (minor === null) { total.textContent = ""; return; }
      const provider = form.elements.provider ? form.elements.provider.value : "";
      const rule = form.elements.cover_fees.checked && (fees[provider] || {})[cur.code];
      const charged = rule ? grossUp(minor, rule) : minor;
      const monthly = form.elements.frequency.value === "monthly";
      total.textContent = say_(monthly ? "total_monthly" : "total_once", format(charged, cur));
    }

    refresh();
    return {
      onEdit(event) {
        if (event.target === range) amount.value = range.value;
        refresh();
      },
    };
  }

  /* ---- the thank-you page: tell the widget we are back, then wait for the ledger's word ---- */
  function thanksPage() {
    const data = document.body.dataset;
    const status = byId("status");
    const cancelled = data.cancelled === "1";
    if (window.opener) {
      try {
        window.opener.postMessage({ type: "donate:returned", id: data.id, cancelled }, location.origin);
      } catch (ignored) { /* the opener went elsewhere */ }
    }
    if (data.status !== "pending" || cancelled) return offerClose();
    poll(data.statusUrl, {
      onFinal: (donation) => { show(donation.status); offerClose(); },
      onGiveUp: () => show("slow"),
    });

    function show(state) {
      const template = document.querySelector(`template[data-message="${state}"]`);
      if (template) status.replaceChildren(template.content.cloneNode(true));
      else status.textContent = say_("status_" + state);
      status.dataset.tone = state === "completed" ? "ok" : state in ENDINGS ? "bad" : "";
    }

    function offerClose() {
      if (window.opener) byId("close-hint").hidden = false;
    }
  }

  /* ---- the newsletter variant: sign up without leaving the publisher's page ---- */
  function newsletterPage() {
    const form = document.querySelector("form[data-newsletter]");
    const email = form.elements.email;
    const slot = byId("err-email");
    const status = byId("status");
    const button = form.querySelector("[type=submit]");
    const say = (message, tone = "") => { status.textContent = message; status.dataset.tone = tone; };

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      slot.textContent = "";
      email.removeAttribute("aria-invalid");
      say("");
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        credentials: "omit",
        headers: { Accept: "application/json", "Content-Type": "application/json" },
        body: JSON.stringify(Object.fromEntries(new FormData(form))),
      }).then(
        (response) => response.json().catch(() => ({})).then((answer) => answered(response.status, answer)),
        () => say(say_("offline"), "bad"),
      ).then(() => { button.disabled = false; });
    });

    function answered(code, answer) {
      if (code === 202) {
        form.reset();
        say(answer.message, "ok");
      } else if (code === 422 && answer.errors) {
        slot.textContent = answer.errors.email || Object.values(answer.errors).join(" ");
        email.setAttribute("aria-invalid", "true");
        email.focus();
      } else {
        say(answer.error || say_("retry"), "bad");
      }
    }
  }

  reportHeight();
  if (document.body.dataset.page === "thanks") thanksPage();
  else if (document.body.dataset.page === "newsletter") newsletterPage();
  else widgetPage();
})();
