// casecircle's page script: progressive enhancement only; every page works without it.

// showServerStatus tells the reader whether the server can reach its database, using the same
// readiness probe that load balancers use.
async function showServerStatus() {
  const el = document.querySelector('[data-testid="server-status"]');
  if (!el) return;
  try {
    const res = await fetch('/readyz', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    el.textContent = res.ok ? 'Server ready.' : 'The server cannot reach its database right now.';
  } catch {
    el.textContent = 'The server cannot be reached.';
  }
}

showServerStatus();
