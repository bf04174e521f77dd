// State shared by the customer portal's modules: where the page was opened, the company it is
// branded for, the signed-in session and what the customer may see.

import { createSession } from '../api.js';
import { isSilent, problemMessage, setAlert } from '../ui.js';

export const TOKENS_KEY = 'customerPortal.customer.tokens';
// The email waiting for its confirmation code (survives a reload of the activation step).
export const PENDING_EMAIL_KEY = 'customerPortal.customer.pendingEmail';

export const app = {
  // The company slug of /p/{slug} (null on /portal).
  slug: null,
  // Its public branding { name, slug, accentColor, logoPath } once loaded.
  branding: null,
  // The invitation token of /p/{slug}/register?token=…
  registerToken: null,
  // GET /portal/me, and its companies by tenant id.
  me: null,
  companies: new Map(),
  // Aborted on sign-out: stops the session's requests, polls and uploads.
  controller: null,
  // Set by main.js: what happens when the session ends (expired token, sign-out).
  onSessionEnded: () => {},
};

export const session = createSession({
  storageKey: TOKENS_KEY,
  refreshPath: '/auth/customer/refresh',
  onExpired: (message) => app.onSessionEnded(message),
});

export function byId(id) {
  return document.getElementById(id);
}

// An API call bound to the current session (aborted when it ends).
export function call(path, options = {}) {
  return session.call(path, { ...options, signal: app.controller ? app.controller.signal : undefined });
}

export function signedIn() {
  return Boolean(session.tokens());
}

// Shows what went wrong in an alert region (nothing for an ended session or an abort).
export function reportError(region, error, prefix) {
  if (isSilent(error)) return;
  if (!(error && error.name === 'ApiError')) console.warn(error);
  const message = problemMessage(error);
  setAlert(region, prefix ? `${prefix}: ${message}` : message);
}

export function storeGet(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

export function storeSet(key, value) {
  try {
    if (value === null || value === undefined) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Storage refused: the value lives only as long as the page.
  }
}

// The company the customer knows by this tenant id (from /portal/me or a listed item).
export function companyName(tenantId) {
  const company = app.companies.get(tenantId);
  return company && typeof company.name === 'string' ? company.name : 'Unknown company';
}

export function str(value) {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}
