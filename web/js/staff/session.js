// Sign-in (with the forced new-password step of invited staff) and sign-out.

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
  document.title = 'Sign in — Customer Portal';
  if (focus) $('login-email').focus();
}

function showLoginForm() {
  challenge = null;
  $('login-form').hidden = false;
  $('new-password-form').hidden = true;
  $('new-password-form').reset();
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

  $('sign-out').addEventListener('click', () => {
    onSignedOut('');
    announce('You have signed out.');
  });
}
