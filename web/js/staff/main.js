// Staff dashboard entry: session start and end, branding, navigation between views.
// Plain ES modules, no dependencies. Tokens live in sessionStorage (gone with the tab).

import { applyAccent } from '../accent.js';
import { ApiError } from '../api.js';
import { isSilent, problemMessage, setAlert } from '../ui.js';
import { app, call, isAdmin, canWrite, logoUrl, onSessionExpired, resetState, on } from './state.js';
import { bindSession, showLogin } from './session.js';
import { renderContacts } from './contacts.js';
import { renderDrive } from './drive.js';
import { renderSubmissions, countNew } from './submissions.js';
import { renderSettings } from './settings.js';
import { ROLE_LABELS } from './common.js';

const $ = (id) => document.getElementById(id);
const COUNT_INTERVAL_MS = 60000;
let countTimer = 0;
let started = false;

const VIEWS = {
  contacts: { title: 'Contacts', render: (view) => renderContacts(view) },
  drive: { title: 'Drive', render: (view, id) => renderDrive(view, id) },
  submissions: { title: 'Submissions', render: (view, id) => renderSubmissions(view, id) },
  settings: { title: 'Settings', render: (view) => renderSettings(view), allowed: isAdmin },
};

function parseRoute() {
  const [name, id] = window.location.hash.replace(/^#\/?/, '').split('/');
  const view = VIEWS[name] && (!VIEWS[name].allowed || VIEWS[name].allowed()) ? name : 'contacts';
  return { name: view, id: id && /^[0-9a-f-]{36}$/i.test(id) ? id.toLowerCase() : undefined };
}

function route({ focus = true } = {}) {
  if (!app.me) return;
  const { name, id } = parseRoute();
  const target = `#/${name}${id ? `/${id}` : ''}`;
  if (window.location.hash !== target) history.replaceState(null, '', target);
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  // Dialogs of the previous view close with it.
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
  const view = $('view');
  view.replaceChildren();
  document.title = `${VIEWS[name].title} — Customer Portal`;
  $('view-title').textContent = `Staff dashboard: ${VIEWS[name].title}`;
  VIEWS[name].render(view, id);
  if (focus) {
    const heading = view.querySelector('h2');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
  }
}

function applyBranding() {
  const tenant = app.me.tenant || {};
  $('brand-name').textContent = tenant.name || 'Customer Portal';
  const logo = $('brand-logo');
  const url = logoUrl(tenant);
  if (url) {
    if (logo.getAttribute('src') !== url) logo.src = url;
    logo.alt = `${tenant.name} logo`;
    logo.hidden = false;
    $('brand-name').classList.add('visually-hidden');
  } else {
    logo.removeAttribute('src');
    logo.hidden = true;
    $('brand-name').classList.remove('visually-hidden');
  }
  applyAccent(document.documentElement, tenant.accentColor);
}

async function refreshCount() {
  if (!app.me) return;
  const badge = $('submissions-count');
  try {
    const { count, more } = await countNew();
    badge.textContent = count ? `${count}${more ? '+' : ''}` : '';
    badge.hidden = !count;
    badge.setAttribute('aria-label', count ? `${count}${more ? ' or more' : ''} new` : '');
  } catch (err) {
    if (!isSilent(err)) badge.hidden = true;
  }
}

async function startSession() {
  resetState();
  try {
    app.me = await call('/me');
  } catch (err) {
    if (isSilent(err)) return;
    const notStaff = err instanceof ApiError && err.status === 403;
    endSession(notStaff ? 'This account is not a staff member of any company.' : problemMessage(err));
    return;
  }
  const claims = app.session.claims();
  const email = app.me.email || (claims && claims.email) || '';
  $('signed-in-as').textContent = `${email} · ${ROLE_LABELS[app.me.role] || app.me.role}`;
  $('nav-settings').hidden = !isAdmin();
  const note = $('role-note');
  note.hidden = canWrite();
  note.textContent = canWrite() ? '' : 'Read-only access: your role is Viewer. You can look at everything but not change it.';
  applyBranding();
  $('login-view').hidden = true;
  $('app-header').hidden = false;
  $('dashboard').hidden = false;
  route({ focus: false });
  $('main').focus();
  refreshCount();
  clearInterval(countTimer);
  countTimer = setInterval(refreshCount, COUNT_INTERVAL_MS);
}

function endSession(message) {
  clearInterval(countTimer);
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
  resetState();
  app.session.clear();
  $('view').replaceChildren();
  applyAccent(document.documentElement, null);
  showLogin({ error: message, focus: true });
}

function init() {
  if (started) return;
  started = true;
  bindSession(startSession, endSession);
  onSessionExpired((message) => endSession(message));
  on('submissions-seen', refreshCount);
  on('tenant-changed', () => app.me && applyBranding());
  window.addEventListener('hashchange', () => {
    route();
    refreshCount();
  });
  if (app.session.tokens()) startSession();
  else showLogin();
}

try {
  init();
} catch (err) {
  setAlert(document.getElementById('login-error'), 'The dashboard could not start. Reload the page.');
  throw err;
}
