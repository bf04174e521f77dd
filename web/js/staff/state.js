// The signed-in staff member's state, shared by every part of the dashboard.

import { createSession, apiBase } from '../api.js';

export const PAGE_SIZE = 50;

const expiredHandlers = [];

export const app = {
  session: createSession({
    storageKey: 'customerPortal.staff.tokens',
    refreshPath: '/auth/staff/refresh',
    onExpired: (message) => expiredHandlers.forEach((handler) => handler(message)),
  }),
  // GET /me: { sub, email, role, tenantId, notifySubmissions?, submissionsSeenAt?, tenant }
  me: null,
  // Aborted at sign-out: stops every request, poll and upload of the session.
  controller: new AbortController(),
};

export function onSessionExpired(handler) {
  expiredHandlers.push(handler);
}

export function call(path, options = {}) {
  return app.session.call(path, { ...options, signal: options.signal || app.controller.signal });
}

export const role = () => (app.me ? app.me.role : 'viewer');
export const canWrite = () => role() === 'admin' || role() === 'member';
export const isAdmin = () => role() === 'admin';

export function portalLink(tenant = app.me && app.me.tenant) {
  return tenant ? `${window.location.origin}/p/${encodeURIComponent(tenant.slug)}` : '';
}

export function logoUrl(tenant = app.me && app.me.tenant) {
  if (!tenant || !tenant.logo || !tenant.logo.id) return '';
  return `${apiBase()}/branding/${encodeURIComponent(tenant.slug)}/logo?v=${encodeURIComponent(tenant.logo.id)}`;
}

// Every page of a list (up to max items), for pickers and lookups.
export async function allPages(path, { max = 1000, signal } = {}) {
  const items = [];
  let cursor = '';
  do {
    const params = new URLSearchParams({ limit: '100' });
    if (cursor) params.set('cursor', cursor);
    const sep = path.includes('?') ? '&' : '?';
    const page = await call(`${path}${sep}${params}`, { signal });
    items.push(...(page && Array.isArray(page.items) ? page.items : []));
    cursor = page && typeof page.nextCursor === 'string' ? page.nextCursor : '';
  } while (cursor && items.length < max);
  return items;
}

// Contacts by id, fetched once (names in submissions, shares and activity).
const contactCache = new Map();

export function rememberContact(contact) {
  if (contact && contact.id) contactCache.set(contact.id, Promise.resolve(contact));
}

export function contactById(id) {
  if (!id) return Promise.resolve(null);
  if (!contactCache.has(id)) {
    contactCache.set(
      id,
      call(`/contacts/${encodeURIComponent(id)}`).catch(() => {
        contactCache.delete(id);
        return null;
      }),
    );
  }
  return contactCache.get(id);
}

export function resetState() {
  app.controller.abort();
  app.controller = new AbortController();
  app.me = null;
  contactCache.clear();
}

// A tiny event bus between views (e.g. "submissions-seen").
const listeners = new Map();
export function on(name, handler) {
  if (!listeners.has(name)) listeners.set(name, new Set());
  listeners.get(name).add(handler);
}
export function emit(name, detail) {
  for (const handler of listeners.get(name) || []) handler(detail);
}
