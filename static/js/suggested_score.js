// The deduction guideline on the page: the suggested score (the top of the scale minus the weighted deductions,
// clamped, shown with its exact value: 4.5 stays 4.5) and whether a score needs a one-line reason (further than
// reason_tolerance points from that exact value). The same rules as moslab_science.rating.protocol.Protocol
// (suggested_score, needs_reason); both are checked against one table of cases
// (tests/annotation/suggested_score_cases.json), the Python side in pytest, this side in Chromium.
// `protocol` is Protocol.as_client(); `deductions` maps an aspect key to a severity key (missing: "none").
window.moslabSuggestedScore = function (protocol, deductions) {
  "use strict";
  const points = Object.fromEntries(protocol.severities.map((s) => [s.key, s.points]));
  const total = protocol.aspects.reduce((sum, a) => sum + a.weight * points[deductions[a.key] || "none"], 0);
  const value = Math.min(protocol.max, Math.max(protocol.min, protocol.max - total * protocol.point_value));
  return Math.floor(value * 1e6 + 0.5) / 1e6;  // millionths, halves up: only floating-point noise is dropped
};

window.moslabNeedsReason = function (protocol, deductions, score) {
  "use strict";
  return Math.abs(score - window.moslabSuggestedScore(protocol, deductions)) > protocol.reason_tolerance * protocol.point_value;
};
