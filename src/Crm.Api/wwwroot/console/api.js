// The console talks to the public REST API only, with the session cookie and the antiforgery header.
let antiforgery = null;
let onSignedOut = () => {};

export function useAntiforgery(session) {
  antiforgery = session?.antiforgeryToken ? { header: session.antiforgeryHeader, token: session.antiforgeryToken } : null;
}

export function whenSignedOut(handler) {
  onSignedOut = handler;
}

/** A failed call, named after what the user was doing, with the API's own reason and field errors. */
export class ApiError extends Error {
  constructor(what, status, problem) {
    const reason = problem?.detail || problem?.title || (status ? `the server answered ${status}` : 'the server could not be reached');
    super(`${what} failed: ${reason}`);
    this.status = status;
    this.fields = problem?.errors ?? {};
  }
}

export async function api(method, path, { body, what = 'The request', raw = false } = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    headers['Content-Type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
  }
  if (method !== 'GET' && antiforgery) headers[antiforgery.header] = antiforgery.token;

  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(what, 0, null);
  }
  if (response.status === 401 && path !== '/api/v1/session') onSignedOut();
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(what, response.status, problem);
  }
  if (raw) return response;
  return response.status === 204 ? null : response.json();
}

export const get = (path, what) => api('GET', path, { what });
export const post = (path, body, what) => api('POST', path, { body, what });
export const put = (path, body, what) => api('PUT', path, { body, what });
export const patch = (path, body, what) => api('PATCH', path, { body, what });
export const del = (path, what) => api('DELETE', path, { what });

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
