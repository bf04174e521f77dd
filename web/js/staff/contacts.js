// Contacts and organizations: the list with the "Access to portal" toggle (access-toggle.js),
// search, paging, creation, organizations (create, open / close access for all, delete).

import { h, setAlert, setBusy, isBusy, isSilent, problemMessage, announce, confirmDialog, dateElement } from '../ui.js';
import { call, canWrite, rememberContact } from './state.js';
import { pagedTable } from './list.js';
import { bindForm, promptDialog } from './common.js';
import { openAccessWindow } from './access.js';
import { accessCell } from './access-toggle.js';
import { followJob, isJob } from './jobs.js';
import { organizations, loadOrganizations, organizationOptions } from './organizations.js';

// How long typing must pause before a search is sent.
const SEARCH_DELAY_MS = 300;

export function renderContacts(view) {
  const alert = h('p', { class: 'alert', role: 'alert' });
  let query = '';
  // A search lists every organization's matches: the chosen organization narrows the page.
  const matches = (contact) => !query || !orgFilter.value || contact.organizationId === orgFilter.value;

  const table = pagedTable({
    id: 'contacts-table',
    caption: 'Contacts',
    noun: 'contacts',
    path: '/contacts',
    empty: 'No contacts to show.',
    filter: matches,
    columns: [{ label: 'Name' }, { label: 'Email' }, { label: 'Organization' }, { label: 'Access to portal' }, { label: 'Actions', hidden: true }],
    row: (contact) => {
      rememberContact(contact);
      const org = organizations.get(contact.organizationId);
      const manage = h(
        'button',
        { type: 'button', class: 'button button--small button--secondary', 'aria-label': `Open the access window of ${contact.name}`, 'data-manage': contact.id },
        canWrite() ? 'Manage access' : 'View access',
      );
      manage.addEventListener('click', () => openAccessWindow(contact, (updated) => table.upsert(updated)));
      return [
        h('th', { scope: 'row' }, contact.name),
        h('td', { class: 'email' }, contact.email),
        h('td', {}, org ? org.name : '—'),
        accessCell(contact, (updated) => table.upsert(updated), alert),
        h('td', { class: 'actions' }, manage),
      ];
    },
  });

  // Search on the server (`GET /contacts?q=`: words of the name, email or organization),
  // paged with its cursor like the plain list; typing waits for a pause before asking.
  const search = h('input', { id: 'contact-search', type: 'search', name: 'q', autocomplete: 'off', maxlength: 100, placeholder: 'Name, email or organization' });
  const searchNote = h('p', { class: 'hint', id: 'contact-search-note', 'aria-live': 'polite' });
  const orgFilter = h('select', { id: 'contact-org-filter' }, organizationOptions('', 'All organizations'));
  const listPath = () => {
    if (query) return `/contacts?q=${encodeURIComponent(query)}`;
    return orgFilter.value ? `/organizations/${encodeURIComponent(orgFilter.value)}/contacts` : '/contacts';
  };
  async function show() {
    table.setEmpty(query ? `No contacts match “${query}”.` : 'No contacts to show.');
    await table.reload(listPath());
    if (!query) {
      searchNote.textContent = '';
      return;
    }
    const shown = table.applyFilter();
    searchNote.textContent = `${shown} matching contact${shown === 1 ? '' : 's'} shown${table.hasMore() ? '; “Load more” for the next page' : ''}.`;
  }
  let searchTimer = 0;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      const next = search.value.trim();
      if (next === query) return;
      query = next;
      show();
    }, SEARCH_DELAY_MS);
  });
  orgFilter.addEventListener('change', () => (query ? table.applyFilter() : show()));

  const contactsCard = h(
    'section',
    { class: 'card', 'aria-labelledby': 'contacts-title' },
    h('h2', { id: 'contacts-title' }, 'Contacts'),
    canWrite() ? newContactForm(table) : '',
    h(
      'div',
      { class: 'toolbar' },
      h('div', { class: 'field' }, h('label', { for: 'contact-search' }, 'Search contacts'), search),
      h('div', { class: 'field' }, h('label', { for: 'contact-org-filter' }, 'Organization'), orgFilter),
    ),
    searchNote,
    alert,
    table.element,
  );

  view.append(contactsCard, organizationsCard(table, orgFilter));
  loadOrganizations()
    .then(() => {
      orgFilter.replaceChildren(...organizationOptions(orgFilter.value, 'All organizations'));
      const select = document.getElementById('contact-organization');
      if (select) select.replaceChildren(...organizationOptions(''));
      // Only a row naming an organization changes; re-rendering the others would take away an
      // element the user (or a test) is about to click.
      for (const [id, contact] of table.items) if (contact.organizationId) table.refreshRow(id);
    })
    .catch((err) => isSilent(err) || setAlert(alert, problemMessage(err)));
  table.load();
}

