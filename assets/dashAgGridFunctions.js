/* Value formatters for dash-ag-grid, the same rules as components/formatting.py.

   A grid column refers to one as
     {"valueFormatter": {"function": "mamsFormat(params.value, 'money_exact', 'zh')"}}
   so cells keep their raw numbers (sorting and number filters stay numeric) and only the
   displayed text is formatted. Other files may add functions to the same namespace. */
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

(function () {
  "use strict";

  var MISSING = "-";
  var ZH_UNITS = [[1e8, "亿"], [1e4, "万"]];
  var EN_UNITS = [[1e9, "B"], [1e6, "M"], [1e3, "K"]];
  var cache = {};

  function isZh(lang) {
    return typeof lang === "string" && lang.indexOf("zh") === 0;
  }

  function isMissing(value) {
    return value === null || value === undefined || value === "" || Number.isNaN(Number(value));
  }

  function numberFormat(decimals) {
    // One formatter per decimal count; grouping like Python's "{:,}" in both languages.
    if (!cache[decimals]) {
      cache[decimals] = new Intl.NumberFormat("en-US", {
        minimumFractionDigits: decimals,
        maximumFractionDigits: decimals,
      });
    }
    return cache[decimals];
  }

  function roundTo(x, decimals) {
    var f = Math.pow(10, decimals);
    return Math.round(x * f) / f;
  }

  function compact(a, lang) {
    // The largest unit reached, also by rounding in the unit below (99,999,999.996 -> 1.00亿).
    var units = isZh(lang) ? ZH_UNITS : EN_UNITS;
    for (var i = 0; i < units.length; i++) {
      var below = i + 1 < units.length ? units[i + 1][0] : 1;
      if (a >= units[i][0] || roundTo(a / below, 2) >= units[i][0] / below) {
        return numberFormat(2).format(a / units[i][0]) + units[i][1];
      }
    }
    return numberFormat(2).format(a);
  }

  function moneyExact(v) {
    // Round to the fen first so -0.001 shows as ¥0.00, not -¥0.00.
    var fen = Math.round(Math.abs(v) * 100 + 1e-7) / 100;
    var sign = v < 0 && fen > 0 ? "-" : "";
    return sign + "¥" + numberFormat(2).format(fen);
  }

  dagfuncs.mamsFormat = function (value, fmt, lang) {
    if (isMissing(value)) {
      return MISSING;
    }
    var v = Number(value);
    switch (fmt) {
      case "money":
        return (v < 0 ? "-" : "") + "¥" + compact(Math.abs(v), lang);
      case "money_exact":
        return moneyExact(v);
      case "percent":
        return (v * 100).toFixed(1) + "%";
      case "count":
        return numberFormat(0).format(Math.round(v));
      case "number":
        return numberFormat(2).format(v);
      default:
        return String(value);
    }
  };
})();
