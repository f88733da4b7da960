// Loaded by the layout as <script type="module" src="/static/init.js">.
// No inline script is allowed (strict CSP), so the body classes GOV.UK Frontend
// relies on are added here. Module scripts only run in browsers that GOV.UK
// Frontend supports, so adding "govuk-frontend-supported" here is correct.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");

initAll();
