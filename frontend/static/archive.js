// The archive form: pre-filled from the case's sessions, sent as JSON; the anonymiser's findings
// in the summary are shown, and nothing is archived until the facilitator decides.

import { clearErrors, findingsOf, get, post, showError } from './api.js';
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
  clearErrors(form);
  try {
    await post(form.dataset.archiveApi, collect());
  } catch (err) {
    const findings = findingsOf(err);
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
    showError(form, err);
    return;
  }
  location.assign(form.dataset.back);
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  accept = [];
  send();
});

get(form.dataset.archiveApi)
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
  })
  .catch((err) => showError(form, err));
