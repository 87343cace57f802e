// The community calendar: the meetings to come as a list (answers, the case queue, and for
// organisers moving, cancelling and starting), a month view, and the scheduling form. All data
// comes from the API (docs/api.md, "Schedule"); times are shown in the reader's zone.

import { clearErrors, get, request, showError } from './api.js';
import { dayKey, formatDate, zoneName } from './dates.js';

const page = JSON.parse(document.getElementById('calendar-data').textContent);
const base = `/api/v1/communities/${page.community}/schedule`;
const list = document.querySelector('[data-meetings]');
const errorOut = document.querySelector('[data-action-error]');
let month = new Date();
month = new Date(month.getFullYear(), month.getMonth(), 1);

const FIRST_SHOWN = 5;
let showAll = false;
document.querySelector('[data-show-all]').addEventListener('click', () => { showAll = true; drawList(); });
addEventListener('hashchange', () => drawList());

const answerLabels = { going: 'Going', maybe: 'Maybe', not_going: 'Not going' };

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// act calls the API and redraws; a refusal is shown above the list.
async function act(method, url, body) {
  errorOut.textContent = '';
  try {
    await request(method, url, body);
    await draw();
  } catch (error) {
    errorOut.textContent = error.message;
  }
}

function isLive(m) {
  const now = Date.now();
  return m.live || (!m.cancelled && new Date(m.start) <= now && now < new Date(m.end));
}

function meetingItem(m) {
  const url = `${base}/${m.schedule_id}/meetings/${m.n}`;
  const li = el('li', { className: `meeting${m.cancelled ? ' cancelled' : ''}`, id: `meeting-${m.schedule_id}-${m.n}` });
  li.dataset.testid = 'meeting';
  const title = el('h3', { textContent: m.title });
  if (isLive(m)) title.append(' ', el('span', { className: 'live-badge', textContent: 'Live now' }));
  if (m.cancelled) title.append(' ', el('span', { className: 'meta', textContent: '(cancelled)' }));
  const who = [m.template_name, m.supervisor_name && `with ${m.supervisor_name}`,
    m.presenter_name ? `${m.presenter_name} presents` : 'presenter to be chosen'].filter(Boolean).join(' · ');
  li.append(title,
    el('p', {}, el('time', { dateTime: m.start, textContent: formatDate(m.start) }), m.moved ? ' (moved)' : '', m.repeats ? ' · repeats' : ''),
    el('p', { className: 'meta', textContent: who }));
  if (m.case_id) {
    li.append(el('p', {}, 'Case: ', el('a', { href: `/communities/${page.community}/cases/${m.case_id}`, textContent: m.case_title || 'the chosen case' })));
  }
  const counts = `${m.answers.going} going · ${m.answers.maybe} maybe · ${m.answers.not_going} not going`;
  li.append(el('p', { className: 'meta', textContent: counts }));
  if (m.cancelled) {
    if (page.can_schedule) li.append(actions(el('button', { type: 'button', textContent: 'Restore this meeting', onclick: () => act('PATCH', url, { cancelled: false }) })));
    return li;
  }

  const rsvp = el('div', { className: 'actions rsvp', role: 'group' });
  rsvp.setAttribute('aria-label', 'Will you come?');
  for (const [answer, label] of Object.entries(answerLabels)) {
    const b = el('button', { type: 'button', textContent: label });
    b.dataset.answer = answer;
    b.setAttribute('aria-pressed', String(m.my_answer === answer));
    b.addEventListener('click', () => act('PUT', `${url}/answer`, { answer: m.my_answer === answer ? '' : answer }));
    rsvp.append(b);
  }
  li.append(rsvp);

  // The case queue: members put their own case forward; a facilitator picks one.
  if (m.proposals.length) {
    const q = el('ul', { className: 'proposals' });
    for (const p of m.proposals) {
      const item = el('li', {}, `${p.title} (${p.author_name})`);
      if (page.is_facilitator && m.case_id !== p.case_id) {
        item.append(' ', el('button', { type: 'button', textContent: 'Pick this case', onclick: () => act('PUT', `${url}/case`, { case_id: p.case_id }) }));
      }
      q.append(item);
    }
    li.append(el('p', { className: 'meta', textContent: 'Proposed cases:' }), q);
  }
  const mine = page.my_cases.filter((c) => !m.proposals.some((p) => p.case_id === c.id));
  const row = el('div', { className: 'actions' });
  if (mine.length) {
    const select = el('select', {}, ...mine.map((c) => new Option(c.title, String(c.id))));
    select.setAttribute('aria-label', 'Your case to propose');
    row.append(select, el('button', { type: 'button', textContent: 'Propose my case', onclick: () => act('POST', `${url}/proposals`, { case_id: Number(select.value) }) }));
  }
  if (m.case_id && (page.can_schedule || isLive(m))) {
    const q = new URLSearchParams({ schedule: m.schedule_id, n: m.n, template: m.template });
    const start = el('a', { className: 'button', href: `/communities/${page.community}/cases/${m.case_id}?${q}#room-heading`,
      textContent: isLive(m) ? 'Join the session' : 'Open the room to start' });
    start.dataset.testid = 'start-from-calendar';
    row.append(start);
  }
  if (page.can_schedule) {
    const when = el('input', { type: 'datetime-local' });
    when.setAttribute('aria-label', "New start, in the organiser's time zone");
    row.append(
      el('button', { type: 'button', textContent: 'Cancel this meeting', onclick: () => window.confirm('Cancel this meeting? Members are told.') && act('PATCH', url, { cancelled: true }) }),
      when, el('button', { type: 'button', textContent: 'Move', onclick: () => when.value && act('PATCH', url, { move_to: when.value }) }));
    row.append(el('button', { type: 'button', className: 'danger', textContent: m.repeats ? 'Cancel the series' : 'Delete',
      onclick: () => window.confirm('Cancel every meeting of this series? Members are told.') && act('DELETE', `${base}/${m.schedule_id}`) }));
  }
  li.append(row);
  return li;
}

