// Customer portal: the page served at /p/{slug} (a company's stable link), /p/{slug}/register
// (the invitation link) and /portal (no company). Plain ES modules, no dependencies.
//
// Screens are chosen by the address: the register path shows registration; otherwise the hash
// (#sign-in, #activate, #forgot-password, #reset-password before sign-in; #shared, #send,
// #notifications after). Tokens live in sessionStorage (gone with the tab).

import { announce, setAlert } from '../ui.js';
import { initAuth, prepareActivation, showRegisterCopy } from './auth.js';
import { applyBranding, loadBranding, pageTitle } from './branding.js';
import { app, byId, call, session, signedIn, str } from './context.js';
import { initPreferences, loadPreferences, resetPreferences } from './prefs.js';
import { loadSubmissions, initSend, renderUploadCompanies, resetSend } from './send.js';
import { initShares, loadFacets, loadShares, renderCompanyOptions, resetShares } from './shares.js';

const AUTH_VIEWS = ['register', 'activate', 'sign-in', 'forgot-password', 'reset-password'];
const SPACE_VIEWS = ['shared', 'send', 'notifications'];
const TITLES = {
  register: 'Create your account',
  activate: 'Confirm your email',
  'sign-in': 'Sign in',
  'forgot-password': 'Reset your password',
  'reset-password': 'Choose a new password',
  shared: 'Shared with me',
  send: 'Send documents',
  notifications: 'Notifications',
};

let current = null;
// The session's data has been loaded (me, shares) since the last sign-in.
let spaceReady = null;

/* ---------- where we are ---------- */

function parseLocation() {
  const parts = window.location.pathname.split('/').filter(Boolean);
  if (parts[0] === 'p' && parts[1]) {
    try {
      app.slug = decodeURIComponent(parts[1]);
    } catch {
      app.slug = null;
    }
  }
  if (onRegisterPath()) {
    const token = new URLSearchParams(window.location.search).get('token');
    app.registerToken = token ? token.trim() : null;
  }
}

function onRegisterPath() {
  return /^\/p\/[^/]+\/register\/?$/.test(window.location.pathname);
}

