// Drive: nested folders with breadcrumbs, documents, uploads with progress (several files,
// drag and drop), rename, move, delete, share, details (shares and activity).

import { h, badge, setAlert, setBusy, isBusy, isSilent, problemMessage, announce, openDialog, confirmDialog, formatSize, dateElement, contentTypeOf, isHttpUrl, delay, bindDropZone } from '../ui.js';
import { ApiError, putWithProgress } from '../api.js';
import { app, call, canWrite, allPages } from './state.js';
import { pagedTable } from './list.js';
import { DOCUMENT_LABELS, activityList, section, download, promptDialog, endOfDay, tomorrow, untilText, bindForm } from './common.js';
import { loadOrganizations, organizationOptions } from './organizations.js';
import { followJob, isJob } from './jobs.js';

const POLL_INTERVAL_MS = 1000;
const POLL_ATTEMPTS = 30;
// How long typing must pause before a search is sent.
const SEARCH_DELAY_MS = 300;
// Contacts shown at once in the share dialog (more: type to search).
const SHARE_CONTACTS_SHOWN = 50;

export function renderDrive(view, folderId) {
  const alert = h('p', { class: 'alert', role: 'alert', id: 'drive-error' });
  // A bulk change's progress (a share or a folder's delete that runs as a job: jobs.js).
  const jobStatus = h('p', { class: 'muted', id: 'drive-job' });
  const crumbs = h('ol', { class: 'breadcrumbs' });
  const title = h('h2', { id: 'drive-title' }, 'Drive');
  const path = folderId ? `/folders/${encodeURIComponent(folderId)}/items` : '/drive';

  const table = pagedTable({
    id: 'drive-table',
    caption: 'Folders and documents',
    noun: 'items',
    path,
    empty: 'This folder is empty.',
    columns: [{ label: 'Name' }, { label: 'Size' }, { label: 'Status' }, { label: 'Created' }, { label: 'Actions', hidden: true }],
    row: (entry) => (entry.kind === 'folder' ? folderRow(entry) : documentRow({ ...entry, kind: 'document' })),
  });

  function folderRow(folder) {
    return [
      h('th', { scope: 'row', class: 'file-name' }, h('a', { href: `#/drive/${folder.id}`, class: 'folder-link' }, h('span', { class: 'kind kind--folder' }, 'Folder'), ' ', folder.name)),
      h('td', {}, '—'),
      h('td', {}, '—'),
      h('td', {}, dateElement(folder.createdAt)),
      h('td', { class: 'actions' }, actions(folder)),
    ];
  }

  function documentRow(doc) {
    const status = h('td', {}, badge(doc.status, DOCUMENT_LABELS));
    if (doc.status === 'rejected' && doc.rejectedReason) status.append(h('span', { class: 'reason' }, doc.rejectedReason));
    return [
      h('th', { scope: 'row', class: 'file-name' }, doc.name),
      h('td', { class: 'number' }, formatSize(doc.size)),
      status,
      h('td', {}, dateElement(doc.createdAt)),
      h('td', { class: 'actions' }, actions(doc)),
    ];
  }

  function actions(entry) {
    const name = entry.name;
    const kind = entry.kind === 'folder' ? 'folder' : 'document';
    const buttons = [];
    const button = (label, aria, handler, cls = 'button--secondary') => {
      const b = h('button', { type: 'button', class: `button button--small ${cls}`, 'aria-label': `${aria} ${name}`, 'data-action': label.toLowerCase() }, label);
      b.addEventListener('click', () => handler(b));
      buttons.push(b);
    };
    if (kind === 'document' && entry.status === 'available') button('Download', 'Download', (b) => download(entry.id, b, alert), '');
    button('Details', 'Details of', () => openDetails(entry));
    if (canWrite()) {
      if (kind === 'folder' || entry.status === 'available') button('Share', 'Share', () => openShareDialog(entry));
      button('Rename', 'Rename', () =>
        promptDialog({
          title: `Rename ${kind}`,
          label: 'Name',
          value: name,
          save: async (newName) => {
            const updated = await call(`/${kind === 'folder' ? 'folders' : 'documents'}/${encodeURIComponent(entry.id)}`, { method: 'PATCH', body: { name: newName } });
            table.upsert({ ...entry, ...updated, kind });
            announce(`Renamed to ${updated.name}.`);
          },
        }),
      );
      button('Move', 'Move', () => openMoveDialog(entry, () => {
        table.remove(entry.id);
        announce(`${name} moved.`);
      }));
      button('Delete', 'Delete', async () => {
        const question = kind === 'folder' ? `Delete the folder ${name} and everything in it? Its documents and their shares are removed for good.` : `Delete ${name}? Its file and its shares are removed for good.`;
        if (!(await confirmDialog(`Delete ${kind}?`, question, 'Delete', { danger: true }))) return;
        setAlert(alert, '');
        try {
          const answer = await call(`/${kind === 'folder' ? 'folders' : 'documents'}/${encodeURIComponent(entry.id)}`, { method: 'DELETE' });
          table.remove(entry.id);
          if (isJob(answer)) followJob(answer, { label: `Deleting ${name}`, status: document.getElementById('drive-job') }).catch(() => {});
          else announce(`${name} deleted.`);
          table.table.parentElement.focus();
        } catch (err) {
          if (!isSilent(err)) setAlert(alert, `${name}: ${problemMessage(err)}`);
        }
      }, 'button--danger-outline');
    }
    return h('span', { class: 'button-row button-row--tight' }, buttons);
  }

  const card = h('section', { class: 'card', 'aria-labelledby': 'drive-title' }, h('nav', { 'aria-label': 'Breadcrumb' }, crumbs), title);
  if (canWrite()) card.append(toolbar(folderId, table, alert));
  card.append(searchBar(folderId, path, table), alert, jobStatus, table.element);
  view.append(card);

  // Breadcrumbs: Drive / parent / … / current.
  const crumb = (label, href) => h('li', {}, href ? h('a', { href }, label) : h('span', { 'aria-current': 'page' }, label));
  if (!folderId) {
    crumbs.append(crumb('Drive'));
  } else {
    crumbs.append(crumb('Drive', '#/drive'));
    call(`/folders/${encodeURIComponent(folderId)}`)
      .then((folder) => {
        for (const parent of folder.path || []) crumbs.append(crumb(parent.name, `#/drive/${parent.id}`));
        crumbs.append(crumb(folder.name));
        title.textContent = folder.name;
        document.title = `${folder.name} — Drive — Customer Portal`;
      })
      .catch((err) => isSilent(err) || setAlert(alert, problemMessage(err)));
  }
  table.load();
}

