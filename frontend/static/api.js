// The one way the pages call casecircle's JSON API (docs/api.md), and the one way they show
// its errors. Every request goes with the session cookie; every refusal becomes the API's own
// error object, {code, message, field, details}, thrown with the HTTP status.

const jsonHeaders = { 'Content-Type': 'application/json', Accept: 'application/json' };

// request sends body (if any) as JSON and returns the answer's JSON (null for 204 No
// Content). A refusal throws the API's error; a 429 says how long to wait; a failed
// connection throws {code: "unavailable"} with a message a person can act on. Options:
// keepalive (the request outlives the page), signal (an AbortController's, to cancel it).
export async function request(method, url, body, { keepalive = false, signal } = {}) {
  let res;
  try {
    res = await fetch(url, {
      method,
      headers: jsonHeaders,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      keepalive,
      signal,
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err; // the caller cancelled it
    throw { code: 'unavailable', status: 0, message: 'The server cannot be reached; check your connection and try again.' };
  }
  let data = null;
  if (res.status !== 204) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (!res.ok) {
    const error = { ...((data && data.error) || { message: `The server answered ${res.status}.` }), status: res.status };
    if (res.status === 429 && res.headers.get('Retry-After')) {
      error.message += ` (wait ${res.headers.get('Retry-After')} s)`;
    }
    throw error;
  }
  return data;
}

// get reads a resource.
export const get = (url) => request('GET', url);

// post sends body to url.
export const post = (url, body) => request('POST', url, body);

// findingsOf returns the anonymiser's open findings an error carries (details.findings, the
// same over HTTP and WebSocket), or null.
export function findingsOf(error) {
  return (error && error.details && error.details.findings) || null;
}

// clearErrors empties the error (and success) slots of a form, or any element, and unmarks
// its inputs.
export function clearErrors(scope) {
  for (const el of scope.querySelectorAll('[data-error-for], [data-form-error], [data-form-success]')) el.textContent = '';
  for (const el of scope.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

// showError puts an error next to the field it names (data-error-for), marks that input (by
// name, or data-field for generated ones such as phases[1].minutes) invalid and focuses it; otherwise it goes in the scope's general slot (data-form-error), or
// the page's (data-action-error).
export function showError(scope, error) {
  const slot = error.field && scope.querySelector(`[data-error-for="${CSS.escape(error.field)}"]`);
  if (slot) {
    slot.textContent = error.message;
    const field = CSS.escape(error.field);
    const input = scope.querySelector(`[name="${field}"], [data-field="${field}"]`);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
    return;
  }
  const general = scope.querySelector('[data-form-error]') || document.querySelector('[data-action-error]');
  if (general) general.textContent = error.message;
}
