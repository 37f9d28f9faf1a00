/* Cell renderers for dash-ag-grid. A grid column refers to one as
     {"cellRenderer": "MamsCustomerLink", "cellRendererParams": {"href": "/customer-360"}}
   Other files may add renderers to the same namespace. */
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

(function () {
  "use strict";

  // A customer number as a link to its Customer 360 page; the cell keeps its number, so the
  // column still sorts and filters as numbers.
  dagcomponentfuncs.MamsCustomerLink = function (props) {
    var value = props.value;
    if (value === null || value === undefined || value === "") {
      return "";
    }
    var text = String(value);
    if (!/^[0-9]{1,18}$/.test(text)) {
      return text; // not a customer number: shown as it is, never put into a URL
    }
    var base = (props.href || "/customer-360").split("?")[0];
    return React.createElement(
      "a",
      { href: base + "?customer=" + text, className: "mams-customer-link", title: props.title || "" },
      text
    );
  };
})();
