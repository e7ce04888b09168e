// The deduction guideline's suggested score: the top of the scale minus the weighted deductions, clamped,
// rounded to the scale's step (whole ACR steps; tenths of the slider, halves up). The same rule as
// moslab_science.rating.protocol.Protocol.suggested_score; both are checked against one table of cases
// (tests/annotation/suggested_score_cases.json), the Python side in pytest, this side in Chromium.
// `protocol` is Protocol.as_client(); `deductions` maps an aspect key to a severity key (missing: "none").
window.moslabSuggestedScore = function (protocol, deductions) {
  "use strict";
  const points = Object.fromEntries(protocol.severities.map((s) => [s.key, s.points]));
  const total = protocol.aspects.reduce((sum, a) => sum + a.weight * points[deductions[a.key] || "none"], 0);
  const value = Math.min(protocol.max, Math.max(protocol.min, protocol.max - total * protocol.point_value));
  return protocol.scale === "acr5" ? Math.floor(value + 0.5) : Math.floor(value * 10 + 0.5) / 10;
};
