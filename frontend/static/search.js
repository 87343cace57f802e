// Search as one types: the results list follows the query (the last word matches as a
// prefix), a quarter of a second after the last key. Snippets arrive escaped, with <mark>.

const form = document.querySelector('[data-search-form]');
const input = form.querySelector('input[name="q"]');
const list = document.querySelector('#search-results');
const status = document.querySelector('[data-search-status]');
const errorOut = document.querySelector('[data-search-error]');
let timer = null;
let seq = 0;

function label(hit) {
  const where = hit.type === 'message' ? 'In the discussion' : hit.type === 'summary' ? 'In the learning summary' : 'The case';
  return where + (hit.status === 'archived' ? ' · archived' : hit.status === 'draft' ? ' · your draft' : '');
}

async function run() {
  const q = input.value.trim();
  const mine = ++seq;
  history.replaceState(null, '', q ? `/search?q=${encodeURIComponent(q)}` : '/search');
  if (!q) {
    list.replaceChildren();
    return;
  }
  const res = await fetch(`/api/v1/search?q=${encodeURIComponent(q)}`, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (mine !== seq) return; // a newer query is on its way
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    errorOut.textContent = data?.error?.message || 'The search failed.';
    return;
  }
  errorOut.textContent = '';
  document.querySelector('[data-testid="no-results"]')?.remove();
  list.replaceChildren(...data.hits.map((h) => {
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
  }));
  status.textContent = data.hits.length ? `${data.hits.length}${data.next ? ' or more' : ''} results.` : 'Nothing found.';
}

input.addEventListener('input', () => {
  clearTimeout(timer);
  timer = setTimeout(run, 250);
});
