// Sign-in (with the forced new-password step of invited staff), the forgotten password (a code
// by email, then the code and a new password) and sign-out (revoking the refresh tokens).

import { publicCall, ApiError } from '../api.js';
import { setAlert, setBusy, isBusy, problemMessage, fieldErrors, announce } from '../ui.js';
import { app } from './state.js';

const $ = (id) => document.getElementById(id);

let challenge = null; // { email, session } while the new-password step is shown

export function showLogin({ error = '', focus = false } = {}) {
  $('app-header').hidden = true;
  $('dashboard').hidden = true;
  $('login-view').hidden = false;
  showLoginForm();
  setAlert($('login-error'), error);
  if (error) $('login-notice').textContent = '';
  document.title = 'Sign in — Customer Portal';
  if (focus) $('login-email').focus();
}

function showLoginForm() {
  challenge = null;
  showOnly('login-form');
  $('new-password-form').reset();
}

// One form of the sign-in card at a time.
function showOnly(id) {
  for (const form of ['login-form', 'new-password-form', 'forgot-form', 'reset-form']) $(form).hidden = form !== id;
}

function showForgot() {
  const email = $('login-email').value.trim();
  if (email && !$('forgot-email').value) $('forgot-email').value = email;
  setAlert($('forgot-error'), '');
  showOnly('forgot-form');
  $('forgot-title').focus();
}

function showReset(email, notice = '') {
  if (email) $('reset-email').value = email;
  $('reset-notice').textContent = notice;
  setAlert($('reset-error'), '');
  showOnly('reset-form');
  $('reset-title').focus();
}

// Staff passwords follow the staff pool's policy (infra/template.yaml).
const PASSWORD_RULES = [
  [(p) => p.length >= 12, 'at least 12 characters'],
  [(p) => /[a-z]/.test(p), 'a lower-case letter'],
  [(p) => /[A-Z]/.test(p), 'an upper-case letter'],
  [(p) => /[0-9]/.test(p), 'a digit'],
  [(p) => /[^A-Za-z0-9]/.test(p), 'a symbol'],
];

function bindRecovery() {
  const forgotForm = $('forgot-form');
  const resetForm = $('reset-form');
  $('forgot-link').addEventListener('click', (event) => {
    event.preventDefault();
    showForgot();
  });
  $('have-code-link').addEventListener('click', (event) => {
    event.preventDefault();
    showReset($('forgot-email').value.trim());
  });
  $('new-code-link').addEventListener('click', (event) => {
    event.preventDefault();
    const email = $('reset-email').value.trim();
    if (email) $('forgot-email').value = email;
    showForgot();
  });
  for (const back of document.querySelectorAll('[data-back-to-sign-in]')) {
    back.addEventListener('click', () => {
      showLoginForm();
      $('login-email').focus();
    });
  }

  // A message about what was typed goes once the person types again.
  forgotForm.addEventListener('input', () => setAlert($('forgot-error'), ''));
  resetForm.addEventListener('input', () => setAlert($('reset-error'), ''));

  forgotForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = forgotForm.querySelector('button[type="submit"]');
    if (isBusy(button)) return;
    const email = $('forgot-email').value.trim();
    setAlert($('forgot-error'), '');
    fieldErrors(forgotForm, null);
    if (!email) {
      setAlert($('forgot-error'), 'Enter your email.');
      $('forgot-email').focus();
      return;
    }
    setBusy(button, true, 'Sending…');
    try {
      await publicCall('/auth/staff/forgot-password', { email });
      // The same answer whether or not the account exists: say so.
      showReset(email, `If ${email} has a staff account, we emailed it a code. Enter it with your new password.`);
      $('reset-code').focus();
      announce('If the account exists, a code is on its way.');
    } catch (err) {
      if (!fieldErrors(forgotForm, err)) setAlert($('forgot-error'), problemMessage(err));
    } finally {
      setBusy(button, false);
    }
  });

  resetForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = resetForm.querySelector('button[type="submit"]');
    if (isBusy(button)) return;
    const alert = $('reset-error');
    setAlert(alert, '');
    fieldErrors(resetForm, null);
    const email = $('reset-email').value.trim();
    const code = $('reset-code').value.replace(/\s+/g, '');
    const newPassword = $('reset-password').value;
    const missing = PASSWORD_RULES.filter(([ok]) => !ok(newPassword)).map(([, text]) => text);
    const refuse = (message, field) => {
      setAlert(alert, message);
      $(field).focus();
    };
    if (!email) return refuse('Enter your email.', 'reset-email');
    if (!code) return refuse('Enter the code from the email.', 'reset-code');
    if (missing.length) return refuse(`The password needs ${missing.join(', ')}.`, 'reset-password');
    if (newPassword !== $('reset-password-again').value) return refuse('The two passwords differ.', 'reset-password-again');
    setBusy(button, true, 'Changing…');
    try {
      await publicCall('/auth/staff/reset-password', { email, code, newPassword });
      resetForm.reset();
      $('reset-notice').textContent = '';
      showLoginForm();
      $('login-email').value = email;
      $('login-notice').textContent = 'Your password is changed. Sign in with the new one.';
      $('login-password').focus();
      announce('Password changed.');
    } catch (err) {
      if (!fieldErrors(resetForm, err)) setAlert(alert, problemMessage(err));
    } finally {
      setBusy(button, false);
    }
  });
}