// Search documents by name on the server (`GET /documents?q=`), in this folder or the whole
// drive (customer submissions too), paged with the server's cursor; typing waits for a
// pause before asking. Clearing the search lists the folder again.
function searchBar(folderId, folderPath, table) {
  const input = h('input', { id: 'drive-search', type: 'search', name: 'q', autocomplete: 'off', maxlength: 100, placeholder: 'Document name' });
  const scope = h(
    'select',
    { id: 'drive-search-scope', name: 'scope' },
    h('option', { value: 'folder' }, 'In this folder'),
    h('option', { value: 'drive' }, 'In the whole drive'),
  );
  const note = h('p', { class: 'hint', id: 'drive-search-note', 'aria-live': 'polite' });
  let query = '';
  async function show() {
    if (!query) {
      table.setEmpty('This folder is empty.');
      note.textContent = '';
      await table.reload(folderPath);
      return;
    }
    const params = new URLSearchParams({ q: query });
    if (scope.value === 'folder') params.set('folderId', folderId || 'root');
    table.setEmpty(`No documents match “${query}”.`);
    await table.reload(`/documents?${params}`);
    const shown = table.items.size;
    const where = scope.value === 'folder' ? 'in this folder' : 'in the whole drive';
    note.textContent = `${shown} matching document${shown === 1 ? '' : 's'} ${where}${table.hasMore() ? '; “Load more” for the next page' : ''}.`;
  }
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const next = input.value.trim();
      if (next === query) return;
      query = next;
      show();
    }, SEARCH_DELAY_MS);
  });
  scope.addEventListener('change', () => query && show());
  return h(
    'div',
    { class: 'toolbar', role: 'search' },
    h('div', { class: 'field' }, h('label', { for: 'drive-search' }, 'Search documents'), input),
    h('div', { class: 'field' }, h('label', { for: 'drive-search-scope' }, 'Where'), scope),
    note,
  );
}

