// "Shared with me": everything companies shared with the customer, searched, filtered and
// sorted by the API (GET /portal/shares), paged with "Show more". Shared items can be
// downloaded, never deleted.

import { ApiError } from '../api.js';
import { announce, dateElement, formatSize, h, isBusy, isHttpUrl, setAlert, setBusy } from '../ui.js';
import { companyLabel } from './branding.js';
import { app, byId, call, reportError, str } from './context.js';

const PAGE_SIZE = 50;
const FACET_SIZE = 100;
const SEARCH_DELAY_MS = 300;

const list = {
  cursor: null,
  loading: false,
  // Bumped by every new search: answers to an older one are dropped.
  generation: 0,
  shown: 0,
  total: 0,
};
// Folders seen in the customer's shares, by id: { id, name, company }.
const folders = new Map();
let searchTimer = null;
// A programmatic reset (sign-out) must not search.
let quietReset = false;

const TYPE_LABELS = [
  [/^application\/pdf$/, 'PDF'],
  [/^image\//, 'Image'],
  [/^text\/csv$/, 'CSV'],
  [/^text\//, 'Text'],
  [/wordprocessingml|msword|opendocument\.text/, 'Word'],
  [/spreadsheetml|ms-excel|opendocument\.spreadsheet/, 'Spreadsheet'],
  [/presentationml|ms-powerpoint|opendocument\.presentation/, 'Slides'],
  [/zip|compressed|x-tar|gzip/, 'Archive'],
  [/^video\//, 'Video'],
  [/^audio\//, 'Audio'],
];

export function typeLabel(contentType) {
  const type = str(contentType).toLowerCase();
  for (const [pattern, label] of TYPE_LABELS) if (pattern.test(type)) return label;
  return 'File';
}

function filterForm() {
  return byId('filters');
}

// The query string of the current search, filters and order.
function currentQuery() {
  const form = filterForm();
  const params = new URLSearchParams();
  const q = form.elements.q.value.trim();
  if (q) params.set('q', q);
  for (const name of ['company', 'folder', 'type', 'from', 'to']) {
    const value = form.elements[name].value;
    if (value) params.set(name, value);
  }
  const [sort, order] = form.elements.sort.value.split(':');
  params.set('sort', sort || 'date');
  if (order) params.set('order', order);
  params.set('limit', String(PAGE_SIZE));
  return params;
}

function filtersActive() {
  const form = filterForm();
  return ['q', 'company', 'folder', 'type', 'from', 'to'].some((name) => form.elements[name].value.trim() !== '');
}

function folderLabel(folder) {
  const several = app.companies.size > 1;
  return several && folder.company ? `${folder.name} (${folder.company})` : folder.name;
}

function rememberFolders(items) {
  let added = false;
  for (const item of items) {
    const folder = item && item.folder;
    if (!folder || typeof folder.id !== 'string' || folders.has(folder.id)) continue;
    folders.set(folder.id, { id: folder.id, name: str(folder.name) || 'Folder', company: str(item.company && item.company.name) });
    added = true;
  }
  if (added) renderFolderOptions();
}

function renderFolderOptions() {
  const select = filterForm().elements.folder;
  const chosen = select.value;
  const sorted = [...folders.values()].sort((a, b) => folderLabel(a).localeCompare(folderLabel(b)));
  select.replaceChildren(
    h('option', { value: '' }, 'All folders'),
    ...sorted.map((folder) => h('option', { value: folder.id }, folderLabel(folder))),
  );
  select.value = folders.has(chosen) ? chosen : '';
  byId('filter-folder').closest('.field').hidden = folders.size === 0;
}

export function renderCompanyOptions() {
  const select = filterForm().elements.company;
  const chosen = select.value;
  const companies = [...app.companies.values()].sort((a, b) => str(a.name).localeCompare(str(b.name)));
  select.replaceChildren(
    h('option', { value: '' }, 'All companies'),
    ...companies.map((company) => h('option', { value: company.tenantId }, str(company.name))),
  );
  select.value = app.companies.has(chosen) ? chosen : '';
  // One company: nothing to choose.
  byId('filter-company-field').hidden = companies.length < 2;
}

function itemRow(item) {
  const doc = item.document || {};
  const name = str(doc.name) || 'Unnamed document';
  const company = item.company || null;
  const meta = h('ul', { class: 'item__meta' });
  meta.append(h('li', {}, companyLabel(company)));
  if (item.folder && item.folder.name) meta.append(h('li', {}, h('span', { class: 'visually-hidden' }, 'Folder: '), h('span', { class: 'folder' }, str(item.folder.name))));
  meta.append(h('li', { class: 'number' }, formatSize(doc.size)));
  meta.append(h('li', {}, 'Shared ', dateElement(item.sharedAt)));
  if (item.availableUntil) meta.append(h('li', { class: 'until' }, 'Available until ', dateElement(item.availableUntil)));
  // A staff member's name; the company's when they have none (already shown above).
  if (item.sharedBy && item.sharedBy !== (company && company.name)) meta.append(h('li', { class: 'shared-by' }, 'by ', str(item.sharedBy)));
  const download = h(
    'button',
    {
      type: 'button',
      class: 'button button--small',
      'data-download': str(doc.id),
      'data-company': str(company && company.tenantId),
      'data-name': name,
      'aria-label': `Download ${name}`,
    },
    'Download',
  );
  const row = h(
    'li',
    { class: 'item', 'data-id': str(doc.id) },
    h('span', { class: 'file-type', 'aria-hidden': 'true' }, typeLabel(doc.contentType)),
    h('div', { class: 'item__body' }, h('p', { class: 'item__name file-name' }, name, h('span', { class: 'visually-hidden' }, `, ${typeLabel(doc.contentType)}`)), meta),
    h('div', { class: 'item__actions' }, download),
  );
  if (company) row.dataset.company = str(company.tenantId);
  return row;
}

function describeCount() {
  const count = byId('shares-count');
  if (list.total === 0) {
    count.textContent = '';
    return;
  }
  const noun = list.total === 1 ? 'document' : 'documents';
  // The API gives no total (it would read everything): more pages are "more to load".
  count.textContent = list.cursor ? `Showing ${list.shown} ${noun}, more to load` : `${list.total} ${noun}`;
}

function showEmpty() {
  const empty = byId('shares-empty');
  empty.hidden = list.total > 0 || Boolean(list.cursor) || Boolean(byId('shares-error').textContent);
  empty.textContent = filtersActive()
    ? 'No shared document matches your search and filters.'
    : 'Nothing has been shared with you yet. When a company shares documents with you, they appear here.';
}

// Loads the first page of a new search (reset) or the next page.
export async function loadShares({ more = false } = {}) {
  const form = filterForm();
  const from = form.elements.from.value;
  const to = form.elements.to.value;
  setAlert(byId('shares-error'), '');
  if (from && to && from > to) {
    setAlert(byId('shares-error'), 'The “Shared from” date must be before the “Shared until” date.');
    return;
  }
  if (more && (list.loading || !list.cursor)) return;
  if (!more) {
    list.generation += 1;
    list.cursor = null;
  }
  const generation = list.generation;
  const params = currentQuery();
  if (more) params.set('cursor', list.cursor);
  const listElement = byId('shares-list');
  const moreButton = byId('shares-more');
  list.loading = true;
  listElement.setAttribute('aria-busy', 'true');
  if (more) setBusy(moreButton, true, 'Loading…');
  try {
    const page = await call(`/portal/shares?${params}`);
    if (generation !== list.generation) return;
    const items = page && Array.isArray(page.items) ? page.items : [];
    rememberFolders(items);
    const rows = items.map(itemRow);
    if (more) listElement.append(...rows);
    else listElement.replaceChildren(...rows);
    list.shown = (more ? list.shown : 0) + items.length;
    list.total = list.shown;
    list.cursor = page && typeof page.nextCursor === 'string' && page.nextCursor ? page.nextCursor : null;
    if (more) announce(`${items.length} more documents shown.`);
  } catch (error) {
    if (generation !== list.generation) return;
    if (!more) {
      listElement.replaceChildren();
      list.shown = 0;
      list.total = 0;
    }
    reportError(byId('shares-error'), error);
  } finally {
    if (generation === list.generation) {
      const hadFocus = document.activeElement === moreButton;
      list.loading = false;
      listElement.setAttribute('aria-busy', 'false');
      setBusy(moreButton, false);
      moreButton.hidden = !list.cursor;
      describeCount();
      showEmpty();
      if (hadFocus && moreButton.hidden) byId('shares-count').focus();
    }
  }
}

// The folders of every shared document (for the folder filter), from one unfiltered page.
export async function loadFacets() {
  try {
    const page = await call(`/portal/shares?limit=${FACET_SIZE}`);
    rememberFolders(page && Array.isArray(page.items) ? page.items : []);
  } catch {
    // The filter then offers the folders of what is listed; the list reports real errors.
  }
  renderFolderOptions();
}

export function resetShares() {
  list.generation += 1;
  list.cursor = null;
  list.loading = false;
  list.shown = 0;
  list.total = 0;
  folders.clear();
  clearTimeout(searchTimer);
  quietReset = true;
  filterForm().reset();
  quietReset = false;
  byId('shares-list').replaceChildren();
  byId('shares-count').textContent = '';
  byId('shares-empty').hidden = true;
  byId('shares-more').hidden = true;
  setAlert(byId('shares-error'), '');
  renderFolderOptions();
}

async function onDownload(event) {
  const button = event.target instanceof Element ? event.target.closest('button[data-download]') : null;
  if (!button || isBusy(button)) return;
  setAlert(byId('shares-error'), '');
  setBusy(button, true, 'Preparing…');
  const name = button.dataset.name || 'the document';
  try {
    const path = `/portal/companies/${encodeURIComponent(button.dataset.company)}/documents/${encodeURIComponent(button.dataset.download)}/download`;
    const ticket = await call(path);
    const url = ticket && ticket.download ? ticket.download.url : null;
    if (!isHttpUrl(url)) throw new ApiError(0, { detail: 'The server returned no download link.' });
    // Served as an attachment with the original file name: the page stays where it is.
    const link = h('a', { href: url, rel: 'noopener noreferrer', hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    announce(`Downloading ${name}.`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) {
      setAlert(byId('shares-error'), `${name} is no longer shared with you.`);
      loadShares();
    } else {
      reportError(byId('shares-error'), error, name);
    }
  } finally {
    setBusy(button, false);
  }
}

export function initShares() {
  const form = filterForm();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(searchTimer);
    loadShares();
  });
  form.addEventListener('reset', () => {
    if (quietReset) return;
    clearTimeout(searchTimer);
    // After the browser has reset the fields.
    setTimeout(() => {
      loadShares();
      announce('Filters cleared.');
    }, 0);
  });
  form.addEventListener('change', (event) => {
    if (event.target === form.elements.q) return;
    clearTimeout(searchTimer);
    loadShares();
  });
  form.elements.q.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => loadShares(), SEARCH_DELAY_MS);
  });
  byId('shares-more').addEventListener('click', () => loadShares({ more: true }));
  byId('shares-list').addEventListener('click', onDownload);
  byId('shares-count').setAttribute('tabindex', '-1');
  renderFolderOptions();
}
