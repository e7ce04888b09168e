// Rating page, scoring: the deduction checklist, the guideline's exact suggestion, one score per dimension (none
// chosen until the rater acts), the one-line reason, and the protocol's minimum viewing time before scoring opens.
// Part of the rating page (rate.js wires the parts).
(function () {
  "use strict";
  window.moslabRate = window.moslabRate || {};

  window.moslabRate.createScoring = function ({ $, form, protocol, onUnlock }) {
    // one score per dimension; a single-score protocol has one unnamed dimension ""
    const dims = protocol.dimensions.length ? protocol.dimensions.map((d) => d.name) : [""];
    const labels = Object.fromEntries(protocol.dimensions.map((d) => [d.name, d.label]));
    const inputName = (name) => (name ? "score-" + name : "score");
    const sliderId = (name) => (name ? "slider-" + name : "slider");
    const outputId = (name) => (name ? "slider-value-" + name : "slider-value");
    const minViewingMs = (protocol.min_viewing_seconds || 0) * 1000;
    let chosen = {};   // dimension -> score; unset until the rater chooses (nothing is pre-selected)
    let active = 0;    // the dimension that keys 1-5 score
    let shownAt = null;  // when the item became ratable (an image drawn; a video's first play ended)
    let viewingTimer = null;

    function deductions() {
      const result = {};
      protocol.aspects.forEach((aspect) => {
        const input = form.querySelector('input[name="aspect-' + aspect.key + '"]:checked');
        result[aspect.key] = input ? input.value : "none";
      });
      return result;
    }
    const suggested = () => window.moslabSuggestedScore(protocol, deductions());
    const scoreOf = (name) => (chosen[name] === undefined ? null : chosen[name]);
    const missing = () => dims.filter((name) => scoreOf(name) === null);
    const needsReason = () => scoreOf(dims[0]) !== null && window.moslabNeedsReason(protocol, deductions(), scoreOf(dims[0]));

    function refresh() {
      $("suggested").textContent = String(suggested());
      dims.forEach((name, index) => {
        const value = scoreOf(name);
        form.querySelectorAll('input[name="' + inputName(name) + '"][type=radio]').forEach((input) => {
          input.checked = value !== null && Number(input.value) === value;
        });
        const slider = $(sliderId(name));
        if (slider) {
          if (value !== null) slider.value = value;
          slider.classList.toggle("unset", value === null);
          $(outputId(name)).textContent = value === null ? "\u2014" : value;
        }
        const group = name ? form.querySelector('[data-dimension="' + name + '"]') : null;
        if (group) group.classList.toggle("active", index === active);
      });
      $("reason-row").hidden = !needsReason();
      $("submit").disabled = missing().length > 0;
      $("choose-hint").hidden = missing().length === 0;
    }

    function cycleAspect(aspect) {
      const inputs = Array.from(form.querySelectorAll('input[name="aspect-' + aspect.key + '"]'));
      const index = inputs.findIndex((input) => input.checked);
      inputs[(index + 1) % inputs.length].checked = true;
      refresh();
    }

    function choose(input) {
      const name = input.name === "score" ? "" : (input.name.startsWith("score-") ? input.name.slice(6) : null);
      if (name === null || !dims.includes(name)) return;
      chosen[name] = Number(input.value);
      active = dims.indexOf(name);
    }

    function key(number) {  // keys 1-5 on an ACR scale: score the highlighted dimension, move to the next
      chosen[dims[active]] = number;
      if (active < dims.length - 1) active += 1;
      refresh();
    }

    function reset() {
      protocol.aspects.forEach((aspect) => {
        form.querySelector('input[name="aspect-' + aspect.key + '"][value="none"]').checked = true;
      });
      chosen = {};
      active = 0;
      shownAt = null;
      clearTimeout(viewingTimer);
      if (document.activeElement === $("reason")) $("reason").blur();  // keys go to the checklist again
      $("reason").value = "";
      $("form-error").hidden = true;
      $("viewing-note").hidden = true;
      refresh();
    }

    // the item is on screen and may be looked at: scoring opens after the protocol's minimum viewing time
    function startViewing() {
      shownAt = performance.now();
      clearTimeout(viewingTimer);
      const tick = () => {
        const left = minViewingMs - (performance.now() - shownAt);
        $("viewing-note").hidden = left <= 0;
        if (left <= 0) { onUnlock(); return; }
        $("viewing-left").textContent = Math.ceil(left / 1000);
        viewingTimer = setTimeout(tick, Math.min(left, 250));
      };
      tick();
    }
    const viewing = () => shownAt === null || performance.now() - shownAt < minViewingMs;

    // why the vote cannot be sent yet (null: it can), moving the highlight to what is missing
    function problem() {
      const absent = missing();
      if (absent.length && dims.length > 1) {
        active = dims.indexOf(absent[0]);
        refresh();
        return "Give a score for " + labels[absent[0]] + ": every dimension needs one.";
      }
      if (absent.length) return "Choose a score first" + (protocol.scale === "acr5" ? " (keys 1\u20135)." : " (move the slider).");
      if (needsReason() && !$("reason").value.trim()) {
        $("reason-row").hidden = false;
        $("reason").focus();
        return "Your score is more than " + protocol.reason_tolerance + " from the guideline's " + suggested() + ": say in one line why.";
      }
      return null;
    }

    function vote() {
      const result = { deductions: deductions(), reason: $("reason").value.trim(),
        response_time_ms: Math.round(performance.now() - shownAt) };
      if (protocol.dimensions.length) result.scores = Object.fromEntries(dims.map((name) => [name, scoreOf(name)]));
      else result.score = scoreOf("");
      return result;
    }

    form.addEventListener("change", (event) => { choose(event.target); refresh(); });
    dims.forEach((name) => {
      const slider = $(sliderId(name));
      if (slider) slider.addEventListener("input", (event) => { choose(event.target); refresh(); });
    });

    return { reset, refresh, cycleAspect, key, startViewing, viewing, problem, vote, chosen: () => ({ ...chosen }) };
  };
})();
