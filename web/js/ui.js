// DOM helpers shared by the staff dashboard and the customer portal. No HTML strings: every
// text goes in as a text node.

import { ApiError, SessionEnded, abortError } from './api.js';

const FALLBACK_CONTENT_TYPE = 'application/octet-stream';
const DATE_FORMAT = makeDateFormat();
const NUMBER_FORMATS = [0, 1].map((digits) => new Intl.NumberFormat(undefined, { maximumFractionDigits: digits }));

function makeDateFormat() {
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  } catch {
    return new Intl.DateTimeFormat();
  }
}

// h('td', { class: 'x' }, 'text', node): children are text or nodes (arrays are flattened), never
// HTML. Attributes whose value is undefined, null or false are left out; `on*` functions become
// event listeners.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (name === 'value' && 'value' in element) element.value = String(value);
    else if (name === 'checked' && 'checked' in element) element.checked = Boolean(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children.flat(Infinity).filter((child) => child !== undefined && child !== null && child !== false));
  return element;
}

export function setAlert(element, message) {
  if (element) element.textContent = message || '';
}

// Busy buttons stay focusable (aria-disabled) so keyboard focus is never lost.
export function setBusy(button, busy, label) {
  if (!button) return;
  if (busy) {
    if (!button.dataset.label) button.dataset.label = button.textContent;
    if (label) button.textContent = label;
    button.setAttribute('aria-disabled', 'true');
  } else {
    if (button.dataset.label) button.textContent = button.dataset.label;
    delete button.dataset.label;
    button.removeAttribute('aria-disabled');
  }
}

export function isBusy(button) {
  return Boolean(button) && button.getAttribute('aria-disabled') === 'true';
}

