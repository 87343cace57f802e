// The case composer: checks anonymisation with the server, lets the author decide on every
// finding (replace or keep) and mark extra text, previews what will be stored, then saves or
// publishes. Raw text only ever goes to the server in requests; nothing is kept in storage.
// Everything shown is built with textContent, never as HTML.

import { clearErrors, findingsOf, request, showError } from './api.js';
import { appendFindings, extraItems } from './review-marks.js';

const form = document.getElementById('composer');
const community = form.dataset.community;
const caseID = form.dataset.case;
const api = `/api/v1/communities/${community}/cases`;

const fieldNames = ['title', 'context', 'presenting_issue', 'reflection', 'question', 'tags'];
const fieldLabels = {
  title: 'Title', context: 'Context', presenting_issue: 'What happened', reflection: 'What I did and felt',
  question: 'My question for the group', tags: 'Tags',
};

// decisions by finding text: 'accept' or 'dismiss'; extras are texts the author adds.
const decisions = new Map();
const extras = [];
let preview = null; // the last answer of /cases/anonymise

const $ = (sel) => form.querySelector(sel);

function caseFromForm() {
  const value = (name) => form.elements[name].value;
  return {
    title: value('title'), kind: value('kind'), context: value('context'),
    presenting_issue: value('presenting_issue'), reflection: value('reflection'), question: value('question'),
    tags: value('tags').split(',').map((t) => t.trim()).filter(Boolean),
  };
}

// slice by code points: the server's rune offsets count characters, JavaScript counts UTF-16.
function runeSlice(chars, start, end) { return chars.slice(start, end).join(''); }

function allFindings() {
  if (!preview) return [];
  return fieldNames.flatMap((name) => (preview.fields[name]?.findings || []).map((f) => ({ ...f, field: name })));
}

// A finding the case's label book says was kept before needs no decision; it stays unless the
// author now chooses Replace.
function stateOf(f) {
  return decisions.get(f.text) || (f.kept ? 'kept' : 'open');
}

function undecided() {
  return allFindings().filter((f) => stateOf(f) === 'open');
}

// renderReview shows each field's text with its findings highlighted and their choices.
function renderReview() {
  const box = $('[data-review-fields]');
  box.replaceChildren();
  for (const name of fieldNames) {
    const field = preview.fields[name];
    if (!field || !field.text) continue;
    const section = document.createElement('div');
    section.className = 'review-field';
    const h = document.createElement('h3');
    h.textContent = fieldLabels[name];
    const text = document.createElement('p');
    text.className = 'review-text';
    text.dataset.reviewField = name;
    appendFindings(text, field.text, field.findings, {
      stateOf,
      choose: (f, choice) => { decisions.set(f.text, choice); renderReview(); },
      label: (f, state) => (state === 'kept'
        ? ` ${f.kind.replace('_', ' ')}, kept earlier → stays `
        : ` ${f.kind.replace('_', ' ')} → ${f.replacement} `),
      testid: 'finding',
      title: (f) => `${f.kind.replace('_', ' ')} → ${f.replacement}`,
    });
    section.append(h, text);
    box.append(section);
  }
  const open = undecided().length;
  $('[data-open-count]').textContent = open === 0 ? 'Every detail is decided.' : `${open} detail${open === 1 ? '' : 's'} still to decide.`;
  renderExtras();
  renderPreview();
  renderRedactOffer();
}

// renderRedactOffer: when an edit replaces or removes something that earlier versions still hold,
// offer to redact those versions in the same save (checked: nothing removed should survive).
function renderRedactOffer() {
  const box = $('[data-redact-offer]');
  const versions = preview.earlier_versions_holding || [];
  box.hidden = versions.length === 0;
  if (versions.length === 0) return;
  const list = versions.map((v) => `version ${v}`).join(', ');
  $('[data-redact-offer-text]').textContent =
    `Earlier versions still hold what you are replacing or removing (${list}). Redact them when you save: their text is removed for good, and the history keeps only that they existed.`;
}

function renderExtras() {
  const list = $('[data-extra-list]');
  list.replaceChildren(...extraItems(extras, (i) => { extras.splice(i, 1); renderReview(); }));
}

// renderPreview shows the text as it would be stored, from the current decisions.
function renderPreview() {
  const out = $('[data-preview]');
  out.replaceChildren();
  for (const name of fieldNames) {
    const field = preview.fields[name];
    if (!field || !field.text) continue;
    const chars = Array.from(field.text);
    let pos = 0;
    let text = '';
    for (const f of field.findings) {
      text += runeSlice(chars, pos, f.rune_start);
      const state = stateOf(f);
      text += state === 'dismiss' || state === 'kept' ? f.text : f.replacement;
      pos = f.rune_end;
    }
    text += runeSlice(chars, pos, chars.length);
    for (const extra of extras) text = text.split(extra).join('[redacted]');
    const h = document.createElement('h4');
    h.textContent = fieldLabels[name];
    const p = document.createElement('p');
    p.className = 'case-text';
    p.dataset.previewField = name;
    p.textContent = text;
    out.append(h, p);
  }
}

async function check() {
  clearErrors(form);
  const status = $('[data-check-status]');
  status.textContent = 'Checking…';
  try {
    const body = { case: caseFromForm() };
    if (caseID) body.case_id = Number(caseID);
    preview = await request('POST', `${api}/anonymise`, body);
    $('[data-review]').hidden = false;
    renderReview();
    const n = allFindings().length;
    status.textContent = n === 0 ? 'No identifying details found. Read it once more yourself.' : `${n} possible identifying detail${n === 1 ? '' : 's'} found.`;
  } catch (error) {
    status.textContent = '';
    showError(form, error);
  }
}

async function save(action) {
  clearErrors(form);
  const body = {
    case: caseFromForm(),
    decisions: {
      accept: [...decisions].filter(([, v]) => v === 'accept').map(([k]) => k),
      dismiss: [...decisions].filter(([, v]) => v === 'dismiss').map(([k]) => k),
      extra: extras,
    },
    action,
    attest: $('[data-attest]').checked,
    redact_earlier: !$('[data-redact-offer]').hidden && $('[data-redact-earlier]').checked,
  };
  const buttons = form.querySelectorAll('[data-save]');
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const data = caseID ? await request('PUT', `${api}/${caseID}`, body) : await request('POST', api, body);
    unsaved = false;
    location.assign(`/communities/${community}/cases/${data.case.id}`);
  } catch (error) {
    if (findingsOf(error)) {
      // The server found details not yet decided (the text changed, or no check was run):
      // show the review again with them highlighted.
      await check();
    }
    showError(form, error);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

// Leaving with changes not saved asks first.
let unsaved = false;
form.addEventListener('input', () => { unsaved = true; });
window.addEventListener('beforeunload', (e) => {
  if (unsaved) e.preventDefault();
});

$('[data-check]').addEventListener('click', check);
$('[data-accept-all]').addEventListener('click', () => {
  for (const f of undecided()) decisions.set(f.text, 'accept');
  renderReview();
});
$('[data-add-extra]').addEventListener('click', () => {
  const input = $('[data-extra-input]');
  const text = input.value.trim();
  if (text && !extras.includes(text)) extras.push(text);
  input.value = '';
  renderReview();
});
// Selecting text in the review fills "Also replace".
$('[data-review-fields]').addEventListener('mouseup', () => {
  const selected = String(window.getSelection()).trim();
  if (selected) $('[data-extra-input]').value = selected.slice(0, 300);
});
for (const b of form.querySelectorAll('[data-save]')) b.addEventListener('click', () => save(b.dataset.save));
