// Search as one types: the results list follows the query and the filters (the last word
// matches as a prefix), a quarter of a second after the last change. Snippets arrive escaped,
// with <mark>. "More results" pages on with the server's cursor.

import { get } from './api.js';

const form = document.querySelector('[data-search-form]');
const input = form.querySelector('input[name="q"]');
const list = document.querySelector('#search-results');
const status = document.querySelector('[data-search-status]');
const errorOut = document.querySelector('[data-search-error]');
const more = document.querySelector('[data-more]');
const moreLink = document.querySelector('[data-more-link]');
let timer = null;
let seq = 0;
// The server-rendered page may already hold a first page with a cursor for the next.
let cursor = more.hidden ? '' : new URL(moreLink.href).searchParams.get('cursor') || '';

function label(hit) {
  const where = hit.type === 'message' ? 'In the discussion' : hit.type === 'summary' ? 'In the learning summary' : 'The case';
  return where + (hit.status === 'archived' ? ' · archived' : hit.status === 'draft' ? ' · your draft' : '');
}

// params is the form's non-empty fields: the query and its filters.
function params() {
  const p = new URLSearchParams();
  for (const [k, v] of new FormData(form)) {
    if (String(v).trim()) p.set(k, String(v).trim());
  }
  return p;
}

function hitElement(h) {
  const li = document.createElement('li');
  li.className = 'card';
  const a = document.createElement('a');
  a.href = `/communities/${h.community_id}/cases/${h.case_id}`;
  const strong = document.createElement('strong');
  strong.textContent = h.title;
  a.append(strong);
  const meta = document.createElement('span');
  meta.className = 'meta';
  meta.textContent = label(h);
  const snippet = document.createElement('span');
  snippet.className = 'snippet';
  snippet.innerHTML = h.snippet; // escaped on the server; only <mark> is markup
  li.append(a, meta, snippet);
  return li;
}

async function run(append) {
  const p = params();
  const mine = ++seq;
  history.replaceState(null, '', p.toString() ? `/search?${p}` : '/search');
  if (!p.get('q')) {
    list.replaceChildren();
    more.hidden = true;
    return;
  }
  if (append && cursor) p.set('cursor', cursor);
  let data;
  try {
    data = await get(`/api/v1/search?${p}`);
  } catch (err) {
    if (mine === seq) errorOut.textContent = err.message || 'The search failed.';
    return;
  }
  if (mine !== seq) return; // a newer query is on its way
  errorOut.textContent = '';
  document.querySelector('[data-testid="no-results"]')?.remove();
  const items = data.hits.map(hitElement);
  if (append) list.append(...items);
  else list.replaceChildren(...items);
  cursor = data.next || '';
  more.hidden = !cursor;
  const n = list.children.length;
  status.textContent = n ? `${n}${cursor ? ' or more' : ''} results.` : 'Nothing found.';
}

function soon() {
  clearTimeout(timer);
  timer = setTimeout(() => run(false), 250);
}

form.addEventListener('input', soon);
form.addEventListener('change', soon);
moreLink.addEventListener('click', (e) => {
  e.preventDefault();
  run(true);
});
