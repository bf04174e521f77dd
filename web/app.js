// Staff dashboard: sign-in, contacts and documents, over the portal's JSON API.
// Plain ES module, no dependencies. Tokens live in sessionStorage (gone with the tab).

const API_BASE = apiBaseFromConfig();
const TOKENS_KEY = 'customerPortal.staff.tokens';
const PAGE_SIZE = 50;
const POLL_INTERVAL_MS = 1000;
const POLL_ATTEMPTS = 30;
const FALLBACK_CONTENT_TYPE = 'application/octet-stream';

// Request headers a page may not set (XMLHttpRequest refuses them with a console error).
const FORBIDDEN_HEADER =
  /^(accept-charset|accept-encoding|access-control-request-.*|connection|content-length|cookie2?|date|dnt|expect|host|keep-alive|origin|permissions-policy|proxy-.*|referer|sec-.*|te|trailer|transfer-encoding|upgrade|via)$/i;

const ACCESS_LABELS = { none: 'No access', pending: 'Pending', active: 'Active', closed: 'Closed' };
const DOCUMENT_LABELS = { pending: 'Pending', available: 'Available', rejected: 'Rejected' };

const DATE_FORMAT = makeDateFormat();
const NUMBER_FORMATS = [0, 1].map((digits) => new Intl.NumberFormat(undefined, { maximumFractionDigits: digits }));

const ui = {};
// The signed-in session: aborting its controller stops its requests, polls and uploads.
let session = null;
let refreshing = null;
const lists = {};

/* ---------- configuration and tokens ---------- */

function apiBaseFromConfig() {
  const base = window.PORTAL_CONFIG && window.PORTAL_CONFIG.apiBase;
  return (typeof base === 'string' && base.trim() ? base.trim() : '/api').replace(/\/+$/, '');
}

function loadTokens() {
  try {
    const tokens = JSON.parse(sessionStorage.getItem(TOKENS_KEY) || 'null');
    return tokens && typeof tokens.accessToken === 'string' ? tokens : null;
  } catch {
    return null;
  }
}

function saveTokens(tokens) {
  const { accessToken, idToken, refreshToken, expiresIn, tokenType } = tokens;
  try {
    sessionStorage.setItem(TOKENS_KEY, JSON.stringify({ accessToken, idToken, refreshToken, expiresIn, tokenType }));
  } catch {
    // Storage refused (private mode quota): the session simply won't survive a reload.
  }
}

function clearTokens() {
  try {
    sessionStorage.removeItem(TOKENS_KEY);
  } catch {
    // Nothing to clear.
  }
}

// The ID token's claims, for display only (the API never trusts them from us).
function tokenClaims(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(part.padEnd(Math.ceil(part.length / 4) * 4, '='));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    return null;
  }
}

/* ---------- API ---------- */

class ApiError extends Error {
  constructor(status, problem) {
    super(problemText(problem, status));
    this.name = 'ApiError';
    this.status = status;
  }
}

// Thrown to callers after the session ended; the sign-in screen already says why.
class SessionEnded extends Error {
  constructor() {
    super('The session has ended.');
    this.name = 'SessionEnded';
  }
}

function problemText(problem, status) {
  const pick = (value) => (typeof value === 'string' && value.trim() ? value.trim() : '');
  const fallback = status ? `The request failed (HTTP ${status}).` : 'The request failed.';
  return pick(problem && problem.detail) || pick(problem && problem.title) || fallback;
}

function networkError() {
  return new ApiError(0, { detail: 'The server could not be reached. Check your connection and try again.' });
}

function abortError() {
  return new DOMException('The operation was aborted.', 'AbortError');
}

async function send(path, { method = 'GET', body, token, signal } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(API_BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
    });
  } catch (error) {
    throw error && error.name === 'AbortError' ? error : networkError();
  }
}

