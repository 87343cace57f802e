// The bell: a count of unread notifications in the header and, when opened, their list. It
// listens on a WebSocket of its own for "notify" frames (docs/protocol.md), which the server
// sends on every process when the person's notifications change, and then asks the API again.
// Opening the list marks what it shows as read. Words are the server's, set as text.

import { get, post } from './api.js';
import { formatDate } from './dates.js';

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 60000;

const labels = {
  mention: (n) => `${n.actor_name || 'Someone'} mentioned you`,
  reply: (n) => `${n.actor_name || 'Someone'} replied to your message`,
  case_discussed: (n) => `${n.actor_name || 'Someone'} wrote about your case`,
  session_starting: (n) => `${n.actor_name || 'A supervisor'} started a live session`,
  invitation_accepted: (n) => `${n.actor_name || 'Someone'} joined with your invitation`,
};

function linkOf(n) {
  if (n.case_id) return `/communities/${n.community_id}/cases/${n.case_id}#room-heading`;
  return `/communities/${n.community_id}`;
}

class Bell {
  constructor(root) {
    this.root = root;
    this.button = root.querySelector('[data-bell-button]');
    this.count = root.querySelector('[data-bell-count]');
    this.panel = root.querySelector('[data-bell-panel]');
    this.list = root.querySelector('[data-bell-list]');
    this.attempt = 0;
    this.button.addEventListener('click', () => this.toggle());
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !this.panel.hidden) this.close(); });
  }

  async refresh() {
    try {
      const data = await get('/api/v1/me/notifications?count=1');
      this.show(data.unread);
    } catch { /* the next notify frame or reload tries again */ }
  }

  show(unread) {
    this.count.textContent = unread > 0 ? String(unread) : '';
    this.count.hidden = unread === 0;
    this.root.dataset.unread = String(unread);
    this.button.setAttribute('aria-label', unread > 0 ? `Notifications: ${unread} unread` : 'Notifications');
  }

  async toggle() {
    if (!this.panel.hidden) { this.close(); return; }
    this.panel.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    await this.load();
  }

  close() {
    this.panel.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    this.button.focus();
  }

  async load() {
    let data;
    try {
      data = await get('/api/v1/me/notifications');
    } catch (error) {
      this.list.replaceChildren(Object.assign(document.createElement('li'), { textContent: error.message }));
      return;
    }
    const items = data.notifications.map((n) => {
      const li = document.createElement('li');
      li.className = n.read_at ? 'read' : 'unread';
      li.dataset.testid = 'notification';
      li.dataset.kind = n.kind;
      const a = document.createElement('a');
      a.href = linkOf(n);
      a.textContent = (labels[n.kind] || (() => 'Something new'))(n);
      const meta = document.createElement('span');
      meta.className = 'meta';
      meta.textContent = ` · ${n.community_name}${n.case_title ? ` · ${n.case_title}` : ''} · ${formatDate(n.created_at)}`;
      li.append(a, meta);
      return li;
    });
    if (items.length === 0) items.push(Object.assign(document.createElement('li'), { textContent: 'Nothing yet.' }));
    this.list.replaceChildren(...items);
    const newest = data.notifications[0];
    if (newest && data.unread > 0) {
      try {
        await post('/api/v1/me/notifications/read', { up_to: newest.id });
        this.show(0);
      } catch { /* shown again as unread next time */ }
    }
  }

  listen() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/api/v1/ws`);
    ws.addEventListener('open', () => { this.attempt = 0; this.refresh(); });
    ws.addEventListener('message', (e) => {
      let frame;
      try { frame = JSON.parse(e.data); } catch { return; }
      if (frame.type === 'notify') {
        if (this.panel.hidden) this.refresh(); else this.load();
      }
    });
    ws.addEventListener('close', (e) => {
      if (e.code === 4001) return; // signed out
      const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt++);
      setTimeout(() => this.listen(), cap / 2 + Math.random() * cap / 2);
    });
  }
}

const root = document.querySelector('[data-bell]');
if (root) {
  const bell = new Bell(root);
  bell.refresh();
  bell.listen();
}
