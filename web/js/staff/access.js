// The access window of a contact: portal access (open / close), the portal link, the
// organization, the selection of shared folders and documents, submissions, activity trail.

import { h, badge, setAlert, setBusy, isBusy, isSilent, problemMessage, announce, openDialog, copyText, formatSize, dateElement } from '../ui.js';
import { call, canWrite, allPages, portalLink } from './state.js';
import { ACCESS_LABELS, DOCUMENT_LABELS, activityList, section, endOfDay, dateInputValue, tomorrow, untilText, download, bindForm } from './common.js';
import { accessButtons } from './access-toggle.js';
import { organizations, organizationOptions } from './organizations.js';

const ACCESS_TEXT = {
  none: 'This contact has no access to the portal.',
  pending: 'Invitation sent: the contact has not registered yet.',
  active: 'The contact can sign in to the portal.',
  closed: 'Access is closed: the contact can no longer sign in.',
};

export function openAccessWindow(initial, onChange = () => {}) {
  let contact = initial;
  const { body, heading } = openDialog({ title: `Access window — ${contact.name}`, wide: true, className: 'access-window' });
  heading.textContent = `Access window — ${contact.name}`;

  const changed = (updated) => {
    contact = updated;
    onChange(updated);
    renderAccess();
  };

  // ---- portal access ----
  const accessBox = h('div', { class: 'access-box' });
  const accessAlert = h('p', { class: 'alert', role: 'alert' });
  function renderAccess() {
    const parts = [
      h('p', { class: 'access-status' }, badge(contact.accessStatus, ACCESS_LABELS), ' ', ACCESS_TEXT[contact.accessStatus] || ''),
      h('p', { class: 'muted email' }, contact.email),
    ];
    if (contact.accessChangedAt) parts.push(h('p', { class: 'muted' }, 'Last change: ', dateElement(contact.accessChangedAt)));
    if (canWrite()) {
      parts.push(
        accessButtons(contact, {
          onChanged: changed,
          alert: accessAlert,
          refocus: () => {
            const next = accessBox.querySelector('button');
            if (next) next.focus();
          },
        }),
      );
    }
    accessBox.replaceChildren(...parts);
  }
  renderAccess();

  const link = portalLink();
  const linkInput = h('input', { id: 'access-portal-link', type: 'text', readonly: true, value: link });
  const copy = h('button', { type: 'button', class: 'button button--secondary' }, 'Copy link');
  copy.addEventListener('click', async () => announce((await copyText(link, linkInput)) ? 'Portal link copied.' : 'Press Ctrl+C to copy the selected link.'));

  body.append(
    section(
      'Portal access',
      accessBox,
      accessAlert,
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'access-portal-link' }, 'Portal link'),
        h('div', { class: 'copy-row' }, linkInput, copy),
        h('p', { class: 'hint' }, 'The invitation with a personal registration link is emailed when access opens. Afterwards the contact signs in at this link.'),
      ),
    ),
  );

  // ---- organization ----
  if (canWrite()) {
    const alert = h('p', { class: 'alert', role: 'alert' });
    const form = h(
      'form',
      { class: 'form form--inline', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: 'access-organization' }, 'Organization'), h('select', { id: 'access-organization', name: 'organizationId' }, organizationOptions(contact.organizationId))),
      h('button', { type: 'submit', class: 'button button--secondary' }, 'Save organization'),
      alert,
    );
    bindForm(form, alert, async (data) => {
      const organizationId = data.get('organizationId') || null;
      const updated = await call(`/contacts/${encodeURIComponent(contact.id)}`, { method: 'PATCH', body: { organizationId } });
      changed(updated);
      const org = organizations.get(updated.organizationId);
      announce(org ? `${updated.name} now belongs to ${org.name}.` : `${updated.name} belongs to no organization.`);
    });
    body.append(section('Organization', form));
  } else {
    const org = organizations.get(contact.organizationId);
    body.append(section('Organization', h('p', {}, org ? org.name : 'No organization')));
  }

  body.append(section('Shared folders and documents', sharesEditor(contact, () => contact, changed)));
  body.append(section('Submissions', contactSubmissions(contact)));
  body.append(section('Activity', activityList(`/contacts/${encodeURIComponent(contact.id)}/activity`, `Activity of ${contact.name}`)));
}

