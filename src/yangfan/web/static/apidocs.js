// Swagger UI over the platform's OpenAPI description; a file of its own because the CSP forbids inline scripts.
(function () {
  "use strict";
  if (typeof window.SwaggerUIBundle !== "function") { return; }  // assets missing: the page's hint stays
  window.ui = window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: "none"  // by default a badge would send the description's URL to swagger.io's validator
  });
})();