function hashView() {
  return window.location.hash.replace(/^#/, '');
}

function route({ focus = true } = {}) {
  const hash = hashView();
  if (onRegisterPath() && (hash === '' || hash === 'register')) return show('register', focus);
  if (signedIn()) {
    if (SPACE_VIEWS.includes(hash)) return show(hash, focus);
    history.replaceState(null, '', '#shared');
    return show('shared', focus);
  }
  if (AUTH_VIEWS.includes(hash) && hash !== 'register') return show(hash, focus);
  if (SPACE_VIEWS.includes(hash)) {
    // A signed-out visitor asked for a page of the space: sign in first, then go there.
    app.afterSignIn = hash;
  }
  return show('sign-in', focus);
}

// Goes to a screen through the address (so Back works).
function go(view) {
  if (view === 'register') return route();
  if (onRegisterPath() && AUTH_VIEWS.includes(view)) {
    // Leave the invitation address: its token is for registration only.
    history.pushState(null, '', `${app.slug ? `/p/${encodeURIComponent(app.slug)}` : '/portal'}#${view}`);
    return route();
  }
  if (hashView() === view) return route();
  window.location.hash = view; // popstate → route()
  return undefined;
}

function show(view, focus) {
  const space = SPACE_VIEWS.includes(view);
  for (const name of [...AUTH_VIEWS, ...SPACE_VIEWS]) byId(`view-${name}`).hidden = name !== view;
  byId('booting').hidden = true;
  byId('space-nav').hidden = !space;
  byId('account').hidden = !space;
  for (const link of byId('space-nav').querySelectorAll('a[data-tab]')) {
    if (link.dataset.tab === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.body.dataset.view = view;
  pageTitle(TITLES[view]);
  if (view === 'register') showRegisterCopy();
  if (view === 'activate') prepareActivation(byId('activate-email').value || undefined);
  const changed = current !== view;
  current = view;
  if (space) enterSpace(view);
  if (focus && changed) {
    const heading = byId(`view-${view}`).querySelector('h1');
    if (heading) heading.focus({ preventScroll: false });
  }
}

/* ---------- the signed-in space ---------- */

function startSpace() {
  if (spaceReady) return spaceReady;
  app.controller = new AbortController();
  spaceReady = (async () => {
    try {
      const me = await call('/portal/me');
      app.me = me || {};
      app.companies = new Map(
        (Array.isArray(me && me.companies) ? me.companies : [])
          .filter((c) => c && typeof c.tenantId === 'string')
          .map((c) => [c.tenantId, c]),
      );
    } catch (error) {
      if (!signedIn()) throw error;
      app.me = {};
      app.companies = new Map();
      setAlert(byId('shares-error'), 'Your account could not be loaded. Reload the page to try again.');
    }
    const email = str(app.me.email) || str((session.claims() || {}).email);
    byId('signed-in-as').textContent = email ? `Signed in as ${email}` : '';
    byId('signed-in-as').hidden = !email;
    renderCompanyOptions();
    renderUploadCompanies();
    if (app.companies.size === 0) {
      byId('shared-intro').textContent =
        'Your access to company portals is not active right now. When a company opens it again, its documents appear here.';
    }
  })();
  spaceReady.catch(() => {});
  return spaceReady;
}

const loadedViews = new Set();

async function enterSpace(view) {
  try {
    await startSpace();
  } catch {
    return;
  }
  if (!signedIn()) return;
  const first = !loadedViews.has(view);
  loadedViews.add(view);
  if (view === 'shared' && first) {
    loadShares();
    loadFacets();
  } else if (view === 'send') {
    loadSubmissions().catch(() => {});
  } else if (view === 'notifications' && first) {
    loadPreferences();
  }
}

function signedInNow({ refreshOnly = false } = {}) {
  if (refreshOnly) {
    // Already signed in (an existing account linked from an invitation): reload everything.
    endSpaceData();
  }
  const target = SPACE_VIEWS.includes(app.afterSignIn) ? app.afterSignIn : 'shared';
  app.afterSignIn = null;
  if (onRegisterPath()) history.replaceState(null, '', app.slug ? `/p/${encodeURIComponent(app.slug)}` : '/portal');
  go(target);
}

function endSpaceData() {
  if (app.controller) app.controller.abort();
  app.controller = null;
  app.me = null;
  app.companies = new Map();
  spaceReady = null;
  loadedViews.clear();
  resetShares();
  resetSend();
  resetPreferences();
  byId('signed-in-as').textContent = '';
}

function endSession(message) {
  session.clear();
  endSpaceData();
  setAlert(byId('sign-in-error'), message || '');
  go('sign-in');
}

async function onSignOut() {
  const button = byId('sign-out');
  button.setAttribute('aria-disabled', 'true');
  try {
    // Signs out every device (refresh tokens stop working); the local session ends anyway.
    await session.call('/auth/customer/logout', { method: 'POST' });
  } catch {
    // Already expired or offline: nothing more to do here.
  } finally {
    button.removeAttribute('aria-disabled');
  }
  endSession('');
  byId('sign-in-notice').textContent = 'You have signed out.';
  announce('You have signed out.');
}

/* ---------- start ---------- */

async function init() {
  parseLocation();
  app.onSessionEnded = (message) => endSession(message);
  initAuth({ go, signedIn: signedInNow });
  initShares();
  initSend();
  initPreferences();
  byId('sign-out').addEventListener('click', onSignOut);
  // Links between the sign-in screens go through go() (they leave the register address).
  document.addEventListener('click', (event) => {
    const link = event.target instanceof Element ? event.target.closest('a[data-go]') : null;
    if (!link) return;
    event.preventDefault();
    go(link.dataset.go);
  });
  // Fires for hash changes too (links, Back).
  window.addEventListener('popstate', () => route());

  const { branding, suspended } = await loadBranding(app.slug);
  app.branding = branding;
  applyBranding(app.branding);
  if (suspended) {
    setAlert(byId('sign-in-error'), '');
    byId('sign-in-notice').textContent =
      'This company’s portal is paused for now: what it shared cannot be opened until it is back. You can still sign in to see what other companies shared with you.';
  } else if (app.slug && !app.branding) {
    setAlert(byId('sign-in-error'), '');
    byId('sign-in-notice').textContent = 'This portal link is not known. You can still sign in to see your documents.';
  } else if (app.branding) {
    byId('sign-in-intro').textContent = `Sign in to see the documents ${str(app.branding.name)} shared with you.`;
  }
  route({ focus: false });
}

init();