function newContactForm(table) {
  const alert = h('p', { class: 'alert', role: 'alert', id: 'contact-error' });
  const form = h(
    'form',
    { id: 'contact-form', class: 'form form--grid', 'aria-labelledby': 'contact-form-title', novalidate: true },
    h('h3', { id: 'contact-form-title' }, 'Add a contact'),
    h('div', { class: 'field' }, h('label', { for: 'contact-name' }, 'Name'), h('input', { id: 'contact-name', name: 'name', type: 'text', autocomplete: 'off', required: true, maxlength: 200 })),
    h('div', { class: 'field' }, h('label', { for: 'contact-email' }, 'Email'), h('input', { id: 'contact-email', name: 'email', type: 'email', autocomplete: 'off', required: true, maxlength: 254 })),
    h('div', { class: 'field' }, h('label', { for: 'contact-organization' }, 'Organization'), h('select', { id: 'contact-organization', name: 'organizationId' }, organizationOptions(''))),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'contact-language' }, 'Email language'),
      h('select', { id: 'contact-language', name: 'language' }, h('option', { value: 'en' }, 'English'), h('option', { value: 'fr' }, 'French')),
    ),
    h('button', { type: 'submit', class: 'button' }, 'Add contact'),
    alert,
  );
  bindForm(
    form,
    alert,
    async (data) => {
      const body = { name: String(data.get('name')).trim(), email: String(data.get('email')).trim(), language: data.get('language') || 'en' };
      if (data.get('organizationId')) body.organizationId = data.get('organizationId');
      const contact = await call('/contacts', { method: 'POST', body });
      table.upsert(contact, 'prepend');
      form.reset();
      form.querySelector('#contact-name').focus();
      announce(`Contact ${contact.name} added.`);
    },
    'Adding…',
  );
  return form;
}

