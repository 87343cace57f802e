// The editor of a community's live-session format: name, description and an ordered list of
// phases. The server validates; its errors name the field (e.g. "phases[1].minutes") and are
// shown next to it.

import { clearErrors, get, request, showError } from './api.js';

const form = document.querySelector('[data-template-editor]');
const fields = form.querySelector('[data-editor-fields]');
const policies = form.dataset.policies.split(',');
const products = form.dataset.products.split(',');
const POLICY_LABELS = {
  open: 'Everyone', roles: 'Only some roles', ask_answer: 'Members ask, presenter answers',
  round_robin: 'In turn (round-robin)', hand_raise: 'Raise a hand, supervisor gives the floor',
};
let template = null;

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

let uid = 0;
function field(label, input, name) {
  input.id = input.id || `f${++uid}`;
  input.dataset.field = name;
  return el('div', { className: 'field' }, el('label', { htmlFor: input.id }, label), input,
    el('p', { className: 'field-error', dataset: { errorFor: name } }));
}

function checkbox(label, checked, name) {
  const input = el('input', { type: 'checkbox', checked, id: `f${++uid}` });
  input.dataset.field = name;
  return el('div', { className: 'field checkbox' }, el('label', { htmlFor: input.id }, input, ` ${label}`));
}

function select(options, value) {
  const s = el('select');
  for (const [v, label] of options) s.append(new Option(label, v, false, v === value));
  return s;
}

function render() {
  fields.replaceChildren(
    field('Name', el('input', { value: template.name, maxLength: 120, required: true }), 'name'),
    field('Description', el('textarea', { value: template.description || '', rows: 2, maxLength: 1000 }), 'description'),
    checkbox('Members may record learning points in the last phase', template.members_record_learning, 'members_record_learning'),
    el('ol', { className: 'phase-list' }, ...template.phases.map(phaseEditor)),
  );
}

function phaseEditor(p, i) {
  const f = (name) => `phases[${i}].${name}`;
  const roles = el('fieldset', { className: 'roles' }, el('legend', {}, 'Who may speak'),
    ...['presenter', 'supervisor', 'member'].map((r) => checkbox(r, (p.roles || []).includes(r), `${f('roles')}:${r}`)),
    el('p', { className: 'field-error', dataset: { errorFor: f('roles') } }));
  const policy = select(policies.map((v) => [v, POLICY_LABELS[v] || v]), p.policy);
  roles.hidden = p.policy !== 'roles';
  policy.addEventListener('change', () => { roles.hidden = policy.value !== 'roles'; });
  const move = (d) => () => {
    collect();
    const j = i + d;
    if (j < 0 || j >= template.phases.length) return;
    [template.phases[i], template.phases[j]] = [template.phases[j], template.phases[i]];
    render();
    fields.querySelectorAll('.phase')[j].querySelector('input').focus();
  };
  return el('li', { className: 'phase' }, el('fieldset', {},
    el('legend', {}, `Phase ${i + 1}`),
    el('div', { className: 'field-row' },
      field('Name', el('input', { value: p.name, maxLength: 80 }), f('name')),
      field('Minutes', el('input', { type: 'number', value: p.minutes, min: 1, max: 120 }), f('minutes'))),
    field('Instruction shown to everyone', el('textarea', { value: p.instruction || '', rows: 2, maxLength: 600 }), f('instruction')),
    el('div', { className: 'field-row' },
      field('Speaking', policy, f('policy')),
      field('Produces', select(products.map((v) => [v, v ? v.replace('_', ' ') : 'nothing in particular']), p.produces || ''), f('produces'))),
    roles,
    checkbox('The presenter may post', p.presenter_may_post, f('presenter_may_post')),
    checkbox('Move on by itself when time is up', p.auto_advance, f('auto_advance')),
    el('div', { className: 'actions' },
      el('button', { type: 'button', className: 'link-button', onclick: move(-1), disabled: i === 0 }, 'Move up'),
      el('button', { type: 'button', className: 'link-button', onclick: move(1), disabled: i === template.phases.length - 1 }, 'Move down'),
      el('button', { type: 'button', className: 'link-button', onclick: () => { collect(); template.phases.splice(i, 1); render(); } }, 'Remove')),
  ));
}

// collect reads the form back into template.
function collect() {
  const get = (name) => fields.querySelector(`[data-field="${CSS.escape(name)}"]`);
  template.name = get('name').value;
  template.description = get('description').value;
  template.members_record_learning = get('members_record_learning').checked;
  template.phases = template.phases.map((_, i) => {
    const f = (name) => get(`phases[${i}].${name}`);
    return {
      name: f('name').value, instruction: f('instruction').value, minutes: Number(f('minutes').value),
      policy: f('policy').value, produces: f('produces').value,
      roles: ['presenter', 'supervisor', 'member'].filter((r) => get(`phases[${i}].roles:${r}`).checked),
      presenter_may_post: f('presenter_may_post').checked, auto_advance: f('auto_advance').checked,
    };
  });
}

form.querySelector('[data-add-phase]').addEventListener('click', () => {
  collect();
  template.phases.push({ name: '', instruction: '', minutes: 5, policy: 'open', produces: '', roles: [], presenter_may_post: true });
  render();
  fields.querySelectorAll('.phase')[template.phases.length - 1].querySelector('input').focus();
});

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  collect();
  clearErrors(form);
  const { name, description, phases } = template;
  try {
    await request('PUT', form.dataset.url, { template: { name, description, phases, members_record_learning: template.members_record_learning } });
  } catch (err) {
    showError(form, err);
    return;
  }
  form.querySelector('[data-form-success]').textContent = 'Saved.';
  setTimeout(() => location.reload(), 600);
});

get(form.dataset.url)
  .then((d) => {
    template = d.template;
    form.querySelector('[data-editor-loading]').remove();
    render();
  })
  .catch((err) => showError(form, err));