function toolbar(folderId, table, alert) {
  // New folder.
  const folderAlert = h('p', { class: 'alert', role: 'alert' });
  const folderForm = h(
    'form',
    { id: 'folder-form', class: 'form form--inline', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'folder-name' }, 'New folder'), h('input', { id: 'folder-name', name: 'name', type: 'text', required: true, maxlength: 255, autocomplete: 'off' })),
    h('button', { type: 'submit', class: 'button button--secondary' }, 'Create folder'),
    folderAlert,
  );
  bindForm(
    folderForm,
    folderAlert,
    async (data) => {
      const body = { name: String(data.get('name')).trim() };
      if (folderId) body.parentId = folderId;
      const folder = await call('/folders', { method: 'POST', body });
      table.upsert({ ...folder, kind: 'folder' }, 'prepend');
      folderForm.reset();
      announce(`Folder ${folder.name} created.`);
    },
    'Creating…',
  );

  // Uploads.
  const uploadError = h('p', { class: 'alert', role: 'alert', id: 'upload-error' });
  const uploads = h('ul', { class: 'uploads', id: 'uploads', 'aria-label': 'Uploads' });
  const input = h('input', { id: 'file-input', name: 'files', type: 'file', multiple: true, 'aria-describedby': 'drop-hint' });
  const zone = h(
    'div',
    { class: 'drop-zone', id: 'drop-zone' },
    h('div', { class: 'field' }, h('label', { for: 'file-input' }, 'Upload documents into this folder'), input),
    h('p', { class: 'hint', id: 'drop-hint' }, 'Choose one or more files, or drag and drop them here.'),
  );
  const uploadAll = (files) => {
    const list = Array.from(files || []);
    if (list.length) setAlert(uploadError, '');
    for (const file of list) uploadFile(file, folderId, table, uploads, uploadError);
  };
  input.addEventListener('change', () => {
    const files = Array.from(input.files || []);
    input.value = '';
    uploadAll(files);
  });
  bindDropZone(zone, uploadAll);
  return h('div', { class: 'drive-tools' }, folderForm, zone, uploadError, uploads);
}