function organizationsCard(contactsTable, orgFilter) {
  const alert = h('p', { class: 'alert', role: 'alert' });
  const refreshSelects = () => {
    orgFilter.replaceChildren(...organizationOptions(orgFilter.value, 'All organizations'));
    const select = document.getElementById('contact-organization');
    if (select) select.replaceChildren(...organizationOptions(select.value));
  };

  async function setAccess(org, open, button) {
    if (isBusy(button)) return;
    setAlert(alert, '');
    if (!open && !(await confirmDialog('Close access for the whole organization?', `Every contact of ${org.name} loses portal access.`, 'Close access', { danger: true }))) return;
    setBusy(button, true, open ? 'Opening…' : 'Closing…');
    try {
      const result = await call(`/organizations/${encodeURIComponent(org.id)}/access`, { method: open ? 'POST' : 'DELETE' });
      if (isJob(result)) {
        await followJob(result, { label: `${open ? 'Opening' : 'Closing'} access for ${org.name}`, status: alert });
        return;
      }
      const contacts = (result && result.contacts) || [];
      for (const contact of contacts) if (contactsTable.items.has(contact.id)) contactsTable.upsert(contact);
      announce(`${open ? 'Opened' : 'Closed'} portal access for ${contacts.length} contact${contacts.length === 1 ? '' : 's'} of ${org.name}.`);
    } catch (err) {
      if (!isSilent(err)) setAlert(alert, `${org.name}: ${problemMessage(err)}`);
    } finally {
      setBusy(button, false);
    }
  }

  const table = pagedTable({
    id: 'organizations-table',
    caption: 'Organizations',
    noun: 'organizations',
    path: '/organizations',
    empty: 'No organizations yet.',
    columns: [{ label: 'Name' }, { label: 'Created' }, { label: 'Actions', hidden: true }],
    row: (org) => {
      organizations.set(org.id, org);
      const actions = h('td', { class: 'actions' });
      if (canWrite()) {
        const open = h('button', { type: 'button', class: 'button button--small', 'aria-label': `Open portal access for every contact of ${org.name}` }, 'Open access for all');
        const closeAll = h('button', { type: 'button', class: 'button button--small button--secondary', 'aria-label': `Close portal access for every contact of ${org.name}` }, 'Close access for all');
        const rename = h('button', { type: 'button', class: 'button button--small button--secondary', 'aria-label': `Rename ${org.name}` }, 'Rename');
        const remove = h('button', { type: 'button', class: 'button button--small button--danger-outline', 'aria-label': `Delete ${org.name}` }, 'Delete');
        open.addEventListener('click', () => setAccess(org, true, open));
        closeAll.addEventListener('click', () => setAccess(org, false, closeAll));
        rename.addEventListener('click', () =>
          promptDialog({
            title: 'Rename organization',
            label: 'Name',
            value: org.name,
            maxlength: 200,
            save: async (name) => {
              const updated = await call(`/organizations/${encodeURIComponent(org.id)}`, { method: 'PATCH', body: { name } });
              table.upsert(updated);
              refreshSelects();
              announce(`Renamed to ${updated.name}.`);
            },
          }),
        );
        remove.addEventListener('click', async () => {
          if (!(await confirmDialog('Delete organization?', `Delete ${org.name}? Only an organization without contacts can be deleted.`, 'Delete', { danger: true }))) return;
          setAlert(alert, '');
          try {
            await call(`/organizations/${encodeURIComponent(org.id)}`, { method: 'DELETE' });
            table.remove(org.id);
            organizations.delete(org.id);
            refreshSelects();
            announce(`${org.name} deleted.`);
          } catch (err) {
            if (!isSilent(err)) setAlert(alert, `${org.name}: ${problemMessage(err)}`);
          }
        });
        actions.append(h('span', { class: 'button-row button-row--tight' }, open, closeAll, rename, remove));
      }
      return [h('th', { scope: 'row' }, org.name), h('td', {}, dateElement(org.createdAt)), actions];
    },
  });

  let form = '';
  if (canWrite()) {
    const formAlert = h('p', { class: 'alert', role: 'alert' });
    form = h(
      'form',
      { id: 'organization-form', class: 'form form--inline', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: 'organization-name' }, 'New organization'), h('input', { id: 'organization-name', name: 'name', type: 'text', required: true, maxlength: 200, autocomplete: 'off' })),
      h('button', { type: 'submit', class: 'button' }, 'Create organization'),
      formAlert,
    );
    bindForm(
      form,
      formAlert,
      async (data) => {
        const org = await call('/organizations', { method: 'POST', body: { name: String(data.get('name')).trim() } });
        table.upsert(org, 'prepend');
        refreshSelects();
        form.reset();
        announce(`Organization ${org.name} created.`);
      },
      'Creating…',
    );
  }
  table.load();
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'organizations-title' },
    h('h2', { id: 'organizations-title' }, 'Organizations'),
    h('p', { class: 'hint' }, 'Group contacts by company. Assign a contact to an organization in their access window.'),
    form,
    alert,
    table.element,
  );
}
