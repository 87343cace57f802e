// The archive form: pre-filled from the case's sessions, sent as JSON; the anonymiser's findings
// in the summary are shown, and nothing is archived until the facilitator decides.

import { formatDate } from './dates.js';

const form = document.querySelector('[data-archive-form]');
const $ = (sel) => form.querySelector(sel);
let accept = [];

function collect() {
  return {
    themes: $('[name="themes"]').value.split(',').map((t) => t.trim()).filter(Boolean),
    learning_points: $('[name="learning_points"]').value,
    actions: $('[name="actions"]').value,
    kept_sessions: [...form.querySelectorAll('[name="keep"]:checked')].map((c) => Number(c.value)),
    decisions: { accept },
  };
}

async function send() {
  for (const e of form.querySelectorAll('.field-error, [data-form-error]')) e.textContent = '';
  const res = await fetch(form.dataset.archiveApi, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(collect()),
  });
  if (res.ok) {
    location.assign(form.dataset.back);
    return;
  }
  const err = ((await res.json().catch(() => null)) || {}).error || { message: `The server answered ${res.status}.` };
  const findings = err.details?.findings;
  if (err.field === 'decisions' && findings) {
    const box = $('[data-findings]');
    $('[data-findings-list]').textContent = [...new Set(findings.map((f) => `“${f.text}”`))].join(', ');
    box.hidden = false;
    $('[data-replace-all]').onclick = () => {
      accept = [...new Set(findings.map((f) => f.text))];
      box.hidden = true;
      send();
    };
    return;
  }
  const out = err.field && form.querySelector(`[data-error-for="${CSS.escape(err.field)}"]`);
  (out || $('[data-form-error]')).textContent = err.message;
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  accept = [];
  send();
});

fetch(form.dataset.archiveApi, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
  .then((r) => r.json())
  .then(({ summary, records }) => {
    // Pre-fill only what is still empty: the facilitator may have started writing before the
    // draft arrived, and what they wrote wins.
    const fill = (name, value) => {
      const el = $(`[name="${name}"]`);
      if (!el.value) el.value = value || '';
    };
    fill('themes', (summary.themes || []).join(', '));
    fill('learning_points', summary.learning_points);
    fill('actions', summary.actions);
    const box = $('[data-records]');
    if (records && records.length) $('[data-no-records]').remove();
    for (const r of records || []) {
      const label = document.createElement('label');
      const input = Object.assign(document.createElement('input'), { type: 'checkbox', name: 'keep', value: r.session_id, checked: true });
      label.append(input, ` ${r.template_name}, ${formatDate(r.started_at)}`);
      box.append(label);
    }
  });