function sharesEditor(contact, current, changed) {
  const wrap = h('div', { class: 'shares-editor' });
  const alert = h('p', { class: 'alert', role: 'alert' });
  const list = h('ul', { class: 'shared-list', 'aria-label': `Shared with ${contact.name}` });
  const empty = h('p', { class: 'empty' }, 'Nothing is shared with this contact.');
  // id → { kind, availableUntil }
  const selection = new Map();

  function renderShared(items) {
    list.replaceChildren(
      ...items.map((item) => {
        const target = item.target || {};
        const kind = item.item ? item.item.kind : target.kind;
        return h(
          'li',
          { 'data-item': item.item ? item.item.id : '' },
          h('span', { class: `kind kind--${kind}` }, kind === 'folder' ? 'Folder' : 'Document'),
          ' ',
          h('strong', {}, target.name || 'Unnamed'),
          h('span', { class: 'muted' }, ` — ${untilText(item.availableUntil)}`),
        );
      }),
    );
    empty.hidden = items.length > 0;
  }

  wrap.append(h('h4', {}, 'Currently shared'), list, empty, alert);

  let treeRoot = null;
  async function loadShares() {
    try {
      const items = await allPages(`/contacts/${encodeURIComponent(contact.id)}/shares`);
      selection.clear();
      for (const item of items) if (item.item) selection.set(item.item.id, { kind: item.item.kind, availableUntil: item.availableUntil });
      renderShared(items);
      if (treeRoot) syncTree(treeRoot);
    } catch (err) {
      if (!isSilent(err)) setAlert(alert, problemMessage(err));
    }
  }

  function syncTree(root) {
    for (const box of root.querySelectorAll('input[type="checkbox"][data-item]')) {
      const chosen = selection.get(box.dataset.item);
      box.checked = Boolean(chosen);
      const date = root.querySelector(`input[type="date"][data-item="${CSS.escape(box.dataset.item)}"]`);
      if (date) {
        date.value = chosen ? dateInputValue(chosen.availableUntil) : '';
        date.disabled = !chosen;
      }
    }
  }

  if (canWrite()) {
    const status = h('p', { class: 'hint', 'aria-live': 'polite' });
    treeRoot = h('ul', { class: 'tree', role: 'list', 'aria-label': 'Drive: choose what to share' });
    const save = h('button', { type: 'button', class: 'button', id: 'shares-save' }, 'Save selection');
    const saveAlert = h('p', { class: 'alert', role: 'alert' });
    save.addEventListener('click', async () => {
      if (isBusy(save)) return;
      setAlert(saveAlert, '');
      setBusy(save, true, 'Saving…');
      try {
        const items = [...selection].map(([id, v]) => (v.availableUntil ? { kind: v.kind, id, availableUntil: v.availableUntil } : { kind: v.kind, id }));
        const saved = await call(`/contacts/${encodeURIComponent(contact.id)}/shares`, { method: 'PUT', body: { items } });
        const shared = Array.isArray(saved) ? saved : [];
        renderShared(shared);
        announce(`Selection saved: ${shared.length} item${shared.length === 1 ? '' : 's'} shared with ${contact.name}.`);
        if (items.length && current().accessStatus === 'none') {
          const updated = await call(`/contacts/${encodeURIComponent(contact.id)}`);
          changed(updated);
        }
      } catch (err) {
        if (!isSilent(err)) setAlert(saveAlert, problemMessage(err));
      } finally {
        setBusy(save, false);
      }
    });
    const note = current().accessStatus === 'none' ? h('p', { class: 'hint' }, 'Sharing opens portal access for this contact and emails the invitation.') : '';
    wrap.append(
      h('h4', {}, 'Choose what to share'),
      h('p', { class: 'hint' }, 'Tick folders and documents; a shared folder includes everything it holds, later additions too. An optional date ends the share.'),
      treeRoot,
      status,
      note,
      saveAlert,
      h('div', { class: 'button-row' }, save),
    );
    loadLevel(null, treeRoot, selection, status).then(() => syncTree(treeRoot));
  }
  loadShares();
  return wrap;
}

