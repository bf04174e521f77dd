// "Send documents": uploads back to a company (several files, drag and drop, progress), and the
// customer's own submissions (GET /portal/submissions, newest first across companies, paged with
// "Show more"), which they may withdraw until the company has opened them.

import { ApiError, putWithProgress } from '../api.js';
import {
  announce,
  badge,
  bindDropZone,
  confirmDialog,
  contentTypeOf,
  dateElement,
  delay,
  formatSize,
  h,
  isBusy,
  isHttpUrl,
  isSilent,
  problemMessage,
  setAlert,
  setBusy,
} from '../ui.js';
import { companyLabel } from './branding.js';
import { app, byId, call, companyName, reportError, str } from './context.js';
import { typeLabel } from './shares.js';

const MAX_BYTES = 100 * 1024 * 1024;
const POLL_INTERVAL_MS = 1000;
const POLL_ATTEMPTS = 30;
const SUBMISSION_LABELS = { pending: 'Processing', available: 'Received', rejected: 'Rejected' };
const PAGE_SIZE = 50;

let submissionsLoading = null;
// The submissions shown, newest first; the cursor of the page after them ('' when none).
// Bumped generation: a sign-out happened, answers to earlier requests are dropped.
const sent = { items: [], cursor: '', generation: 0 };
let uploadCount = 0;

/* ---------- which company ---------- */

// Fills "Send to" from the companies where the customer's access is active.
export function renderUploadCompanies() {
  const select = byId('upload-company');
  const chosen = select.value;
  const companies = [...app.companies.values()].sort((a, b) => str(a.name).localeCompare(str(b.name)));
  const single = byId('upload-company-single');
  const field = byId('upload-company-field');
  const input = byId('file-input');
  const several = companies.length > 1;
  field.hidden = !several;
  single.hidden = several;
  input.disabled = companies.length === 0;
  byId('drop-zone').classList.toggle('is-disabled', companies.length === 0);
  if (companies.length === 0) {
    single.textContent = 'You can send documents once a company has given you access to its portal.';
  } else if (companies.length === 1) {
    single.textContent = `Documents you send go to ${str(companies[0].name)}.`;
  }
  select.replaceChildren(
    h('option', { value: '' }, 'Choose a company…'),
    ...companies.map((company) => h('option', { value: company.tenantId }, str(company.name))),
  );
  const branded = companies.find((company) => app.branding && company.slug === app.branding.slug);
  if (app.companies.has(chosen)) select.value = chosen;
  else if (branded) select.value = branded.tenantId;
  else select.value = '';
}

function chosenCompany() {
  const companies = [...app.companies.keys()];
  if (companies.length === 1) return companies[0];
  return byId('upload-company').value || null;
}

/* ---------- uploads ---------- */

function uploadItem(file, tenantId) {
  uploadCount += 1;
  const id = `upload-${uploadCount}`;
  const name = file.name || 'Unnamed file';
  const label = h('span', { class: 'upload-name', id: `${id}-name` }, name);
  const progress = h('progress', { max: '100', value: '0', 'aria-labelledby': `${id}-name`, 'aria-describedby': `${id}-state` });
  const state = h('span', { class: 'upload-state', id: `${id}-state` }, 'Preparing…');
  const to = h('span', { class: 'upload-to' }, `To ${companyName(tenantId)} · ${formatSize(file.size)}`);
  const element = h('li', { class: 'upload', 'data-state': '' }, label, state, to, progress);
  return { element, progress, state };
}

function setUploadState(item, text, kind = '') {
  item.state.textContent = text;
  item.element.dataset.state = kind;
}

async function uploadFile(file, tenantId) {
  const controller = app.controller;
  if (!controller) return;
  const item = uploadItem(file, tenantId);
  byId('uploads').prepend(item.element);
  const name = file.name || 'Unnamed file';
  try {
    if (file.size > MAX_BYTES) throw new ApiError(0, { detail: `${name} is larger than 100 MB.` });
    const contentType = contentTypeOf(file);
    const ticket = await call(`/portal/companies/${encodeURIComponent(tenantId)}/uploads`, {
      method: 'POST',
      body: { fileName: name, contentType, size: file.size },
    });
    const doc = ticket && ticket.document;
    const upload = ticket && ticket.upload;
    if (!doc || typeof doc.id !== 'string' || !upload || !isHttpUrl(upload.url)) {
      throw new ApiError(0, { detail: 'The server returned an incomplete upload ticket.' });
    }
    setUploadState(item, 'Uploading… 0%');
    const sendType = typeof doc.contentType === 'string' && doc.contentType ? doc.contentType : contentType;
    await putWithProgress(
      upload,
      file,
      sendType,
      (fraction) => {
        const percent = Math.round(fraction * 100);
        item.progress.value = percent;
        setUploadState(item, `Uploading… ${percent}%`);
      },
      controller.signal,
    );
    item.progress.value = 100;
    setUploadState(item, 'Checking…');
    loadSubmissions().catch(() => {});
    const settled = await waitUntilSettled(doc.id, controller.signal);
    if (!settled) {
      setUploadState(item, 'Sent; still being checked.', 'done');
    } else if (settled.status === 'available') {
      setUploadState(item, 'Sent', 'done');
      announce(`${name} was sent to ${companyName(tenantId)}.`);
    } else {
      setUploadState(item, 'Rejected', 'error');
      setAlert(byId('upload-error'), `${name}: ${str(settled.rejectedReason) || 'the file was rejected.'}`);
    }
  } catch (error) {
    if (isSilent(error)) return;
    setUploadState(item, 'Failed', 'error');
    item.progress.hidden = true;
    reportError(byId('upload-error'), error, name);
  }
}

