// The notifications page: a grid of kinds by channel, the digest, and push on this device.

import { clearErrors, get, request, showError } from './api.js';

const form = document.querySelector('[data-preferences]');
const scope = form.querySelector('[data-scope]');
const channels = ['in_app', 'email', 'push'];
let kinds = [];
// choices holds every stored choice, for every scope: the grid edits one scope at a time.
let choices = [];

// effective is what applies in a scope: its own choice, else (in a community) the general one,
// else the default.
function effective(kind, channel, community, defaults) {
  const find = (cid) => choices.find((x) => x.kind === kind && x.channel === channel && x.community_id === cid);
  const c = find(community) || (community !== 0 && find(0));
  return c ? c.enabled : Boolean(defaults[channel]);
}

async function load() {
  const [data, mine] = await Promise.all([get('/api/v1/me/notifications/preferences'), get('/api/v1/communities')]);
  kinds = data.kinds;
  choices = data.choices;
  form.elements.digest.value = data.digest;
  if (scope.options.length === 1) {
    scope.append(...mine.communities.map((c) => new Option(c.name, String(c.id))));
  }
  draw();
}

// keep records the grid's boxes as the choices of the scope it shows.
function keep() {
  const community = shown;
  const base = (kind, channel) => (community === 0
    ? Boolean(kinds.find((k) => k.kind === kind).defaults[channel])
    : effective(kind, channel, 0, kinds.find((k) => k.kind === kind).defaults));
  choices = choices.filter((c) => c.community_id !== community);
  for (const box of form.querySelectorAll('input[type="checkbox"]')) {
    if (box.checked !== base(box.dataset.kind, box.dataset.channel)) {
      choices.push({ kind: box.dataset.kind, channel: box.dataset.channel, community_id: community, enabled: box.checked });
    }
  }
}

let shown = 0; // the scope the grid shows
scope.addEventListener('change', () => {
  keep();
  draw();
});

function draw() {
  shown = Number(scope.value);
  const rows = kinds.map((k) => {
    const tr = document.createElement('tr');
    const th = Object.assign(document.createElement('th'), { scope: 'row', textContent: k.label });
    tr.append(th);
    for (const ch of channels) {
      const td = document.createElement('td');
      if (ch in k.defaults) {
        const box = Object.assign(document.createElement('input'), { type: 'checkbox', checked: effective(k.kind, ch, shown, k.defaults) });
        box.dataset.kind = k.kind;
        box.dataset.channel = ch;
        box.setAttribute('aria-label', `${k.label}: ${ch.replace('_', ' ')}`);
        td.append(box);
      } else {
        td.textContent = '—';
      }
      tr.append(td);
    }
    return tr;
  });
  form.querySelector('[data-preference-rows]').replaceChildren(...rows);
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(form);
  keep();
  try {
    await request('PUT', '/api/v1/me/notifications/preferences', { digest: form.elements.digest.value, choices });
    form.querySelector('[data-form-success]').textContent = 'Saved.';
  } catch (error) {
    showError(form, error);
  }
});

load().catch((error) => showError(form, error));

// Push on this device: a service worker, a subscription to the server's VAPID key, kept by
// the server. Permission is asked only when the person turns it on.
const toggle = document.querySelector('[data-push-toggle]');
const status = document.querySelector('[data-push-status]');

function keyBytes(base64url) {
  const s = atob(base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (base64url.length % 4)) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

async function currentSubscription() {
  const reg = await navigator.serviceWorker.getRegistration('/');
  return reg ? reg.pushManager.getSubscription() : null;
}

async function showPush() {
  const sub = await currentSubscription();
  toggle.textContent = sub ? 'Turn off push on this device' : 'Turn on push on this device';
  toggle.dataset.on = sub ? 'true' : 'false';
}

if (toggle) {
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) {
    toggle.disabled = true;
    status.textContent = 'This browser cannot receive push notifications.';
  } else {
    showPush();
    toggle.addEventListener('click', async () => {
      status.textContent = '';
      try {
        const sub = await currentSubscription();
        if (sub) {
          await request('DELETE', '/api/v1/me/push', { endpoint: sub.endpoint });
          await sub.unsubscribe();
        } else {
          if (await Notification.requestPermission() !== 'granted') {
            status.textContent = 'Notifications are blocked for this site: allow them in the browser\'s site settings.';
            return;
          }
          const { key } = await get('/api/v1/push/key');
          const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
          await navigator.serviceWorker.ready;
          const created = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
          await request('POST', '/api/v1/me/push', created.toJSON());
        }
        await showPush();
      } catch (error) {
        status.textContent = error.message || 'Push could not be turned on here.';
      }
    });
  }
}