async function parse(response) {
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// Calls without a token (sign-in, refresh).
async function publicCall(path, body) {
  return parse(await send(path, { method: 'POST', body }));
}

// Authenticated calls, bound to one session (the current one unless given): a 401 tries
// one refresh, then returns to the sign-in screen.
async function apiCall(path, options = {}, current = session) {
  if (!current) throw new SessionEnded();
  const attempt = () => send(path, { ...options, token: loadTokens()?.accessToken, signal: current.controller.signal });
  let response = await attempt();
  if (response.status === 401 && (await refreshSession())) response = await attempt();
  if (response.status === 401) {
    if (session === current) endSession('Your session has expired. Please sign in again.');
    throw new SessionEnded();
  }
  return parse(response);
}

// One refresh at a time, shared by every call that got a 401.
function refreshSession() {
  refreshing ??= tryRefresh().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function tryRefresh() {
  const tokens = loadTokens();
  if (!tokens || !tokens.refreshToken) return false;
  try {
    const fresh = await publicCall('/auth/staff/refresh', { refreshToken: tokens.refreshToken });
    if (!fresh || typeof fresh.accessToken !== 'string') return false;
    saveTokens({ ...fresh, refreshToken: fresh.refreshToken || tokens.refreshToken });
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 0) throw error; // offline is no reason to sign out
    return false;
  }
}

/* ---------- DOM helpers ---------- */

// h('td', { class: 'x' }, 'text', node): children are text nodes or elements, never HTML.
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) element.setAttribute(name, String(value));
  }
  element.append(...children.filter((child) => child !== undefined && child !== null));
  return element;
}

function setAlert(region, message) {
  if (region) region.textContent = message || '';
}

function announce(message) {
  setAlert(ui.announcer, message);
}

function isSilent(error) {
  return error instanceof SessionEnded || (error && error.name === 'AbortError');
}

function reportError(region, error, prefix) {
  if (isSilent(error)) return;
  if (!(error instanceof ApiError)) console.warn(error);
  const message = error instanceof ApiError ? error.message : 'Something went wrong. Please try again.';
  setAlert(region, prefix ? `${prefix}: ${message}` : message);
}

// Busy buttons stay focusable (aria-disabled) so keyboard focus is never lost.
function setBusy(button, busy, busyLabel) {
  if (!button) return;
  if (busy) {
    button.dataset.label = button.textContent;
    if (busyLabel) button.textContent = busyLabel;
    button.setAttribute('aria-disabled', 'true');
  } else {
    if (button.dataset.label) button.textContent = button.dataset.label;
    button.removeAttribute('aria-disabled');
  }
}

function isBusy(button) {
  return Boolean(button) && button.getAttribute('aria-disabled') === 'true';
}

function delay(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/* ---------- formatting ---------- */

function makeDateFormat() {
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  } catch {
    return new Intl.DateTimeFormat();
  }
}