// Polls the submissions until the document is checked (available or rejected), ~30 s at most.
async function waitUntilSettled(id, signal) {
  for (let attempt = 0; attempt < POLL_ATTEMPTS; attempt += 1) {
    await delay(POLL_INTERVAL_MS, signal);
    let submissions;
    try {
      submissions = await loadSubmissions();
    } catch (error) {
      if (isSilent(error)) throw error;
      continue;
    }
    const doc = (submissions || []).find((s) => s && s.id === id);
    if (doc && doc.status !== 'pending') return doc;
  }
  return null;
}

function uploadAll(fileList) {
  const files = Array.from(fileList || []);
  if (!files.length) return;
  setAlert(byId('upload-error'), '');
  const tenantId = chosenCompany();
  if (!tenantId) {
    setAlert(byId('upload-error'), app.companies.size ? 'Choose the company to send the documents to first.' : 'No company can receive documents from you yet.');
    if (app.companies.size) byId('upload-company').focus();
    return;
  }
  for (const file of files) uploadFile(file, tenantId);
}

/* ---------- own submissions ---------- */

function submissionRow(doc) {
  const name = str(doc.name) || 'Unnamed document';
  const company = app.companies.get(doc.tenantId) || { tenantId: doc.tenantId, name: companyName(doc.tenantId) };
  const status = h('li', {}, badge(doc.status, SUBMISSION_LABELS));
  const meta = h(
    'ul',
    { class: 'item__meta' },
    h('li', {}, companyLabel(company)),
    h('li', { class: 'number' }, formatSize(doc.size)),
    h('li', {}, 'Sent ', dateElement(doc.createdAt)),
    status,
  );
  if (doc.status === 'rejected' && doc.rejectedReason) meta.append(h('li', { class: 'reason' }, str(doc.rejectedReason)));
  if (doc.seenAt) meta.append(h('li', { class: 'seen' }, 'Opened by the company ', dateElement(doc.seenAt)));
  const actions = h('div', { class: 'item__actions' });
  if (!doc.seenAt) {
    actions.append(
      h(
        'button',
        {
          type: 'button',
          class: 'button button--secondary button--small',
          'data-withdraw': str(doc.id),
          'data-company': str(doc.tenantId),
          'data-name': name,
          'aria-label': `Withdraw ${name}`,
        },
        'Withdraw',
      ),
    );
  }
  return h(
    'li',
    { class: 'item', 'data-id': str(doc.id), 'data-status': str(doc.status) },
    h('span', { class: 'file-type', 'aria-hidden': 'true' }, typeLabel(doc.contentType)),
    h('div', { class: 'item__body' }, h('p', { class: 'item__name file-name' }, name), meta),
    actions,
  );
}

// Newest first, as the API orders them: by id (UUIDv7, so by creation time).
function newestFirst(a, b) {
  const [x, y] = [str(a.id), str(b.id)];
  return x < y ? 1 : x > y ? -1 : 0;
}

function pageOf(page) {
  const items = page && Array.isArray(page.items) ? page.items.filter((doc) => doc && typeof doc.id === 'string') : [];
  const cursor = page && typeof page.nextCursor === 'string' ? page.nextCursor : '';
  return { items, cursor };
}

function setShown(items) {
  const seen = new Set();
  sent.items = items.filter((doc) => !seen.has(doc.id) && seen.add(doc.id)).sort(newestFirst);
}

function renderSubmissions() {
  const listElement = byId('submissions-list');
  const more = byId('submissions-more');
  const focusedWithdraw = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.withdraw : undefined;
  const moreHadFocus = document.activeElement === more;
  listElement.replaceChildren(...sent.items.map(submissionRow));
  byId('submissions-empty').hidden = sent.items.length > 0;
  more.hidden = !sent.cursor;
  if (focusedWithdraw) {
    const again = listElement.querySelector(`button[data-withdraw="${CSS.escape(focusedWithdraw)}"]`);
    if (again) again.focus();
  }
  if (moreHadFocus && more.hidden) {
    byId('submissions-title').setAttribute('tabindex', '-1');
    byId('submissions-title').focus();
  }
}

