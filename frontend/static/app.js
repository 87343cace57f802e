// casecircle's page script. Forms marked data-api are sent as JSON to the API; errors are shown
// next to the field they name. Buttons marked data-action call the API after confirmation.
// All user content is set with textContent, never as HTML.

import { clearErrors, request, showError } from './api.js';
import { formatDate, localiseTimes } from './dates.js';

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
    if (el.type === 'number') body[el.name] = Number(el.value);
    else if (el.dataset.type === 'bool') body[el.name] = el.value === 'true';
    else if (el.hasAttribute('data-list')) body[el.name] = el.value.split(/[\s,;]+/).filter(Boolean);
    else body[el.name] = el.value;
  }
  return body;
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

// showLink shows a link the server made (an invitation, a reset link) in its box, selected for
// copying. Without a configured public URL the server gives a path: it is completed with this
// origin.
function showLink(boxSelector, url) {
  const box = document.querySelector(boxSelector);
  const input = box.querySelector('input');
  input.value = url.startsWith('/') ? location.origin + url : url;
  box.hidden = false;
  input.focus();
  input.select();
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
    showLink('[data-invitation-output]', data.url);
    addInvitationRow(data.invitation);
    el.reset();
  } else if (what === 'reset-link') {
    showLink('[data-reset-output]', data.url);
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
        const data = await request(method, form.dataset.api, formBody(form));
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
        const data = await request(button.dataset.action, button.dataset.url, body);
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

// listTimeZones offers the zone names this browser knows in the account page's time zone field.
function listTimeZones() {
  const list = document.querySelector('[data-time-zones]');
  if (!list || !Intl.supportedValuesOf) return;
  list.replaceChildren(...Intl.supportedValuesOf('timeZone').map((zone) => Object.assign(document.createElement('option'), { value: zone })));
}

wireForms();
wireActions();
wireCopyButtons();
listTimeZones();
localiseTimes();
showServerStatus();
