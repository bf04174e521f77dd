// Labels and small pieces shared by the dashboard's views.

import { h, dateElement, formatDate, setAlert, setBusy, isBusy, isSilent, problemMessage, fieldErrors, announce, openDialog, isHttpUrl } from '../ui.js';
import { ApiError } from '../api.js';
import { call } from './state.js';

export const ACCESS_LABELS = { none: 'No access', pending: 'Pending', active: 'Active', closed: 'Closed' };
export const DOCUMENT_LABELS = { pending: 'Processing', available: 'Available', rejected: 'Rejected' };
export const ROLE_LABELS = { admin: 'Admin', member: 'Member', viewer: 'Viewer' };

const ACTIONS = {
  'document.uploaded': 'uploaded',
  'document.downloaded': 'downloaded',
  'document.deleted': 'deleted',
  'share.created': 'shared',
  'share.removed': 'stopped sharing',
  'access.opened': 'opened portal access',
  'access.activated': 'activated their portal account',
  'access.closed': 'closed portal access',
  'contact.deleted': 'deleted the contact',
};

// One line of an activity trail: "who did what (item) — when".
export function activityItem(event) {
  const actor = event.actor || {};
  const who = actor.email || (actor.kind === 'customer' ? 'The customer' : 'A staff member');
  const what = ACTIONS[event.action] || event.action || 'did something';
  return h(
    'li',
    { class: 'activity-item' },
    h('span', {}, h('strong', {}, who), ` ${what}`, event.itemName ? h('span', {}, ' “', event.itemName, '”') : ''),
    h('span', { class: 'muted' }, dateElement(event.at)),
  );
}

// An activity trail with "Load more", newest first.
export function activityList(path, label) {
  const list = h('ol', { class: 'activity', 'aria-label': label });
  const error = h('p', { class: 'alert', role: 'alert' });
  const empty = h('p', { class: 'empty', hidden: true }, 'No activity yet.');
  const more = h('button', { type: 'button', class: 'button button--secondary button--small', hidden: true }, 'Load more activity');
  let cursor = '';
  async function load() {
    setBusy(more, true, 'Loading…');
    setAlert(error, '');
    try {
      const params = new URLSearchParams({ limit: '20' });
      if (cursor) params.set('cursor', cursor);
      const page = await call(`${path}?${params}`);
      const items = page && Array.isArray(page.items) ? page.items : [];
      list.append(...items.map(activityItem));
      cursor = page && page.nextCursor ? page.nextCursor : '';
      empty.hidden = list.children.length > 0;
    } catch (err) {
      if (!isSilent(err)) setAlert(error, problemMessage(err));
    } finally {
      setBusy(more, false);
      more.hidden = !cursor;
    }
  }
  more.addEventListener('click', () => isBusy(more) || load());
  load();
  return h('div', { class: 'activity-wrap' }, list, empty, error, more);
}

// A date input's value (yyyy-mm-dd) as the end of that day, local time, in RFC 3339.
export function endOfDay(value) {
  if (!value) return undefined;
  const [y, m, d] = value.split('-').map(Number);
  const date = new Date(y, m - 1, d, 23, 59, 59);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

// An RFC 3339 instant as a date input's value (local day).
export function dateInputValue(iso) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export function tomorrow() {
  return dateInputValue(new Date(Date.now() + 86400000).toISOString());
}

export function untilText(iso) {
  return iso ? `until ${formatDate(iso)}` : 'no expiry';
}

// Runs a form's submit handler with busy state, field errors and an alert for the rest.
export function bindForm(form, alert, handler, busyLabel = 'Saving…') {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    if (isBusy(button)) return;
    setAlert(alert, '');
    fieldErrors(form, null);
    setBusy(button, true, busyLabel);
    try {
      await handler(new FormData(form));
    } catch (err) {
      if (isSilent(err)) return;
      const placed = fieldErrors(form, err);
      setAlert(alert, placed ? 'Please correct the field marked above.' : problemMessage(err));
      if (!placed && err instanceof ApiError === false) console.warn(err);
    } finally {
      setBusy(button, false);
    }
  });
}

// A dialog with one text field (rename, new name …). Resolves when saved or closed.
export function promptDialog({ title, label, value = '', submitLabel = 'Save', maxlength = 255, save }) {
  const { body, close } = openDialog({ title });
  const input = h('input', { id: 'prompt-input', name: 'name', type: 'text', required: true, maxlength, value, autocomplete: 'off' });
  const alert = h('p', { class: 'alert', role: 'alert' });
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'prompt-input' }, label), input),
    alert,
    h('div', { class: 'button-row' }, h('button', { type: 'submit', class: 'button' }, submitLabel), h('button', { type: 'button', class: 'button button--secondary', onclick: close }, 'Cancel')),
  );
  bindForm(form, alert, async () => {
    const name = input.value.trim();
    if (!name) {
      setAlert(alert, `${label} is required.`);
      input.focus();
      return;
    }
    await save(name);
    close();
  });
  body.append(form);
  input.focus();
  input.select();
}

// Asks for a presigned download and follows it (served as an attachment: the page stays).
export async function download(documentId, button, alert) {
  if (isBusy(button)) return;
  setAlert(alert, '');
  setBusy(button, true);
  try {
    const ticket = await call(`/documents/${encodeURIComponent(documentId)}/download`);
    const url = ticket && ticket.download ? ticket.download.url : null;
    if (!isHttpUrl(url)) throw new ApiError(0, { detail: 'The server returned no download link.' });
    window.location.assign(url);
    announce('Download started.');
  } catch (err) {
    if (!isSilent(err)) setAlert(alert, problemMessage(err));
  } finally {
    setBusy(button, false);
  }
}

export function section(title, ...children) {
  const id = `s-${Math.random().toString(36).slice(2, 8)}`;
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h3', { id }, title), ...children);
}