function actions(...buttons) {
  return el('div', { className: 'actions' }, ...buttons);
}

async function drawList() {
  const now = new Date();
  const data = await get(`${base}?from=${new Date(now - 8 * 3600e3).toISOString()}&to=${new Date(+now + 120 * 86400e3).toISOString()}`);
  const upcoming = data.meetings.filter((m) => new Date(m.end) > now);
  // The next few, unless asked for all, or a link points further (the month view, a mail).
  const wanted = location.hash.match(/^#meeting-(\d+)-(\d+)$/);
  const index = wanted ? upcoming.findIndex((m) => m.schedule_id === Number(wanted[1]) && m.n === Number(wanted[2])) : -1;
  const shown = showAll ? upcoming : upcoming.slice(0, Math.max(FIRST_SHOWN, index + 1));
  list.replaceChildren(...shown.map(meetingItem));
  document.querySelector('[data-no-meetings]').hidden = upcoming.length > 0;
  document.querySelector('[data-show-all]').hidden = shown.length === upcoming.length;
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

async function drawMonth() {
  const first = new Date(month);
  const start = new Date(first);
  start.setDate(1 - ((first.getDay() + 6) % 7)); // back to Monday
  const end = new Date(start);
  end.setDate(start.getDate() + 42);
  document.querySelector('[data-month-title]').textContent = first.toLocaleDateString(undefined, { month: 'long', year: 'numeric' });
  const data = await get(`${base}?from=${start.toISOString()}&to=${end.toISOString()}`);
  const byDay = new Map();
  for (const m of data.meetings) {
    const key = dayKey(m.start);
    byDay.set(key, [...(byDay.get(key) || []), m]);
  }
  const today = dayKey(new Date().toISOString());
  const rows = [];
  for (let w = 0; w < 6; w++) {
    const tr = el('tr');
    for (let d = 0; d < 7; d++) {
      const day = new Date(start);
      day.setDate(start.getDate() + w * 7 + d);
      const key = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
      const td = el('td', { className: [day.getMonth() !== first.getMonth() && 'other', key === today && 'today'].filter(Boolean).join(' ') },
        el('span', { className: 'day', textContent: String(day.getDate()) }));
      td.dataset.day = key;
      for (const m of byDay.get(key) || []) {
        const a = el('a', { href: `#meeting-${m.schedule_id}-${m.n}`, textContent: m.title, title: formatDate(m.start) });
        if (m.cancelled) a.style.textDecoration = 'line-through';
        td.append(a);
      }
      tr.append(td);
    }
    rows.push(tr);
  }
  document.querySelector('[data-month-body]').replaceChildren(...rows);
}

async function draw() {
  try {
    await Promise.all([drawList(), drawMonth()]);
  } catch (error) {
    errorOut.textContent = error.message;
  }
}

document.querySelector('[data-month-prev]').addEventListener('click', () => { month.setMonth(month.getMonth() - 1); drawMonth(); });
document.querySelector('[data-month-next]').addEventListener('click', () => { month.setMonth(month.getMonth() + 1); drawMonth(); });

const form = document.querySelector('[data-schedule-form]');
if (form) {
  form.elements.time_zone.value = zoneName();
  const zones = form.querySelector('[data-time-zones]');
  if (Intl.supportedValuesOf) zones.replaceChildren(...Intl.supportedValuesOf('timeZone').map((z) => new Option(z, z)));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const f = form.elements;
    const repeat = { frequency: f.frequency.value };
    if (repeat.frequency) {
      repeat.interval = Number(f.interval.value) || 1;
      if (f.count.value) repeat.count = Number(f.count.value);
      if (f.until.value) repeat.until = f.until.value;
    }
    const body = { title: f.title.value, template: f.template.value, supervisor_id: Number(f.supervisor_id.value),
      presenter_id: Number(f.presenter_id.value), time_zone: f.time_zone.value.trim(), start: f.start.value.slice(0, 16),
      duration_minutes: Number(f.duration_minutes.value), repeat };
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      await request('POST', base, body);
      form.reset();
      form.elements.time_zone.value = body.time_zone;
      await draw();
    } catch (error) {
      showError(form, error);
    } finally {
      button.disabled = false;
    }
  });
}

draw();
