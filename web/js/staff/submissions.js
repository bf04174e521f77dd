// Customer submissions, newest first, with a "new" badge for those created after the staff
// member's `submissionsSeenAt` (GET /me, set with PATCH /me when the list has been shown).

import { h, badge, setAlert, isSilent, problemMessage, announce, formatSize, dateElement } from '../ui.js';
import { app, call, contactById, emit } from './state.js';
import { pagedTable } from './list.js';
import { DOCUMENT_LABELS, download } from './common.js';

const isNew = (doc, seenAt) => !seenAt || Date.parse(doc.createdAt) > Date.parse(seenAt);

// How many submissions are new (counted over the first page, newest first: at most 100).
export async function countNew() {
  const page = await call('/submissions?limit=100');
  const items = page && Array.isArray(page.items) ? page.items : [];
  const seenAt = app.me && app.me.submissionsSeenAt;
  let count = 0;
  for (const doc of items) {
    if (!isNew(doc, seenAt)) break;
    count += 1;
  }
  return { count, more: count === items.length && Boolean(page && page.nextCursor) };
}

// Moves the marker to `createdAt` of the newest submission shown.
async function markSeen(newest) {
  const seenAt = app.me && app.me.submissionsSeenAt;
  if (!newest || !isNew(newest, seenAt)) return;
  const me = await call('/me', { method: 'PATCH', body: { submissionsSeenAt: newest.createdAt } });
  app.me = { ...app.me, ...me };
  emit('submissions-seen');
}

export function renderSubmissions(view, highlight) {
  const alert = h('p', { class: 'alert', role: 'alert' });
  const seenAt = app.me && app.me.submissionsSeenAt; // as it was when the page opened
  const summary = h('p', { class: 'hint', id: 'submissions-summary' });
  const table = pagedTable({
    id: 'submissions-table',
    caption: 'Submissions from customers, newest first',
    noun: 'submissions',
    path: '/submissions',
    empty: 'No submissions yet. Documents your customers upload in the portal appear here.',
    columns: [{ label: 'Document' }, { label: 'From' }, { label: 'Size' }, { label: 'Received' }, { label: 'Status' }, { label: 'Actions', hidden: true }],
    row: (doc) => {
      const from = h('td', { class: 'email' }, '…');
      contactById(doc.contactId).then((contact) => {
        from.textContent = contact ? `${contact.name} (${contact.email})` : 'Deleted contact';
      });
      const name = h('th', { scope: 'row', class: 'file-name' }, doc.name);
      if (isNew(doc, seenAt)) name.append(' ', h('span', { class: 'badge badge--new' }, 'New'));
      const status = h('td', {}, badge(doc.status, DOCUMENT_LABELS));
      if (doc.seenAt) status.append(h('span', { class: 'reason' }, 'Downloaded by staff'));
      const actions = h('td', { class: 'actions' });
      if (doc.status === 'available') {
        const button = h('button', { type: 'button', class: 'button button--small', 'aria-label': `Download ${doc.name}` }, 'Download');
        button.addEventListener('click', () => download(doc.id, button, alert));
        actions.append(button);
      }
      return [name, from, h('td', { class: 'number' }, formatSize(doc.size)), h('td', {}, dateElement(doc.createdAt)), status, actions];
    },
  });

  const notify = h('input', { type: 'checkbox', id: 'notify-submissions', checked: app.me && app.me.notifySubmissions === true });
  const notifyAlert = h('p', { class: 'alert', role: 'alert' });
  notify.addEventListener('change', async () => {
    setAlert(notifyAlert, '');
    try {
      const me = await call('/me', { method: 'PATCH', body: { notifySubmissions: notify.checked } });
      app.me = { ...app.me, ...me };
      announce(notify.checked ? 'You will get an email for each submission.' : 'You will no longer get submission emails.');
    } catch (err) {
      notify.checked = !notify.checked;
      if (!isSilent(err)) setAlert(notifyAlert, problemMessage(err));
    }
  });

  view.append(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'submissions-title' },
      h('h2', { id: 'submissions-title' }, 'Submissions'),
      summary,
      h('div', { class: 'check' }, notify, h('label', { for: 'notify-submissions' }, 'Email me when a customer submits a document')),
      notifyAlert,
      alert,
      table.element,
    ),
  );

  table.load().then(() => {
    const docs = [...table.items.values()];
    const fresh = docs.filter((d) => isNew(d, seenAt)).length;
    summary.textContent = fresh ? `${fresh} new since your last visit.` : 'Nothing new since your last visit.';
    if (highlight && table.items.has(highlight)) {
      const row = table.table.querySelector(`tr[data-id="${CSS.escape(highlight)}"]`);
      if (row) {
        row.classList.add('is-highlighted');
        row.scrollIntoView({ block: 'center' });
      }
    }
    markSeen(docs[0]).catch((err) => isSilent(err) || setAlert(alert, problemMessage(err)));
  });
}