function tokensOrThrow(tokens) {
  if (!tokens || typeof tokens.accessToken !== 'string') throw new ApiError(0, { detail: 'The server returned no session.' });
  return tokens;
}

export function bindSession(onSignedIn, onSignedOut) {
  const loginForm = $('login-form');
  const passwordForm = $('new-password-form');

  loginForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = loginForm.querySelector('button[type="submit"]');
    if (isBusy(button)) return;
    const email = $('login-email').value.trim();
    const password = $('login-password').value;
    setAlert($('login-error'), '');
    fieldErrors(loginForm, null);
    if (!email || !password) {
      setAlert($('login-error'), 'Enter your email and password.');
      (email ? $('login-password') : $('login-email')).focus();
      return;
    }
    setBusy(button, true, 'Signing in…');
    $('login-notice').textContent = '';
    try {
      const answer = await publicCall('/auth/staff/login', { email, password });
      if (answer && answer.challenge === 'NEW_PASSWORD_REQUIRED') {
        challenge = { email, session: answer.session };
        loginForm.reset();
        loginForm.hidden = true;
        passwordForm.hidden = false;
        $('new-password-title').focus();
        announce('Choose a new password to finish signing in.');
        return;
      }
      app.session.save(tokensOrThrow(answer));
      loginForm.reset();
      await onSignedIn();
    } catch (err) {
      if (!fieldErrors(loginForm, err)) setAlert($('login-error'), problemMessage(err));
    } finally {
      setBusy(button, false);
    }
  });

  passwordForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = passwordForm.querySelector('button[type="submit"]');
    if (isBusy(button) || !challenge) return;
    const alert = $('new-password-error');
    setAlert(alert, '');
    fieldErrors(passwordForm, null);
    const newPassword = $('new-password').value;
    if (!newPassword) {
      setAlert(alert, 'Enter a new password.');
      $('new-password').focus();
      return;
    }
    if (newPassword !== $('new-password-again').value) {
      setAlert(alert, 'The two passwords differ.');
      $('new-password-again').focus();
      return;
    }
    setBusy(button, true, 'Saving…');
    try {
      const tokens = await publicCall('/auth/staff/new-password', { email: challenge.email, session: challenge.session, newPassword });
      app.session.save(tokensOrThrow(tokens));
      showLoginForm();
      await onSignedIn();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        // The session of the challenge expired: start again.
        showLoginForm();
        setAlert($('login-error'), 'That step took too long. Sign in again with your temporary password.');
        $('login-email').focus();
      } else if (!fieldErrors(passwordForm, err)) {
        setAlert(alert, problemMessage(err));
      }
    } finally {
      setBusy(button, false);
    }
  });

  $('new-password-cancel').addEventListener('click', () => {
    showLoginForm();
    $('login-email').focus();
  });

  bindRecovery();

  const signOut = $('sign-out');
  signOut.addEventListener('click', async () => {
    if (isBusy(signOut)) return;
    setBusy(signOut, true, 'Signing out…');
    try {
      // Signs out every device (the refresh tokens stop working; an expired access token is
      // refreshed first). The page forgets its tokens whatever the answer (offline…).
      await app.session.call('/auth/staff/logout', { method: 'POST' });
    } catch {
      // Nothing more to do here.
    } finally {
      setBusy(signOut, false);
    }
    onSignedOut('');
    $('login-notice').textContent = 'You have signed out.';
    announce('You have signed out.');
  });
}
