// Staff dashboard entry: session start and end, branding, navigation between views.
// Plain ES modules, no dependencies. Tokens live in sessionStorage (gone with the tab).

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

// Relative luminance and contrast (WCAG 2).
function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrast = (a, b) => {
  const [x, y] = [luminance(a), luminance(b)].sort((m, n) => n - m);
  return (x + 0.05) / (y + 0.05);
};
function darken(hex, factor) {
  return `#${[1, 3, 5].map((i) => Math.round(parseInt(hex.slice(i, i + 2), 16) * factor).toString(16).padStart(2, '0')).join('')}`;
}

// The company's accent colour as CSS custom properties, kept readable (≥ 4.5:1).
export function applyAccent(color) {
  const root = document.documentElement.style;
  if (typeof color !== 'string' || !/^#[0-9a-f]{6}$/i.test(color)) {
    for (const name of ['--accent', '--accent-strong', '--accent-contrast', '--accent-text']) root.removeProperty(name);
    return;
  }
  const accent = color.toLowerCase();
  let text = accent;
  for (let i = 0; i < 20 && contrast(text, '#ffffff') < 4.5; i += 1) text = darken(text, 0.85);
  root.setProperty('--accent', accent);
  root.setProperty('--accent-text', text);
  root.setProperty('--accent-strong', darken(text, 0.85));
  root.setProperty('--accent-contrast', contrast(accent, '#ffffff') >= 4.5 ? '#ffffff' : '#111111');
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
  applyAccent(tenant.accentColor);
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
  applyAccent(null);
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
