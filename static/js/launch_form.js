// The benchmark launch form (admin): choosing a preset fills in its values, so what will run is visible.
// Data: the preset values in the page's JSON script "preset-values" (modeling.runs.launch_form.preset_values).
(function () {
  "use strict";
  const form = document.getElementById("benchmark-launch");
  const data = document.getElementById("preset-values");
  if (!form || !data) return;
  const presets = JSON.parse(data.textContent);
  const preset = form.elements.namedItem("preset");
  const FIELDS = ["scheme", "ratios", "seed", "repeats", "split", "cross_column", "train_groups", "test_groups",
                  "group_column", "rank_by", "hyperparameters"];

  function fill(key) {
    const values = presets[key];
    if (!values) return;
    FIELDS.forEach(function (name) {
      const field = form.elements.namedItem(name);
      if (field) field.value = values[name] === undefined || values[name] === null ? "" : String(values[name]);
    });
    form.querySelectorAll("input[name='models']").forEach(function (box) {
      box.checked = values.models.indexOf(box.value) !== -1;
    });
  }

  preset.addEventListener("change", function () { fill(preset.value); });
  if (!form.querySelector(".errorlist")) fill(preset.value);  // a refused form keeps what was sent
})();