// A fresh first page replaces what it covers (everything from its last item up: new uploads,
// changed states, withdrawn ones); older rows brought by "Show more" stay, and so does the cursor
// that continues after them.
function takeFirstPage({ items, cursor }) {
  if (!cursor) {
    setShown(items);
    sent.cursor = '';
    return;
  }
  const last = items[items.length - 1];
  const older = last ? sent.items.filter((doc) => str(doc.id) < last.id) : [];
  setShown([...items, ...older]);
  if (!older.length) sent.cursor = cursor;
}

// GET /portal/submissions, the first page (one request at a time); returns its items.
export function loadSubmissions() {
  submissionsLoading ??= (async () => {
    const generation = sent.generation;
    const listElement = byId('submissions-list');
    listElement.setAttribute('aria-busy', 'true');
    try {
      const page = pageOf(await call(`/portal/submissions?limit=${PAGE_SIZE}`));
      if (generation === sent.generation) {
        takeFirstPage(page);
        setAlert(byId('submissions-error'), '');
        renderSubmissions();
      }
      return page.items;
    } catch (error) {
      if (generation === sent.generation) reportError(byId('submissions-error'), error);
      throw error;
    } finally {
      listElement.setAttribute('aria-busy', 'false');
      submissionsLoading = null;
    }
  })();
  return submissionsLoading;
}

// "Show more": the page after the oldest shown.
async function loadMoreSubmissions() {
  const more = byId('submissions-more');
  const cursor = sent.cursor;
  if (!cursor || isBusy(more)) return;
  const generation = sent.generation;
  const listElement = byId('submissions-list');
  setBusy(more, true, 'Loading…');
  listElement.setAttribute('aria-busy', 'true');
  try {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE), cursor });
    const page = pageOf(await call(`/portal/submissions?${params}`));
    if (generation !== sent.generation) return;
    setShown([...sent.items, ...page.items]);
    // Unless a refresh meanwhile found everything (the cursor is then gone).
    if (sent.cursor === cursor) sent.cursor = page.cursor;
    setAlert(byId('submissions-error'), '');
    announce(`${page.items.length} more documents shown.`);
  } catch (error) {
    if (generation === sent.generation) reportError(byId('submissions-error'), error);
  } finally {
    if (generation === sent.generation) {
      setBusy(more, false);
      listElement.setAttribute('aria-busy', 'false');
      renderSubmissions();
    }
  }
}

async function onWithdraw(event) {
  const button = event.target instanceof Element ? event.target.closest('button[data-withdraw]') : null;
  if (!button || isBusy(button)) return;
  const name = button.dataset.name || 'this document';
  const company = companyName(button.dataset.company);
  const confirmed = await confirmDialog(
    `Withdraw ${name}?`,
    `${company} will no longer see it, and it is deleted for good.`,
    'Withdraw',
    { danger: true },
  );
  if (!confirmed) return;
  setAlert(byId('submissions-error'), '');
  setBusy(button, true, 'Withdrawing…');
  try {
    await call(
      `/portal/companies/${encodeURIComponent(button.dataset.company)}/submissions/${encodeURIComponent(button.dataset.withdraw)}`,
      { method: 'DELETE' },
    );
    setShown(sent.items.filter((doc) => doc.id !== button.dataset.withdraw));
    renderSubmissions();
    announce(`${name} was withdrawn.`);
    byId('submissions-title').setAttribute('tabindex', '-1');
    byId('submissions-title').focus();
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      setAlert(byId('submissions-error'), `${company} has already opened ${name}, so it can no longer be withdrawn.`);
    } else if (!isSilent(error)) {
      setAlert(byId('submissions-error'), `${name}: ${problemMessage(error)}`);
    }
  } finally {
    setBusy(button, false);
  }
  loadSubmissions().catch(() => {});
}

export function resetSend() {
  submissionsLoading = null;
  sent.generation += 1;
  sent.items = [];
  sent.cursor = '';
  byId('submissions-more').hidden = true;
  setBusy(byId('submissions-more'), false);
  byId('uploads').replaceChildren();
  byId('submissions-list').replaceChildren();
  byId('submissions-empty').hidden = true;
  setAlert(byId('upload-error'), '');
  setAlert(byId('submissions-error'), '');
}

export function initSend() {
  const input = byId('file-input');
  input.addEventListener('change', () => {
    const files = Array.from(input.files || []);
    input.value = ''; // lets the same file be chosen again
    uploadAll(files);
  });
  bindDropZone(byId('drop-zone'), uploadAll);
  byId('submissions-list').addEventListener('click', onWithdraw);
  byId('submissions-more').addEventListener('click', loadMoreSubmissions);
}
