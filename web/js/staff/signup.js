// "Create your company's portal" (signup.html): the sign-up form (its mode read from GET /signup,
// the portal address checked as it is typed), the "check your email" step with a resend, and
// the verification of the emailed link (`#verify=<token>`: in the fragment, never sent to a server).

import { publicCall, ApiError } from '../api.js';
import { setAlert, setBusy, isBusy, problemMessage, fieldErrors, clearFieldErrors, announce } from '../ui.js';

const $ = (id) => document.getElementById(id);
const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const SLUG_CHECK_DELAY_MS = 300;
let slugTimer = 0;
let slugRequest = 0;
let sentTo = '';

function show(id) {
  for (const part of ['signup-form', 'signup-sent', 'verify-view', 'signup-closed']) $(part).hidden = part !== id;
  $('signup-loading').textContent = '';
  $('signup-intro').hidden = id !== 'signup-form';
}

function portalLink(slug) {
  return `${window.location.origin}/p/${slug || 'your-company'}`;
}

// Suggests an address from the company name until the user edits the address themselves.
function suggestSlug(name) {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
}

function slugStatus(text, state) {
  const status = $('signup-slug-status');
  status.textContent = text;
  status.dataset.state = state || '';
}

async function checkSlug() {
  const slug = $('signup-slug').value.trim();
  $('signup-slug-preview').textContent = portalLink(slug);
  const request = ++slugRequest;
  if (!slug) return slugStatus('', '');
  if (slug.length < 3 || !SLUG.test(slug)) {
    return slugStatus('At least 3 lower-case letters, digits and single hyphens.', 'invalid');
  }
  slugStatus('Checking…', 'checking');
  try {
    const answer = await publicCall(`/signup/slugs/${encodeURIComponent(slug)}`, undefined, { method: 'GET' });
    if (request !== slugRequest) return;
    if (answer.available) slugStatus('This address is available.', 'available');
    else slugStatus('This address is taken. Choose another.', 'taken');
  } catch (err) {
    if (request !== slugRequest) return;
    const reason = problemMessage(err).replace(/^slug: /, '');
    slugStatus(err instanceof ApiError && err.status === 400 ? `This address ${reason}.` : reason, 'invalid');
  }
}

function scheduleSlugCheck() {
  clearTimeout(slugTimer);
  slugTimer = setTimeout(checkSlug, SLUG_CHECK_DELAY_MS);
}

async function submit(event) {
  event.preventDefault();
  const form = $('signup-form');
  const button = form.querySelector('button[type="submit"]');
  if (isBusy(button)) return;
  setAlert($('signup-error'), '');
  clearFieldErrors(form);
  const body = {
    companyName: $('signup-company').value.trim(),
    slug: $('signup-slug').value.trim(),
    name: $('signup-name').value.trim(),
    email: $('signup-email').value.trim(),
    password: $('signup-password').value,
  };
  if (!$('signup-code-field').hidden) body.inviteCode = $('signup-code').value.trim();
  setBusy(button, true, 'Creating…');
  try {
    await publicCall('/signup', body);
    sentTo = body.email;
    $('signup-sent-email').textContent = body.email;
    form.reset();
    show('signup-sent');
    $('signup-sent-title').focus();
    announce('Check your email to verify it.');
  } catch (err) {
    if (!fieldErrors(form, err)) setAlert($('signup-error'), problemMessage(err));
    if (err instanceof ApiError && err.status === 409) slugStatus('This address is taken. Choose another.', 'taken');
  } finally {
    setBusy(button, false);
  }
}

async function resend() {
  const button = $('signup-resend');
  if (isBusy(button)) return;
  setAlert($('signup-resend-error'), '');
  $('signup-resend-notice').textContent = '';
  setBusy(button, true, 'Sending…');
  try {
    await publicCall('/signup/resend', { email: sentTo });
    $('signup-resend-notice').textContent = 'If your sign-up is waiting for its verification, a new link is on its way.';
  } catch (err) {
    setAlert($('signup-resend-error'), problemMessage(err));
  } finally {
    setBusy(button, false);
  }
}

async function verify(token) {
  show('verify-view');
  // The token leaves the address bar (and the history) before anything else happens.
  history.replaceState(null, '', window.location.pathname);
  $('verify-title').focus();
  try {
    const answer = await publicCall('/signup/verify', { token });
    $('verify-title').textContent = 'Your portal is open';
    $('verify-notice').textContent = `Your email ${answer.email} is verified. Sign in with it and the password you chose; your customers' link is ${portalLink(answer.slug)}.`;
    $('verify-next').hidden = false;
  } catch (err) {
    $('verify-title').textContent = 'This link does not work';
    setAlert($('verify-error'), problemMessage(err));
    if (err instanceof ApiError && err.status === 409) $('verify-next').hidden = false;
  }
}

function verifyToken() {
  const match = /^#verify=([A-Za-z0-9_-]+)$/.exec(window.location.hash);
  return match ? match[1] : null;
}

async function init() {
  // The link opened in a tab that shows this page already changes only the fragment.
  window.addEventListener('hashchange', () => {
    const token = verifyToken();
    if (token) verify(token);
  });
  const token = verifyToken();
  if (token) {
    await verify(token);
    return;
  }
  try {
    const { mode } = await publicCall('/signup', undefined, { method: 'GET' });
    if (mode === 'closed') {
      show('signup-closed');
      return;
    }
    $('signup-code-field').hidden = mode !== 'invite-code';
    $('signup-code').required = mode === 'invite-code';
    show('signup-form');
  } catch (err) {
    $('signup-loading').textContent = '';
    setAlert($('signup-closed'), problemMessage(err));
    $('signup-closed').hidden = false;
    return;
  }
  let slugEdited = false;
  $('signup-slug-preview').textContent = portalLink('');
  $('signup-company').addEventListener('input', () => {
    if (slugEdited) return;
    $('signup-slug').value = suggestSlug($('signup-company').value);
    scheduleSlugCheck();
  });
  $('signup-slug').addEventListener('input', () => {
    slugEdited = $('signup-slug').value !== '';
    scheduleSlugCheck();
  });
  $('signup-form').addEventListener('submit', submit);
  $('signup-resend').addEventListener('click', resend);
}

init();
