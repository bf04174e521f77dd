// Registration from the invitation link, activation with the emailed code, sign-in, forgotten
// password (request a code, then set a new password with it).

import { ApiError, publicCall } from '../api.js';
import {
  announce,
  clearFieldErrors,
  fieldErrors,
  h,
  isBusy,
  problemFieldErrors,
  problemMessage,
  setAlert,
  setBusy,
} from '../ui.js';
import { PENDING_EMAIL_KEY, app, byId, reportError, session, storeGet, storeSet, str } from './context.js';

const PASSWORD_RULES = [
  [(p) => p.length >= 10, 'at least 10 characters'],
  [(p) => /[a-z]/.test(p), 'a lower-case letter'],
  [(p) => /[A-Z]/.test(p), 'an upper-case letter'],
  [(p) => /[0-9]/.test(p), 'a number'],
  [(p) => /[^A-Za-z0-9]/.test(p), 'a symbol'],
];

let hooks = { go: () => {}, signedIn: () => {} };

// A message shown above the sign-in form (after activation, a password change…).
function signInNotice(message) {
  byId('sign-in-notice').textContent = message || '';
}

// Marks one field invalid with a message next to it (same look as the API's field errors).
function localFieldError(form, name, message) {
  const problem = new ApiError(422, { status: 422, detail: `${name}: ${message}` });
  fieldErrors(form, problem);
}

function missingPasswordParts(password) {
  return PASSWORD_RULES.filter(([ok]) => !ok(password)).map(([, text]) => text);
}

// Checks a new password and its repetition before asking the server; false if refused.
function checkNewPassword(form, name, password, again) {
  const missing = missingPasswordParts(password);
  if (missing.length) {
    localFieldError(form, name, `The password needs ${missing.join(', ')}.`);
    return false;
  }
  if (password !== again) {
    localFieldError(form, 'passwordAgain', 'The two passwords are not the same.');
    return false;
  }
  return true;
}

function requireValue(form, name, value, message) {
  if (value) return true;
  localFieldError(form, name, message);
  return false;
}

// Runs a form's submission with its button busy and its errors cleared.
async function submitting(form, errorRegion, busyLabel, work) {
  const button = form.querySelector('button[type="submit"]');
  if (isBusy(button)) return;
  clearFieldErrors(form);
  setAlert(errorRegion, '');
  setBusy(button, true, busyLabel);
  try {
    await work();
  } catch (error) {
    // Field errors go next to their field (focused); the alert repeats them without the field path.
    if (fieldErrors(form, error)) setAlert(errorRegion, problemFieldErrors(error).map((e) => e.message).join(' '));
    else reportError(errorRegion, error);
  } finally {
    setBusy(button, false);
  }
}

/* ---------- registration ---------- */

export function showRegisterCopy() {
  const company = app.branding ? str(app.branding.name) : '';
  byId('register-intro').textContent = company
    ? `${company} invited you to its customer portal. Choose a password to create your account.`
    : 'You were invited to a customer portal. Choose a password to create your account.';
  const usable = typeof app.registerToken === 'string' && /^[A-Za-z0-9_-]{20,200}$/.test(app.registerToken);
  setAlert(
    byId('register-error'),
    usable ? '' : 'This invitation link is incomplete. Open the link from your invitation email again, or copy the whole address.',
  );
}

function registrationMessage(error) {
  if (error instanceof ApiError) {
    if (error.status === 422 && problemFieldErrors(error).some((e) => e.field === 'token')) {
      return 'This invitation link is not valid. Open the link from your invitation email again (the whole address), or ask the company for a new invitation.';
    }
    const type = error.problem && typeof error.problem.type === 'string' ? error.problem.type : '';
    if (error.status === 409 && type.endsWith('/account-company-limit')) {
      return 'Your portal account already includes 50 companies, the most one account can. Ask one of them to remove you, or ask this company to invite another email address.';
    }
    if (error.status === 409) return 'This invitation link has been used already. Sign in with your email and password instead.';
    if (error.status === 410) {
      return `${problemMessage(error).replace(/\.?$/, '.')} Ask the company to send you a new invitation.`;
    }
  }
  return null;
}