async function uploadFile(file, folderId, table, uploads, uploadError) {
  const id = `upload-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const progress = h('progress', { max: '100', value: '0', 'aria-labelledby': `${id}-name` });
  const state = h('span', { class: 'upload-state' }, 'Preparing…');
  const element = h('li', { class: 'upload' }, h('span', { class: 'upload-name', id: `${id}-name` }, file.name || 'Unnamed file'), state, progress);
  uploads.append(element);
  const setState = (text, kind = '') => {
    state.textContent = text;
    element.dataset.state = kind;
  };
  const signal = app.controller.signal;
  try {
    const announced = contentTypeOf(file);
    const body = { fileName: file.name, contentType: announced, size: file.size };
    if (folderId) body.folderId = folderId;
    const ticket = await call('/uploads', { method: 'POST', body });
    const doc = ticket && ticket.document;
    const upload = ticket && ticket.upload;
    if (!doc || !upload || !isHttpUrl(upload.url)) throw new ApiError(0, { detail: 'The server returned an incomplete upload ticket.' });
    if (table.element.isConnected) table.upsert({ ...doc, kind: 'document' }, 'prepend');
    setState('Uploading… 0%');
    await putWithProgress(upload, file, doc.contentType || announced, (fraction) => {
      const percent = Math.round(fraction * 100);
      progress.value = percent;
      state.textContent = `Uploading… ${percent}%`;
    }, signal);
    progress.value = 100;
    setState('Uploaded, checking…');
    let settled = null;
    for (let attempt = 0; attempt < POLL_ATTEMPTS && !settled; attempt += 1) {
      await delay(POLL_INTERVAL_MS, signal);
      try {
        const current = await call(`/documents/${encodeURIComponent(doc.id)}`);
        if (table.element.isConnected) table.upsert({ ...current, kind: 'document' });
        if (current.status !== 'pending') settled = current;
      } catch (err) {
        if (!(err instanceof ApiError && (err.status === 0 || err.status >= 500))) throw err;
      }
    }
    if (!settled) setState('Still processing; it will show as available shortly.');
    else if (settled.status === 'available') {
      setState('Available', 'done');
      announce(`${file.name} is available.`);
    } else {
      setState('Rejected', 'error');
      setAlert(uploadError, `${file.name}: ${settled.rejectedReason || 'the file was rejected.'}`);
    }
  } catch (err) {
    if (isSilent(err)) return;
    setState('Failed', 'error');
    setAlert(uploadError, `${file.name || 'Upload'}: ${problemMessage(err)}`);
  }
}

// Move: browse the folders, then "Move here".
function openMoveDialog(entry, onMoved) {
  const kind = entry.kind === 'folder' ? 'folder' : 'document';
  const { body, close } = openDialog({ title: `Move “${entry.name}”` });
  const alert = h('p', { class: 'alert', role: 'alert' });
  const where = h('p', { 'aria-live': 'polite' });
  const list = h('ul', { class: 'folder-picker', 'aria-label': 'Folders' });
  const here = h('button', { type: 'button', class: 'button' }, 'Move here');
  const up = h('button', { type: 'button', class: 'button button--secondary' }, 'Up one level');
  let stack = [{ id: null, name: 'Drive' }];

  async function show() {
    const current = stack[stack.length - 1];
    where.textContent = `Destination: ${stack.map((f) => f.name).join(' / ')}`;
    up.hidden = stack.length === 1;
    list.replaceChildren(h('li', { class: 'muted' }, 'Loading…'));
    try {
      const items = await allPages(current.id ? `/folders/${encodeURIComponent(current.id)}/items` : '/drive');
      const folders = items.filter((i) => i.kind === 'folder' && i.id !== entry.id);
      list.replaceChildren(
        ...folders.map((folder) => {
          const open = h('button', { type: 'button', class: 'button button--small button--secondary' }, `Open ${folder.name}`);
          open.addEventListener('click', () => {
            stack.push({ id: folder.id, name: folder.name });
            show().then(() => here.focus());
          });
          return h('li', {}, open);
        }),
      );
      if (!folders.length) list.append(h('li', { class: 'muted' }, 'No folders here.'));
    } catch (err) {
      if (!isSilent(err)) setAlert(alert, problemMessage(err));
    }
  }
  up.addEventListener('click', () => {
    stack = stack.slice(0, -1);
    show();
  });
  here.addEventListener('click', async () => {
    if (isBusy(here)) return;
    const target = stack[stack.length - 1].id;
    setBusy(here, true, 'Moving…');
    setAlert(alert, '');
    try {
      const field = kind === 'folder' ? 'parentId' : 'folderId';
      await call(`/${kind === 'folder' ? 'folders' : 'documents'}/${encodeURIComponent(entry.id)}`, { method: 'PATCH', body: { [field]: target } });
      close();
      onMoved();
    } catch (err) {
      if (!isSilent(err)) setAlert(alert, problemMessage(err));
      setBusy(here, false);
    }
  });
  body.append(where, list, alert, h('div', { class: 'button-row' }, here, up, h('button', { type: 'button', class: 'button button--secondary', onclick: close }, 'Cancel')));
  show();
}

// Share with contacts (and/or a whole organization), optionally until a date.
export function openShareDialog(entry) {
  const kind = entry.kind === 'folder' ? 'folder' : 'document';
  const { body, close } = openDialog({ title: `Share “${entry.name}”`, wide: true });
  const alert = h('p', { class: 'alert', role: 'alert' });
  const filter = h('input', { id: 'share-filter', type: 'search', autocomplete: 'off', maxlength: 100, placeholder: 'Name, email or organization' });
  const list = h('ul', { class: 'pick-list', 'aria-label': 'Contacts' }, h('li', { class: 'muted' }, 'Loading contacts…'));
  const org = h('select', { id: 'share-organization', name: 'organizationId' }, organizationOptions('', 'No organization'));
  const until = h('input', { id: 'share-until', name: 'availableUntil', type: 'date', min: tomorrow() });
  const submit = h('button', { type: 'submit', class: 'button' }, 'Share');
  const form = h(
    'form',
    { class: 'form', novalidate: true, id: 'share-form' },
    h('div', { class: 'field' }, h('label', { for: 'share-filter' }, 'Find contacts'), filter),
    h('fieldset', { class: 'fieldset' }, h('legend', {}, 'Contacts'), list),
    h('div', { class: 'field' }, h('label', { for: 'share-organization' }, 'Also every contact of an organization'), org),
    h('div', { class: 'field' }, h('label', { for: 'share-until' }, 'Available until (optional)'), until),
    h('p', { class: 'hint' }, kind === 'folder' ? 'A shared folder includes everything it holds, later additions too. ' : '', 'Contacts without portal access get their invitation by email.'),
    alert,
    h('div', { class: 'button-row' }, submit, h('button', { type: 'button', class: 'button button--secondary', onclick: close }, 'Cancel')),
  );
  body.append(form);
  loadOrganizations()
    .then(() => org.replaceChildren(...organizationOptions('', 'No organization')))
    .catch(() => {});
  // Contacts come from the server's search (`GET /contacts?q=`), one page at a time; the
  // ones ticked stay chosen while the search changes.
  const chosen = new Map();
  let generation = 0;
  async function showContacts(q) {
    generation += 1;
    const mine = generation;
    const params = new URLSearchParams({ limit: String(SHARE_CONTACTS_SHOWN) });
    if (q) params.set('q', q);
    try {
      const page = await call(`/contacts?${params}`);
      if (mine !== generation) return;
      const contacts = page && Array.isArray(page.items) ? page.items : [];
      list.replaceChildren(
        ...contacts.map((c) => {
          const box = h('input', { type: 'checkbox', id: `share-contact-${c.id}`, name: 'contactIds', value: c.id });
          box.checked = chosen.has(c.id);
          box.addEventListener('change', () => (box.checked ? chosen.set(c.id, c) : chosen.delete(c.id)));
          return h('li', {}, box, h('label', { for: `share-contact-${c.id}` }, c.name, h('span', { class: 'muted' }, ` ${c.email}`)));
        }),
      );
      if (!contacts.length) list.append(h('li', { class: 'muted' }, q ? `No contacts match “${q}”.` : 'No contacts yet: add one under Contacts.'));
      if (page && page.nextCursor) list.append(h('li', { class: 'muted' }, 'More contacts: type a name or an email to find them.'));
    } catch (err) {
      if (mine === generation && !isSilent(err)) setAlert(alert, problemMessage(err));
    }
  }
  showContacts('');
  let filterTimer = 0;
  filter.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => showContacts(filter.value.trim()), SEARCH_DELAY_MS);
  });
  bindForm(
    form,
    alert,
    async (data) => {
      const contactIds = [...chosen.keys()];
      const request = { items: [{ kind, id: entry.id }], contactIds };
      if (data.get('organizationId')) request.organizationId = String(data.get('organizationId'));
      if (data.get('availableUntil')) request.availableUntil = endOfDay(String(data.get('availableUntil')));
      if (!contactIds.length && !request.organizationId) {
        setAlert(alert, 'Choose at least one contact or an organization.');
        return;
      }
      const result = await call('/shares', { method: 'POST', body: request });
      close();
      if (isJob(result)) {
        followJob(result, { label: `Sharing ${entry.name}`, status: document.getElementById('drive-job') }).catch(() => {});
        return;
      }
      const count = result && Array.isArray(result.contacts) ? result.contacts.length : contactIds.length;
      announce(`${entry.name} shared with ${count} contact${count === 1 ? '' : 's'}.`);
    },
    'Sharing…',
  );
  filter.focus();
}

// Details: who it is shared with (unshare), and the document's activity.
function openDetails(entry) {
  const kind = entry.kind === 'folder' ? 'folder' : 'document';
  const plural = kind === 'folder' ? 'folders' : 'documents';
  const { body } = openDialog({ title: entry.name, wide: true });
  const facts = h('dl', { class: 'facts' });
  const fact = (term, value) => facts.append(h('dt', {}, term), h('dd', {}, value));
  fact('Kind', kind === 'folder' ? 'Folder' : entry.contentType || 'Document');
  if (kind === 'document') {
    fact('Size', formatSize(entry.size));
    fact('Status', badge(entry.status, DOCUMENT_LABELS));
  }
  fact('Created', dateElement(entry.createdAt));
  body.append(facts);

  const alert = h('p', { class: 'alert', role: 'alert' });
  const list = h('ul', { class: 'shared-list', 'aria-label': 'Shared with' });
  const empty = h('p', { class: 'empty', hidden: true }, 'Not shared with anyone.');
  allPages(`/${plural}/${encodeURIComponent(entry.id)}/shares`)
    .then((recipients) => {
      list.replaceChildren(
        ...recipients.map((r) => {
          const contact = r.contact || {};
          const li = h('li', {}, h('strong', {}, contact.name || 'Contact'), h('span', { class: 'muted' }, ` ${contact.email || ''} — ${untilText(r.availableUntil)}`));
          if (canWrite()) {
            const stop = h('button', { type: 'button', class: 'button button--small button--secondary', 'aria-label': `Stop sharing with ${contact.name}` }, 'Stop sharing');
            stop.addEventListener('click', async () => {
              setAlert(alert, '');
              try {
                await call(`/contacts/${encodeURIComponent(r.contactId)}/shares/${encodeURIComponent(entry.id)}`, { method: 'DELETE' });
                li.remove();
                empty.hidden = list.children.length > 0;
                announce(`Stopped sharing with ${contact.name}.`);
                list.focus();
              } catch (err) {
                if (!isSilent(err)) setAlert(alert, problemMessage(err));
              }
            });
            li.append(' ', stop);
          }
          return li;
        }),
      );
      empty.hidden = recipients.length > 0;
    })
    .catch((err) => isSilent(err) || setAlert(alert, problemMessage(err)));
  list.setAttribute('tabindex', '-1');
  body.append(section('Shared with', list, empty, alert));
  if (kind === 'document') body.append(section('Activity', activityList(`/documents/${encodeURIComponent(entry.id)}/activity`, `Activity of ${entry.name}`)));
}

