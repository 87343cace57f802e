// casecircle's page script. Forms marked data-api are sent as JSON to the API; errors are shown
// next to the field they name. Buttons marked data-action call the API after confirmation.
// All user content is set with textContent, never as HTML.

import { formatDate, localiseTimes } from './dates.js';

const jsonHeaders = { 'Content-Type': 'application/json', Accept: 'application/json' };

// showServerStatus tells the reader when the server cannot reach its database; when all is
// well it says nothing (data-checked records that it looked).
async function showServerStatus() {
  const el = document.querySelector('[data-testid="server-status"]');
  if (!el) return;
  try {
    const res = await fetch('/readyz', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    el.textContent = res.ok ? '' : 'casecircle cannot reach its database right now; try again in a few minutes.';
    el.dataset.checked = res.ok ? 'ok' : 'unavailable';
  } catch {
    el.textContent = 'casecircle cannot be reached; check your connection.';
    el.dataset.checked = 'unreachable';
  }
}

// formBody turns a form's named fields into a JSON object; number inputs become numbers.
function formBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    body[el.name] = el.type === 'number' ? Number(el.value) : el.value;
  }
  return body;
}

function clearErrors(root) {
  for (const el of root.querySelectorAll('[data-error-for], [data-form-error], [data-form-success]')) el.textContent = '';
  for (const el of root.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

// showError puts an API error next to its field, or at the form's top when it names none.
function showError(form, error) {
  const fieldError = error.field && form.querySelector(`[data-error-for="${CSS.escape(error.field)}"]`);
  if (fieldError) {
    fieldError.textContent = error.message;
    const input = form.querySelector(`[name="${CSS.escape(error.field)}"]`);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
    return;
  }
  const general = form.querySelector('[data-form-error]') || document.querySelector('[data-action-error]');
  if (general) general.textContent = error.message;
}

async function callAPI(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: jsonHeaders,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  let data = null;
  if (res.status !== 204) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (!res.ok) {
    const error = (data && data.error) || { message: `The server answered ${res.status}.` };
    if (res.status === 429 && res.headers.get('Retry-After')) {
      error.message += ` (wait ${res.headers.get('Retry-After')} s)`;
    }
    throw error;
  }
  return data;
}

// sameOriginPath returns target if it resolves to a page of this origin, else "/": a
// redirect target comes from a query string, and browsers strip tabs before resolving.
function sameOriginPath(target) {
  try {
    const url = new URL(target || '/', location.origin);
    if (url.origin === location.origin) return url.pathname + url.search + url.hash;
  } catch (_) { /* not a URL: go home */ }
  return '/';
}

// addInvitationRow shows a new invitation at the top of the list, as the page would after a
// reload (which would lose the link, shown only once).
function addInvitationRow(inv) {
  const rows = document.querySelector('[data-invitation-rows]');
  if (!rows || !inv) return;
  const tr = document.createElement('tr');
  const cells = [['For', inv.note || '—'], ['Role', inv.role], ['Status', inv.status],
    ['Uses', `${inv.uses} / ${inv.max_uses}`], ['Expires', formatDate(inv.expires_at)]];
  for (const [label, text] of cells) {
    const td = document.createElement('td');
    td.dataset.label = label;
    td.textContent = text;
    tr.append(td);
  }
  tr.append(document.createElement('td'));
  rows.prepend(tr);
  rows.closest('table').hidden = false;
  document.querySelector('[data-no-invitations]')?.setAttribute('hidden', '');
}

// onSuccess acts on a form's or button's data-success: redirect:URL, reload, message:TEXT,
// community (open the community in the answer) or invitation (show the new link).
function onSuccess(el, data) {
  const what = el.dataset.success || 'reload';
  if (what.startsWith('redirect:')) {
    location.assign(sameOriginPath(what.slice('redirect:'.length)));
  } else if (what.startsWith('message:')) {
    const out = el.querySelector('[data-form-success]');
    if (out) out.textContent = what.slice('message:'.length);
    el.reset();
  } else if (what === 'template') {
    location.assign(`/communities/${data.template.community_id}/templates/${data.template.key}`);
  } else if (what === 'community') {
    location.assign(`/communities/${data.community.id}`);
  } else if (what === 'invitation') {
    const box = document.querySelector('[data-invitation-output]');
    const input = box.querySelector('input');
    // Without a configured public URL the server gives a path: complete it with this origin.
    input.value = data.url.startsWith('/') ? location.origin + data.url : data.url;
    box.hidden = false;
    input.focus();
    input.select();
    addInvitationRow(data.invitation);
    el.reset();
  } else {
    location.reload();
  }
}

function wireForms() {
  for (const form of document.querySelectorAll('form[data-api]')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
      clearErrors(form);
      const button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      try {
        const method = form.dataset.method || 'POST';
        const data = await callAPI(method, form.dataset.api, formBody(form));
        onSuccess(form, data);
      } catch (error) {
        showError(form, error);
      } finally {
        if (button) button.disabled = false;
      }
    });
  }
}

function wireActions() {
  for (const button of document.querySelectorAll('button[data-action]')) {
    button.addEventListener('click', async () => {
      if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
      const out = document.querySelector('[data-action-error]');
      if (out) out.textContent = '';
      button.disabled = true;
      try {
        const body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
        const data = await callAPI(button.dataset.action, button.dataset.url, body);
        onSuccess(button, data);
      } catch (error) {
        if (out) out.textContent = error.message;
      } finally {
        button.disabled = false;
      }
    });
  }
}

function wireCopyButtons() {
  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.addEventListener('click', async () => {
      const input = document.querySelector(button.dataset.copy);
      const status = button.closest('[data-invitation-output]')?.querySelector('[data-copy-status]');
      try {
        await navigator.clipboard.writeText(input.value);
        if (status) status.textContent = 'Link copied.';
      } catch {
        input.select();
        if (status) status.textContent = 'Press Ctrl+C (or ⌘C) to copy the selected link.';
      }
    });
  }
}

wireForms();
wireActions();
wireCopyButtons();
localiseTimes();
showServerStatus();