function formatSize(bytes) {
  const size = Number(bytes);
  if (!Number.isFinite(size) || size < 0) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${NUMBER_FORMATS[digits].format(value)} ${units[unit]}`;
}

function dateElement(iso) {
  const date = new Date(iso);
  if (typeof iso !== 'string' || Number.isNaN(date.getTime())) return '—';
  return h('time', { datetime: iso }, DATE_FORMAT.format(date));
}

function badge(status, labels) {
  const known = Object.hasOwn(labels, status);
  const label = known ? labels[status] : String(status ?? 'Unknown');
  return h('span', { class: `badge badge--${known ? status : 'unknown'}` }, label);
}

// The media type the upload announces (and must then send): `type/subtype`, lower-case.
function contentTypeOf(file) {
  const type = String(file.type || '').split(';')[0].trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/.test(type) ? type : FALLBACK_CONTENT_TYPE;
}

function isHttpUrl(value) {
  try {
    const url = new URL(value, window.location.href);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/* ---------- views ---------- */

function showLogin({ error = '', focus = false } = {}) {
  ui.header.hidden = true;
  ui.dashboard.hidden = true;
  ui.loginView.hidden = false;
  setAlert(ui.loginError, error);
  if (focus) ui.loginEmail.focus();
}

function showDashboard() {
  const claims = tokenClaims(loadTokens()?.idToken);
  const email = claims && typeof claims.email === 'string' ? claims.email : '';
  ui.signedInAs.textContent = email ? `Signed in as ${email}` : '';
  ui.signedInAs.hidden = !email;
  ui.loginView.hidden = true;
  ui.header.hidden = false;
  ui.dashboard.hidden = false;
}

function startSession() {
  session = { controller: new AbortController(), uploads: new Set() };
  resetDashboard();
  showDashboard();
  loadPage(lists.contacts);
  loadPage(lists.documents);
}

function endSession(error) {
  if (session) {
    session.controller.abort();
    for (const xhr of session.uploads) xhr.abort();
  }
  session = null;
  clearTokens();
  resetDashboard();
  showLogin({ error, focus: true });
}

function resetDashboard() {
  for (const list of Object.values(lists)) {
    list.rows.clear();
    list.body.replaceChildren();
    list.cursor = null;
    list.loading = false;
    setBusy(list.more, false);
    list.more.hidden = true;
    list.empty.hidden = true;
    setAlert(list.error, '');
  }
  ui.uploads.replaceChildren();
  setAlert(ui.uploadError, '');
  setAlert(ui.contactError, '');
  ui.contactForm.reset();
}

/* ---------- sign-in ---------- */

async function onLogin(event) {
  event.preventDefault();
  const button = ui.loginForm.querySelector('button[type="submit"]');
  if (isBusy(button)) return;
  setAlert(ui.loginError, '');
  setBusy(button, true, 'Signing in…');
  try {
    const tokens = await publicCall('/auth/staff/login', {
      email: ui.loginEmail.value.trim(),
      password: ui.loginPassword.value,
    });
    if (!tokens || typeof tokens.accessToken !== 'string') throw new ApiError(0, { detail: 'The server returned no session.' });
    saveTokens(tokens);
    ui.loginForm.reset();
    startSession();
    announce('Signed in.');
    ui.main.focus();
  } catch (error) {
    reportError(ui.loginError, error);
  } finally {
    setBusy(button, false);
  }
}

function onSignOut() {
  endSession('');
  announce('You have signed out.');
}

/* ---------- paginated tables ---------- */

function makeList(name, path, renderRow) {
  return {
    name,
    path,
    renderRow,
    body: document.getElementById(`${name}-body`),
    table: document.getElementById(`${name}-table`),
    empty: document.getElementById(`${name}-empty`),
    error: document.getElementById(`${name}-error`),
    more: document.getElementById(`${name}-more`),
    rows: new Map(),
    cursor: null,
    loading: false,
  };
}

// Adds or replaces the row of one item, keyed by its id.
function upsertRow(list, item, position = 'append') {
  if (!item || typeof item.id !== 'string') return;
  const row = list.renderRow(item);
  row.dataset.id = item.id;
  const existing = list.rows.get(item.id);
  if (existing && existing.isConnected) existing.replaceWith(row);
  else if (position === 'prepend') list.body.prepend(row);
  else list.body.append(row);
  list.rows.set(item.id, row);
  list.empty.hidden = true;
}

async function loadPage(list) {
  if (list.loading || !session) return;
  const current = session;
  const firstPage = list.cursor === null;
  list.loading = true;
  list.table.setAttribute('aria-busy', 'true');
  setBusy(list.more, true, 'Loading…');
  setAlert(list.error, '');
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (list.cursor) params.set('cursor', list.cursor);
  try {
    const page = await apiCall(`${list.path}?${params}`, {}, current);
    const items = page && Array.isArray(page.items) ? page.items : [];
    for (const item of items) upsertRow(list, item);
    list.cursor = page && typeof page.nextCursor === 'string' && page.nextCursor ? page.nextCursor : null;
    if (!firstPage) announce(`${items.length} more ${list.name} loaded.`);
  } catch (error) {
    reportError(list.error, error);
  } finally {
    if (session === current) finishLoading(list);
  }
}

function finishLoading(list) {
  const hadFocus = document.activeElement === list.more;
  list.loading = false;
  list.table.removeAttribute('aria-busy');
  setBusy(list.more, false);
  list.more.hidden = !list.cursor;
  list.empty.hidden = list.rows.size > 0 || Boolean(list.error.textContent);
  // The button vanished under the keyboard: keep focus nearby, on the table.
  if (hadFocus && list.more.hidden) list.table.parentElement.focus();
}

/* ---------- contacts ---------- */

function contactRow(contact) {
  return h(
    'tr',
    {},
    h('th', { scope: 'row' }, String(contact.name ?? '')),
    h('td', { class: 'email' }, String(contact.email ?? '')),
    h('td', {}, badge(contact.accessStatus, ACCESS_LABELS)),
  );
}

async function onCreateContact(event) {
  event.preventDefault();
  const button = ui.contactForm.querySelector('button[type="submit"]');
  if (isBusy(button)) return;
  const name = ui.contactName.value.trim();
  const email = ui.contactEmail.value.trim();
  setAlert(ui.contactError, '');
  setBusy(button, true, 'Adding…');
  try {
    const contact = await apiCall('/contacts', { method: 'POST', body: { name, email } });
    upsertRow(lists.contacts, contact, 'prepend');
    ui.contactForm.reset();
    ui.contactName.focus();
    announce(`Contact ${contact && contact.name ? contact.name : name} added.`);
  } catch (error) {
    reportError(ui.contactError, error);
  } finally {
    setBusy(button, false);
  }
}

/* ---------- documents ---------- */

function documentRow(doc) {
  const name = String(doc.name ?? '');
  const status = h('td', {}, badge(doc.status, DOCUMENT_LABELS));
  if (doc.status === 'rejected' && typeof doc.rejectedReason === 'string' && doc.rejectedReason) {
    status.append(h('span', { class: 'reason' }, doc.rejectedReason));
  }
  const actions = h('td', { class: 'actions' });
  if (doc.status === 'available') {
    actions.append(
      h('button', { type: 'button', class: 'button button--small', 'data-download': doc.id, 'aria-label': `Download ${name}` }, 'Download'),
    );
  }
  return h(
    'tr',
    {},
    h('th', { scope: 'row', class: 'file-name' }, name),
    h('td', { class: 'number' }, formatSize(doc.size)),
    status,
    h('td', {}, dateElement(doc.createdAt)),
    actions,
  );
}

async function onDocumentsClick(event) {
  const button = event.target instanceof Element ? event.target.closest('button[data-download]') : null;
  if (!button || isBusy(button)) return;
  setAlert(ui.documentsError, '');
  setBusy(button, true);
  try {
    const ticket = await apiCall(`/documents/${encodeURIComponent(button.dataset.download)}/download`);
    const url = ticket && ticket.download ? ticket.download.url : null;
    if (!isHttpUrl(url)) throw new ApiError(0, { detail: 'The server returned no download link.' });
    window.location.assign(url); // served as an attachment: the page stays
  } catch (error) {
    reportError(ui.documentsError, error);
  } finally {
    setBusy(button, false);
  }
}

function uploadItem(file) {
  const id = `upload-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const label = h('span', { class: 'upload-name', id: `${id}-name` }, file.name || 'Unnamed file');
  const progress = h('progress', { max: '100', value: '0', 'aria-labelledby': `${id}-name` });
  const state = h('span', { class: 'upload-state' }, 'Preparing…');
  const element = h('li', { class: 'upload' }, label, progress, state);
  return { element, progress, state };
}

