// The portal's JSON API, shared by the staff dashboard and the customer portal.
// Plain ES module, no dependencies. Errors are problem+json (RFC 9457): { type, title, status, detail }.

// Request headers a page may not set (XMLHttpRequest refuses them with a console error).
const FORBIDDEN_HEADER =
  /^(accept-charset|accept-encoding|access-control-request-.*|connection|content-length|cookie2?|date|dnt|expect|host|keep-alive|origin|permissions-policy|proxy-.*|referer|sec-.*|te|trailer|transfer-encoding|upgrade|via)$/i;

export class ApiError extends Error {
  // status 0: no answer (network); problem: the parsed problem+json body (or a stand-in).
  constructor(status, problem) {
    super(problemText(problem, status));
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem && typeof problem === 'object' ? problem : null;
  }
}

// Thrown to callers after the session ended; the sign-in screen already says why.
export class SessionEnded extends Error {
  constructor(message = 'The session has ended.') {
    super(message);
    this.name = 'SessionEnded';
  }
}

export function apiBase() {
  const base = window.PORTAL_CONFIG && window.PORTAL_CONFIG.apiBase;
  return (typeof base === 'string' && base.trim() ? base.trim() : '/api').replace(/\/+$/, '');
}

function problemText(problem, status) {
  const pick = (value) => (typeof value === 'string' && value.trim() ? value.trim() : '');
  const fallback = status ? `The request failed (HTTP ${status}).` : 'The request failed.';
  // API Gateway's own answers are { message }.
  return pick(problem && problem.detail) || pick(problem && problem.message) || pick(problem && problem.title) || fallback;
}

export function networkError() {
  return new ApiError(0, { detail: 'The server could not be reached. Check your connection and try again.' });
}

export function abortError() {
  return new DOMException('The operation was aborted.', 'AbortError');
}

async function send(path, { method = 'GET', body, token, signal } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(apiBase() + path, {
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

// Calls without a token (sign-in, registration, branding).
export async function publicCall(path, body, { method = 'POST' } = {}) {
  return parse(await send(path, { method, body }));
}

// The ID token's claims, for display only (the API never trusts them from us).
export function tokenClaims(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(part.padEnd(Math.ceil(part.length / 4) * 4, '='));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    return null;
  }
}

// A signed-in session whose tokens live in sessionStorage under storageKey. A 401 refreshes once
// through refreshPath; if that fails, onExpired(message) runs and the call throws SessionEnded.
export function createSession({ storageKey, refreshPath, onExpired = () => {} }) {
  let refreshing = null;

  function tokens() {
    try {
      const stored = JSON.parse(sessionStorage.getItem(storageKey) || 'null');
      return stored && typeof stored.accessToken === 'string' ? stored : null;
    } catch {
      return null;
    }
  }

  function save(fresh) {
    const { accessToken, idToken, refreshToken, expiresIn, tokenType } = fresh || {};
    try {
      sessionStorage.setItem(storageKey, JSON.stringify({ accessToken, idToken, refreshToken, expiresIn, tokenType }));
    } catch {
      // Storage refused (private mode quota): the session simply won't survive a reload.
    }
  }

  function clear() {
    try {
      sessionStorage.removeItem(storageKey);
    } catch {
      // Nothing to clear.
    }
  }

  function claims() {
    return tokenClaims(tokens()?.idToken);
  }

  async function tryRefresh() {
    const current = tokens();
    if (!current || !current.refreshToken) return false;
    try {
      const fresh = await publicCall(refreshPath, { refreshToken: current.refreshToken });
      if (!fresh || typeof fresh.accessToken !== 'string') return false;
      save({ ...fresh, refreshToken: fresh.refreshToken || current.refreshToken });
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 0) throw error; // offline is no reason to sign out
      return false;
    }
  }

  // One refresh at a time, shared by every call that got a 401.
  function refresh() {
    refreshing ??= tryRefresh().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  async function call(path, { method = 'GET', body, signal } = {}) {
    if (!tokens()) throw new SessionEnded();
    const attempt = () => send(path, { method, body, signal, token: tokens()?.accessToken });
    let response = await attempt();
    if (response.status === 401 && (await refresh())) response = await attempt();
    if (response.status === 401) {
      const message = 'Your session has expired. Please sign in again.';
      if (tokens()) {
        clear();
        onExpired(message);
      }
      throw new SessionEnded(message);
    }
    return parse(response);
  }

  return { tokens, save, clear, claims, call, refresh };
}

// Sends the bytes of a presigned upload with XMLHttpRequest, which (unlike fetch) reports upload
// progress. onProgress(fraction 0..1). Headers the browser forbids are skipped (it sets them);
// every other header of the ticket is signed and sent as given (if-none-match: * among them).
export function putWithProgress(upload, file, contentType, onProgress = () => {}, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) {
      reject(abortError());
      return;
    }
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    const done = (outcome) => {
      if (signal) signal.removeEventListener('abort', onAbort);
      outcome();
    };
    xhr.open(typeof upload.method === 'string' && upload.method ? upload.method : 'PUT', upload.url);
    for (const [name, value] of Object.entries(upload.headers || {})) {
      if (!FORBIDDEN_HEADER.test(name) && name.toLowerCase() !== 'content-type') xhr.setRequestHeader(name, String(value));
    }
    if (contentType) xhr.setRequestHeader('Content-Type', contentType);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () =>
      done(() => {
        if (xhr.status >= 200 && xhr.status < 300) {
          onProgress(1);
          resolve();
        } else {
          // 412: the upload URL is single-use (it signs If-None-Match: *) and was used already.
          const detail =
            xhr.status === 412
              ? 'This upload link was used already. Start the upload again.'
              : `The storage service refused the file (HTTP ${xhr.status}).`;
          reject(new ApiError(xhr.status, { detail }));
        }
      }),
    );
    xhr.addEventListener('error', () => done(() => reject(networkError())));
    xhr.addEventListener('abort', () => done(() => reject(abortError())));
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    xhr.send(file);
  });
}