// One level of the drive as a list of checkboxes; folders expand on demand.
async function loadLevel(folderId, container, selection, status) {
  const path = folderId ? `/folders/${encodeURIComponent(folderId)}/items` : '/drive';
  container.setAttribute('aria-busy', 'true');
  try {
    const entries = await allPages(path);
    container.replaceChildren(...entries.filter((e) => e.kind === 'folder' || e.status === 'available').map((entry) => treeItem(entry, selection, status)));
    if (!entries.length) container.append(h('li', { class: 'muted' }, folderId ? 'This folder is empty.' : 'The drive is empty: upload documents in Drive first.'));
  } catch (err) {
    if (!isSilent(err)) container.replaceChildren(h('li', { class: 'alert', role: 'alert' }, problemMessage(err)));
  } finally {
    container.removeAttribute('aria-busy');
  }
}

function treeItem(entry, selection, status) {
  const chosen = selection.get(entry.id);
  const boxId = `share-${entry.id}`;
  const dateId = `share-until-${entry.id}`;
  const box = h('input', { type: 'checkbox', id: boxId, 'data-item': entry.id, checked: Boolean(chosen) });
  const date = h('input', { type: 'date', id: dateId, 'data-item': entry.id, min: tomorrow(), value: chosen ? dateInputValue(chosen.availableUntil) : '', disabled: !chosen });
  box.addEventListener('change', () => {
    if (box.checked) selection.set(entry.id, { kind: entry.kind, availableUntil: endOfDay(date.value) });
    else selection.delete(entry.id);
    date.disabled = !box.checked;
    status.textContent = `${selection.size} item${selection.size === 1 ? '' : 's'} selected (not saved yet).`;
  });
  date.addEventListener('change', () => {
    const item = selection.get(entry.id);
    if (item) item.availableUntil = endOfDay(date.value);
  });
  const label = h('label', { for: boxId }, h('span', { class: `kind kind--${entry.kind}` }, entry.kind === 'folder' ? 'Folder' : 'Document'), ' ', entry.name);
  const row = h(
    'div',
    { class: 'tree-row' },
    box,
    label,
    entry.kind === 'document' ? h('span', { class: 'muted' }, formatSize(entry.size)) : '',
    h('span', { class: 'tree-until' }, h('label', { for: dateId, class: 'visually-hidden' }, `Available until (${entry.name})`), h('span', { class: 'muted', 'aria-hidden': 'true' }, 'until'), date),
  );
  const li = h('li', {}, row);
  if (entry.kind === 'folder') {
    const children = h('ul', { class: 'tree', role: 'list', hidden: true, 'aria-label': `Contents of ${entry.name}` });
    const expand = h('button', { type: 'button', class: 'button button--small button--secondary', 'aria-expanded': 'false', 'aria-label': `Show the contents of ${entry.name}` }, 'Show contents');
    let loaded = false;
    expand.addEventListener('click', async () => {
      const open = expand.getAttribute('aria-expanded') !== 'true';
      expand.setAttribute('aria-expanded', String(open));
      expand.textContent = open ? 'Hide contents' : 'Show contents';
      children.hidden = !open;
      if (open && !loaded) {
        loaded = true;
        await loadLevel(entry.id, children, selection, status);
      }
    });
    row.insertBefore(expand, row.children[2]);
    li.append(children);
  }
  return li;
}

function contactSubmissions(contact) {
  const list = h('ul', { class: 'doc-list', 'aria-label': `Submissions of ${contact.name}` });
  const alert = h('p', { class: 'alert', role: 'alert' });
  const empty = h('p', { class: 'empty', hidden: true }, 'No submissions from this contact.');
  allPages(`/contacts/${encodeURIComponent(contact.id)}/submissions`, { max: 200 })
    .then((docs) => {
      list.replaceChildren(
        ...docs.map((doc) => {
          const li = h('li', {}, h('strong', { class: 'file-name' }, doc.name), ' ', h('span', { class: 'muted' }, formatSize(doc.size), ' · ', dateElement(doc.createdAt)), ' ', badge(doc.status, DOCUMENT_LABELS));
          if (doc.status === 'available') {
            const button = h('button', { type: 'button', class: 'button button--small button--secondary', 'aria-label': `Download ${doc.name}` }, 'Download');
            button.addEventListener('click', () => download(doc.id, button, alert));
            li.append(' ', button);
          }
          return li;
        }),
      );
      empty.hidden = docs.length > 0;
    })
    .catch((err) => isSilent(err) || setAlert(alert, problemMessage(err)));
  return h('div', {}, list, empty, alert);
}
