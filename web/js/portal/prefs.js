// "Notifications": the customer's email preferences (GET/PUT /portal/preferences): all
// notification emails on or off, per company, and their language.

import { announce, clearFieldErrors, fieldErrors, h, isBusy, setAlert, setBusy } from '../ui.js';
import { app, byId, call, reportError, str } from './context.js';

// Muted companies the customer no longer has access to are kept as they were.
let hiddenMuted = [];

function companyBoxes() {
  return [...byId('prefs-company-list').querySelectorAll('input[type="checkbox"]')];
}

function render(prefs) {
  const muted = new Set(Array.isArray(prefs.mutedCompanies) ? prefs.mutedCompanies : []);
  byId('prefs-email').checked = prefs.emailNotifications !== false;
  byId('prefs-language').value = prefs.language === 'fr' ? 'fr' : 'en';
  const companies = [...app.companies.values()].sort((a, b) => str(a.name).localeCompare(str(b.name)));
  hiddenMuted = [...muted].filter((id) => !app.companies.has(id));
  byId('prefs-company-list').replaceChildren(
    ...companies.map((company, index) =>
      h(
        'div',
        { class: 'check' },
        h('input', {
          type: 'checkbox',
          id: `prefs-company-${index}`,
          name: 'company',
          value: company.tenantId,
          checked: !muted.has(company.tenantId),
        }),
        h('label', { for: `prefs-company-${index}` }, str(company.name)),
      ),
    ),
  );
  // Per-company choices only matter with several companies.
  byId('prefs-companies').hidden = companies.length < 2;
  syncDisabled();
}

// With notification emails off, the per-company choices do nothing: show that.
function syncDisabled() {
  const on = byId('prefs-email').checked;
  byId('prefs-companies').disabled = !on;
}

export async function loadPreferences() {
  const form = byId('prefs-form');
  setAlert(byId('prefs-error'), '');
  form.setAttribute('aria-busy', 'true');
  try {
    const prefs = await call('/portal/preferences');
    render(prefs || {});
  } catch (error) {
    reportError(byId('prefs-error'), error);
  } finally {
    form.removeAttribute('aria-busy');
  }
}

async function onSave(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector('button[type="submit"]');
  if (isBusy(button)) return;
  clearFieldErrors(form);
  setAlert(byId('prefs-error'), '');
  setAlert(byId('prefs-notice'), '');
  const mutedCompanies = [
    ...hiddenMuted,
    ...companyBoxes()
      .filter((box) => !box.checked)
      .map((box) => box.value),
  ];
  const body = {
    emailNotifications: byId('prefs-email').checked,
    mutedCompanies,
    language: byId('prefs-language').value,
  };
  setBusy(button, true, 'Saving…');
  try {
    const saved = await call('/portal/preferences', { method: 'PUT', body });
    render(saved || body);
    setAlert(byId('prefs-notice'), 'Your preferences are saved.');
    announce('Preferences saved.');
  } catch (error) {
    fieldErrors(form, error);
    reportError(byId('prefs-error'), error);
  } finally {
    setBusy(button, false);
  }
}

export function resetPreferences() {
  hiddenMuted = [];
  byId('prefs-form').reset();
  byId('prefs-company-list').replaceChildren();
  setAlert(byId('prefs-error'), '');
  setAlert(byId('prefs-notice'), '');
}

export function initPreferences() {
  byId('prefs-form').addEventListener('submit', onSave);
  byId('prefs-email').addEventListener('change', () => {
    syncDisabled();
    setAlert(byId('prefs-notice'), '');
  });
}