async function onRegister(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const errorRegion = byId('register-error');
  const password = byId('register-password').value;
  const again = byId('register-password-again').value;
  await submitting(form, errorRegion, 'Creating your account…', async () => {
    if (!app.registerToken) {
      showRegisterCopy();
      return;
    }
    if (!checkNewPassword(form, 'password', password, again)) return;
    let registered;
    try {
      registered = await publicCall('/registration', { token: app.registerToken, password });
    } catch (error) {
      const special = registrationMessage(error);
      if (!special) throw error;
      setAlert(errorRegion, special);
      byId('register-password').focus();
      return;
    }
    form.reset();
    const email = str(registered && registered.email);
    // The token is used up: drop it from the address bar and history.
    app.registerToken = null;
    history.replaceState(null, '', app.slug ? `/p/${encodeURIComponent(app.slug)}` : '/portal');
    if (registered && registered.status === 'active') {
      // An existing account, now linked to this company as well.
      signInNotice(
        `Your account ${email} now includes ${app.branding ? str(app.branding.name) : 'this company'}. Sign in with your password.`,
      );
      byId('sign-in-email').value = email;
      if (session.tokens()) hooks.signedIn({ refreshOnly: true });
      else hooks.go('sign-in');
      announce('Your account is linked.');
      return;
    }
    storeSet(PENDING_EMAIL_KEY, email);
    prepareActivation(email);
    hooks.go('activate');
    announce('Account created. Enter the confirmation code we emailed you.');
  });
}

/* ---------- activation ---------- */

export function prepareActivation(email = storeGet(PENDING_EMAIL_KEY) || '') {
  const known = Boolean(email);
  byId('activate-email').value = email;
  // The invitation fixed the email: show it rather than ask for it again.
  byId('activate-email-field').hidden = known;
  const intro = byId('activate-intro');
  if (known) {
    intro.replaceChildren('We emailed a confirmation code to ', h('strong', {}, email), '. Enter it to activate your account.');
  } else {
    intro.textContent = 'Enter your email and the confirmation code we emailed you to activate your account.';
  }
}

async function onActivate(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const email = byId('activate-email').value.trim();
  const code = byId('activate-code').value.replace(/\s+/g, '');
  setAlert(byId('activate-notice'), '');
  await submitting(form, byId('activate-error'), 'Activating…', async () => {
    if (!email) byId('activate-email-field').hidden = false;
    if (!requireValue(form, 'email', email, 'Enter the email your invitation was sent to.')) return;
    if (!requireValue(form, 'code', code, 'Enter the code from the email.')) return;
    if (!/^[A-Za-z0-9]{1,16}$/.test(code)) {
      localFieldError(form, 'code', 'The code has only letters and digits.');
      return;
    }
    await publicCall('/registration/confirm', { email, code });
    form.reset();
    storeSet(PENDING_EMAIL_KEY, null);
    signInNotice('Your account is active. Sign in to see your documents.');
    byId('sign-in-email').value = email;
    hooks.go('sign-in');
    byId('sign-in-password').focus();
    announce('Your account is active.');
  });
}

async function onResend() {
  const button = byId('activate-resend');
  const form = byId('activate-form');
  if (isBusy(button)) return;
  const email = byId('activate-email').value.trim();
  clearFieldErrors(form);
  setAlert(byId('activate-error'), '');
  setAlert(byId('activate-notice'), '');
  if (!email) {
    byId('activate-email-field').hidden = false;
    localFieldError(form, 'email', 'Enter the email your invitation was sent to.');
    return;
  }
  setBusy(button, true, 'Sending…');
  try {
    await publicCall('/registration/resend', { email });
    setAlert(byId('activate-notice'), `If ${email} is waiting for activation, a new code is on its way.`);
  } catch (error) {
    fieldErrors(form, error);
    reportError(byId('activate-error'), error);
  } finally {
    setBusy(button, false);
  }
}

