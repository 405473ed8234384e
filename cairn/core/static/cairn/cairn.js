// Cairn's page script. Kept in a file so the content security policy can forbid inline scripts.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