function setUploadState(item, text, kind = '') {
  item.state.textContent = text;
  item.element.dataset.state = kind;
}

async function uploadFile(file) {
  const current = session;
  if (!current) return;
  const item = uploadItem(file);
  ui.uploads.append(item.element);
  try {
    const announced = contentTypeOf(file);
    const ticket = await apiCall(
      '/uploads',
      { method: 'POST', body: { fileName: file.name, contentType: announced, size: file.size } },
      current,
    );
    const doc = ticket && ticket.document;
    const upload = ticket && ticket.upload;
    if (!doc || typeof doc.id !== 'string' || !upload || !isHttpUrl(upload.url)) {
      throw new ApiError(0, { detail: 'The server returned an incomplete upload ticket.' });
    }
    if (session !== current) return;
    upsertRow(lists.documents, doc, 'prepend');
    setUploadState(item, 'Uploading…');
    const contentType = typeof doc.contentType === 'string' && doc.contentType ? doc.contentType : announced;
    await putFile(current, file, upload, contentType, (fraction) => {
      item.progress.value = Math.round(fraction * 100);
    });
    item.progress.value = 100;
    setUploadState(item, 'Uploaded, processing…');
    finishUpload(item, file, await waitUntilProcessed(current, doc.id));
  } catch (error) {
    if (isSilent(error)) return;
    setUploadState(item, 'Failed', 'error');
    reportError(ui.uploadError, error, file.name || 'Upload');
  }
}

function finishUpload(item, file, doc) {
  if (!doc) {
    setUploadState(item, 'Still processing; it will show as available shortly.');
  } else if (doc.status === 'available') {
    setUploadState(item, 'Available', 'done');
    announce(`${file.name} is available.`);
  } else {
    setUploadState(item, 'Rejected', 'error');
    setAlert(ui.uploadError, `${file.name}: ${doc.rejectedReason || 'the file was rejected.'}`);
  }
}

// Sends the bytes with XMLHttpRequest, which (unlike fetch) reports upload progress.
function putFile(current, file, upload, contentType, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const done = (outcome) => {
      current.uploads.delete(xhr);
      outcome();
    };
    xhr.open(typeof upload.method === 'string' && upload.method ? upload.method : 'PUT', upload.url);
    for (const [name, value] of Object.entries(upload.headers || {})) {
      if (!FORBIDDEN_HEADER.test(name) && name.toLowerCase() !== 'content-type') xhr.setRequestHeader(name, String(value));
    }
    xhr.setRequestHeader('Content-Type', contentType);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () =>
      done(() =>
        xhr.status >= 200 && xhr.status < 300
          ? resolve()
          : reject(new ApiError(xhr.status, { detail: `The storage service refused the file (HTTP ${xhr.status}).` })),
      ),
    );
    xhr.addEventListener('error', () => done(() => reject(networkError())));
    xhr.addEventListener('abort', () => done(() => reject(abortError())));
    current.uploads.add(xhr);
    xhr.send(file);
  });
}