export function formatSize(bytes) {
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

export function formatDate(iso) {
  const date = new Date(iso);
  return typeof iso !== 'string' || Number.isNaN(date.getTime()) ? '' : DATE_FORMAT.format(date);
}

export function dateElement(iso) {
  const text = formatDate(iso);
  return text ? h('time', { datetime: iso }, text) : document.createTextNode('—');
}

// A status pill: the text always says the status; the colour only repeats it.
export function badge(status, labels) {
  const known = Object.hasOwn(labels, status);
  const label = known ? labels[status] : String(status ?? 'Unknown');
  return h('span', { class: `badge badge--${known ? status : 'unknown'}` }, label);
}

// The media type an upload announces (and must then send): `type/subtype`, lower-case.
export function contentTypeOf(file) {
  const type = String(file.type || '').split(';')[0].trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/.test(type) ? type : FALLBACK_CONTENT_TYPE;
}

export function isHttpUrl(value) {
  try {
    const url = new URL(value, window.location.href);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

export function delay(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) {
      reject(abortError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      if (signal) signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
  });
}

// Errors nobody needs to read: the session ended (the sign-in screen says why) or we aborted.
export function isSilent(error) {
  return error instanceof SessionEnded || (error && error.name === 'AbortError');
}

const STATUS_TEXT = {
  401: 'You are not signed in, or your session has expired.',
  403: 'You are not allowed to do this.',
  404: 'It no longer exists.',
  409: 'It changed meanwhile. Reload and try again.',
  410: 'This link is no longer valid.',
  413: 'That is too large.',
  429: 'Too many requests. Wait a moment and try again.',
  503: 'The service is busy. Try again in a moment.',
};

// User-facing text for any error.
export function problemMessage(error) {
  if (error instanceof SessionEnded) return error.message;
  if (error && error.name === 'AbortError') return 'Cancelled.';
  if (error instanceof ApiError) {
    const problem = error.problem || {};
    const detail = typeof problem.detail === 'string' ? problem.detail.trim() : '';
    if (error.status >= 500 && error.status !== 503) return detail || 'Something went wrong on our side. Please try again.';
    if (detail) return detail;
    if (typeof problem.message === 'string' && problem.message.trim()) return problem.message.trim();
    return STATUS_TEXT[error.status] || error.message;
  }
  return 'Something went wrong. Please try again.';
}

// The field errors of a problem: its `errors` (an object { field: message | [messages] } or an
// array of { field | name | pointer, detail | message }), else a 422 detail that starts with
// the field path ("email: is not an email address").
export function problemFieldErrors(error) {
  if (!(error instanceof ApiError) || !error.problem) return [];
  const { errors, detail } = error.problem;
  const out = [];
  const fieldName = (path) => String(path || '').replace(/^\/+/, '').split(/[./]/).filter(Boolean).pop() || '';
  if (Array.isArray(errors)) {
    for (const entry of errors) {
      if (!entry || typeof entry !== 'object') continue;
      const field = fieldName(entry.field || entry.name || entry.pointer || entry.path);
      const message = entry.detail || entry.message || entry.title;
      if (field && message) out.push({ field, message: String(message) });
    }
  } else if (errors && typeof errors === 'object') {
    for (const [path, value] of Object.entries(errors)) {
      const message = Array.isArray(value) ? value.join(' ') : value;
      if (message) out.push({ field: fieldName(path), message: String(message) });
    }
  } else if (error.status === 422 && typeof detail === 'string') {
    const match = /^([A-Za-z_][A-Za-z0-9_]*(?:(?:\.|\[\d+\]\.?)[A-Za-z0-9_]+)*): (.+)$/s.exec(detail.trim());
    if (match) out.push({ field: fieldName(match[1].replace(/\[\d+\]/g, '')), message: match[2] });
  }
  return out;
}

export function clearFieldErrors(form) {
  if (!form) return;
  for (const note of form.querySelectorAll('.field-error')) note.remove();
  for (const input of form.querySelectorAll('[aria-invalid="true"]')) {
    input.removeAttribute('aria-invalid');
    const ids = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter((id) => id && !id.endsWith('-field-error'));
    if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
    else input.removeAttribute('aria-describedby');
  }
}

let fieldErrorCount = 0;

// Puts the problem's field errors next to the form's fields (matched by name); returns how many
// were placed, and focuses the first such field. Clears the previous ones first.
export function fieldErrors(form, error) {
  clearFieldErrors(form);
  if (!form) return 0;
  let placed = 0;
  for (const { field, message } of problemFieldErrors(error)) {
    const input = form.querySelector(`[name="${CSS.escape(field)}"]`);
    if (!input) continue;
    fieldErrorCount += 1;
    const id = `${input.id || field}-${fieldErrorCount}-field-error`;
    const note = h('p', { class: 'field-error', id }, message);
    (input.closest('.field') || input.parentElement).append(note);
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', [input.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
    if (placed === 0) input.focus();
    placed += 1;
  }
  return placed;
}

// Polite announcements for screen readers (one shared live region).
export function announce(message) {
  let region = document.getElementById('announcer');
  if (!region) {
    region = h('p', { id: 'announcer', class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
    document.body.append(region);
  }
  region.textContent = '';
  // A new text node in a later task is announced even when the text repeats.
  setTimeout(() => {
    region.textContent = message || '';
  }, 50);
}

// Copies text; falls back to selecting an input so the user can copy by hand.
export async function copyText(text, fallbackInput) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (fallbackInput) {
      fallbackInput.focus();
      fallbackInput.select();
    }
    return false;
  }
}

// A modal <dialog>: focus goes into it, stays in it (the browser traps it), Escape closes it,
// and focus returns where it came from. Returns { dialog, body, close }.
export function openDialog({ title, className = '', onClose, wide = false } = {}) {
  const opener = document.activeElement;
  const titleId = `dialog-title-${Math.random().toString(36).slice(2, 8)}`;
  const close = h('button', { type: 'button', class: 'button button--secondary button--small dialog-close' }, 'Close');
  const heading = h('h2', { id: titleId, tabindex: '-1' }, title);
  const body = h('div', { class: 'dialog-body' });
  const dialog = h(
    'dialog',
    { class: `dialog ${wide ? 'dialog--wide' : ''} ${className}`.trim(), 'aria-labelledby': titleId },
    h('div', { class: 'dialog-head' }, heading, close),
    body,
  );
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (onClose) onClose();
    let target = opener;
    // The opener's row may have been re-rendered meanwhile: find its replacement by data-*.
    if (target && !target.isConnected && opener.attributes) {
      const key = [...opener.attributes].find((a) => a.name.startsWith('data-') && a.name !== 'data-label');
      if (key) target = document.querySelector(`${opener.tagName.toLowerCase()}[${key.name}="${CSS.escape(key.value)}"]`);
    }
    if (target && target.isConnected && typeof target.focus === 'function') target.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  heading.focus();
  return { dialog, body, heading, close: () => dialog.close() };
}

// Asks a yes/no question in a modal dialog; resolves true when confirmed.
export function confirmDialog(title, message, confirmLabel = 'Confirm', { danger = false } = {}) {
  return new Promise((resolve) => {
    let answer = false;
    const { body, close } = openDialog({ title, onClose: () => resolve(answer) });
    const yes = h('button', { type: 'button', class: `button ${danger ? 'button--danger' : ''}`.trim() }, confirmLabel);
    const no = h('button', { type: 'button', class: 'button button--secondary' }, 'Cancel');
    yes.addEventListener('click', () => {
      answer = true;
      close();
    });
    no.addEventListener('click', close);
    body.append(h('p', {}, message), h('div', { class: 'button-row' }, yes, no));
  });
}

/* ---------- drag and drop ---------- */

function hasFiles(event) {
  return Boolean(event.dataTransfer) && Array.from(event.dataTransfer.types || []).includes('Files');
}

let windowDropGuard = false;

// Makes `zone` take dropped files (highlighted while files are dragged over it), and keeps a
// file dropped anywhere else on the page from making the browser navigate to it.
export function bindDropZone(zone, onFiles) {
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
    onFiles(event.dataTransfer.files);
  });
  if (windowDropGuard) return;
  windowDropGuard = true;
  // A file dropped beside the zone must not make the browser navigate away to it.
  for (const type of ['dragover', 'drop']) {
    window.addEventListener(type, (event) => {
      const target = event.target instanceof Element ? event.target : null;
      if (hasFiles(event) && !(target && target.closest('.drop-zone'))) {
        event.preventDefault();
        if (event.dataTransfer) event.dataTransfer.dropEffect = 'none';
      }
    });
  }
}
