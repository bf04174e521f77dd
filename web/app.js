// Staff dashboard entry point (kept at /app.js for index.html): the dashboard lives in
// js/staff/*.js, the API and DOM helpers shared with the customer portal in js/api.js and js/ui.js.
import './js/staff/main.js';