// Polls the document until the S3 event has been processed (or ~30 s have passed).
async function waitUntilProcessed(current, id) {
  for (let attempt = 0; attempt < POLL_ATTEMPTS; attempt += 1) {
    await delay(POLL_INTERVAL_MS, current.controller.signal);
    let doc;
    try {
      doc = await apiCall(`/documents/${encodeURIComponent(id)}`, {}, current);
    } catch (error) {
      const transient = error instanceof ApiError && (error.status === 0 || error.status >= 500);
      if (transient) continue;
      throw error;
    }
    if (session !== current) throw abortError();
    upsertRow(lists.documents, doc);
    if (doc && doc.status && doc.status !== 'pending') return doc;
  }
  return null;
}

function uploadAll(fileList) {
  const files = Array.from(fileList || []);
  if (files.length) setAlert(ui.uploadError, '');
  for (const file of files) uploadFile(file);
}

function hasFiles(event) {
  return Boolean(event.dataTransfer) && Array.from(event.dataTransfer.types || []).includes('Files');
}

function bindDropZone() {
  const zone = ui.dropZone;
  const over = (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    zone.classList.add('is-dragover');
  };
  zone.addEventListener('dragenter', over);
  zone.addEventListener('dragover', over);
  zone.addEventListener('dragleave', (event) => {
    if (!(event.relatedTarget instanceof Node) || !zone.contains(event.relatedTarget)) zone.classList.remove('is-dragover');
  });
  zone.addEventListener('drop', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    zone.classList.remove('is-dragover');
    uploadAll(event.dataTransfer.files);
  });
  // A file dropped beside the zone must not make the browser navigate away to it.
  for (const type of ['dragover', 'drop']) {
    window.addEventListener(type, (event) => {
      if (hasFiles(event) && !zone.contains(event.target)) {
        event.preventDefault();
        if (event.dataTransfer) event.dataTransfer.dropEffect = 'none';
      }
    });
  }
}

/* ---------- start ---------- */

function init() {
  const byId = (id) => document.getElementById(id);
  Object.assign(ui, {
    main: byId('main'),
    announcer: byId('announcer'),
    header: byId('app-header'),
    signedInAs: byId('signed-in-as'),
    signOut: byId('sign-out'),
    loginView: byId('login-view'),
    loginForm: byId('login-form'),
    loginEmail: byId('login-email'),
    loginPassword: byId('login-password'),
    loginError: byId('login-error'),
    dashboard: byId('dashboard'),
    contactForm: byId('contact-form'),
    contactName: byId('contact-name'),
    contactEmail: byId('contact-email'),
    contactError: byId('contact-error'),
    documentsError: byId('documents-error'),
    fileInput: byId('file-input'),
    dropZone: byId('drop-zone'),
    uploads: byId('uploads'),
    uploadError: byId('upload-error'),
  });
  lists.contacts = makeList('contacts', '/contacts', contactRow);
  lists.documents = makeList('documents', '/documents', documentRow);

  const listParts = Object.values(lists).flatMap((list) =>
    ['body', 'table', 'empty', 'error', 'more'].map((part) => [`${list.name}.${part}`, list[part]]),
  );
  const missing = [...Object.entries(ui), ...listParts].filter(([, element]) => !element).map(([name]) => name);
  if (missing.length) {
    console.warn(`Dashboard markup is missing: ${missing.join(', ')}`);
    return;
  }

  ui.loginForm.addEventListener('submit', onLogin);
  ui.signOut.addEventListener('click', onSignOut);
  ui.contactForm.addEventListener('submit', onCreateContact);
  lists.contacts.more.addEventListener('click', () => isBusy(lists.contacts.more) || loadPage(lists.contacts));
  lists.documents.more.addEventListener('click', () => isBusy(lists.documents.more) || loadPage(lists.documents));
  lists.documents.body.addEventListener('click', onDocumentsClick);
  ui.fileInput.addEventListener('change', () => {
    const files = Array.from(ui.fileInput.files || []);
    ui.fileInput.value = ''; // lets the same file be chosen again
    uploadAll(files);
  });
  bindDropZone();

  if (loadTokens()) startSession();
  else showLogin();
}

init();
