// /api/v1/docs: Swagger UI over the API's OpenAPI document. A file, not an inline script,
// so the site's Content-Security-Policy (no inline scripts) holds on this page too.
(function () {
  "use strict";
  var settings = JSON.parse(document.getElementById("swagger-settings").textContent);
  settings.dom_id = "#swagger-ui";
  settings.presets = [SwaggerUIBundle.presets.apis];
  window.SwaggerUIBundle(settings);
})();
