// Loaded first on every page: records script errors, failed resource loads and
// Content-Security-Policy violations (any attempt to reach another host) so that they are
// visible to the end-to-end test and to anyone opening the console.
(function () {
  var errs = window.spreidingErrors = [];
  window.addEventListener('error', function (e) {
    var t = e.target;
    if (t && t !== window && (t.src || t.href)) errs.push('resource failed: ' + (t.src || t.href));
    else errs.push('script error: ' + (e.message || e));
  }, true);
  window.addEventListener('unhandledrejection', function (e) { errs.push('promise: ' + e.reason); });
  document.addEventListener('securitypolicyviolation', function (e) {
    errs.push('blocked by CSP: ' + e.blockedURI + ' (' + e.violatedDirective + ')');
  });
  var ce = console.error;
  console.error = function () { errs.push('console: ' + Array.prototype.join.call(arguments, ' ')); ce.apply(console, arguments); };
})();