/* ---------- sign-in ---------- */

async function onSignIn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const email = byId('sign-in-email').value.trim();
  const password = byId('sign-in-password').value;
  await submitting(form, byId('sign-in-error'), 'Signing in…', async () => {
    if (!requireValue(form, 'email', email, 'Enter your email.')) return;
    if (!requireValue(form, 'password', password, 'Enter your password.')) return;
    let tokens;
    try {
      tokens = await publicCall('/auth/customer/login', { email, password });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setAlert(
          byId('sign-in-error'),
          'The email or password is not right, or the account is not activated yet. Check them and try again.',
        );
        byId('sign-in-password').select();
        return;
      }
      throw error;
    }
    if (!tokens || typeof tokens.accessToken !== 'string') throw new ApiError(0, { detail: 'The server returned no session.' });
    session.save(tokens);
    form.reset();
    signInNotice('');
    hooks.signedIn({});
    announce('Signed in.');
  });
}

/* ---------- forgotten password ---------- */

async function onForgot(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const email = byId('forgot-email').value.trim();
  await submitting(form, byId('forgot-error'), 'Sending…', async () => {
    if (!requireValue(form, 'email', email, 'Enter your email.')) return;
    await publicCall('/auth/customer/forgot-password', { email });
    byId('reset-email').value = email;
    setAlert(byId('reset-notice'), `If ${email} has a portal account, we emailed it a code. Enter it with your new password.`);
    hooks.go('reset-password');
    byId('reset-code').focus();
  });
}

async function onReset(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const email = byId('reset-email').value.trim();
  const code = byId('reset-code').value.replace(/\s+/g, '');
  const newPassword = byId('reset-password').value;
  const again = byId('reset-password-again').value;
  await submitting(form, byId('reset-error'), 'Changing…', async () => {
    if (!requireValue(form, 'email', email, 'Enter your email.')) return;
    if (!requireValue(form, 'code', code, 'Enter the code from the email.')) return;
    if (!checkNewPassword(form, 'newPassword', newPassword, again)) return;
    await publicCall('/auth/customer/reset-password', { email, code, newPassword });
    form.reset();
    setAlert(byId('reset-notice'), '');
    byId('sign-in-email').value = email;
    signInNotice('Your password is changed. Sign in with the new one.');
    hooks.go('sign-in');
    byId('sign-in-password').focus();
    announce('Password changed.');
  });
}

// Typing in a field marked invalid clears its message (the next submit checks again).
function clearOnInput(form) {
  form.addEventListener('input', (event) => {
    const input = event.target;
    if (!(input instanceof HTMLElement) || input.getAttribute('aria-invalid') !== 'true') return;
    const field = input.closest('.field');
    if (field) for (const note of field.querySelectorAll('.field-error')) note.remove();
    input.removeAttribute('aria-invalid');
    const ids = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter((id) => id && !id.endsWith('-field-error'));
    if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
    else input.removeAttribute('aria-describedby');
  });
}

export function initAuth(callbacks) {
  hooks = { ...hooks, ...callbacks };
  for (const id of ['register-form', 'activate-form', 'sign-in-form', 'forgot-form', 'reset-form']) clearOnInput(byId(id));
  byId('register-form').addEventListener('submit', onRegister);
  byId('activate-form').addEventListener('submit', onActivate);
  byId('activate-resend').addEventListener('click', onResend);
  byId('sign-in-form').addEventListener('submit', onSignIn);
  byId('forgot-form').addEventListener('submit', onForgot);
  byId('reset-form').addEventListener('submit', onReset);
  // Carry a typed email from one form to the next.
  for (const [from, to] of [
    ['sign-in-email', 'forgot-email'],
    ['forgot-email', 'reset-email'],
  ]) {
    byId(from).addEventListener('change', () => {
      if (!byId(to).value) byId(to).value = byId(from).value.trim();
    });
  }
}
