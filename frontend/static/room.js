// A case room: the threads of its discussion, live. The first page comes by HTTP as a snapshot
// with the room's head; the socket then resumes after that head, so nothing falls between.
// Message bodies arrive as HTML made safe on the server (goldmark + bluemonday); everything
// else is set as text.

import { findingsOf, get, post, request } from './api.js';
import { RoomConnection, newClientID } from './room-client.js';
import { createSessionPanel } from './session-panel.js';
import { LiveReview } from './live-review.js';
import { formatDate, localiseTimes } from './dates.js';

const section = document.querySelector('[data-room]');
const room = Number(section.dataset.room);
const me = Number(section.dataset.userId);
const readOnly = section.dataset.readOnly === 'true';
const api = `/api/v1/communities/${section.dataset.community}/cases/${room}`;
const $ = (sel) => section.querySelector(sel);

const threadsEl = $('[data-threads]');
const announceEl = $('[data-announce]');
const composer = $('[data-composer]');
const myRole = section.dataset.myRole;
const review = composer ? new LiveReview(composer.querySelector('[data-live-review]'), `${api}/messages/anonymise`) : null;

// lensLabel names a lens as the composer's list does (the server renders that list).
const lensLabel = (lens) => document.querySelector(`#message-lens option[value="${CSS.escape(lens)}"]`)?.textContent || lens;
let typingShownMS = 6000; // until hello says how long a typing notice lasts

let lastSeq = 0; // the last event shown: the socket resumes after it
let readSeq = 0;
let olderCursor = 0;
const messages = new Map(); // id → {msg, el}
const typing = new Map(); // user id → {name, until}
let replyTo = null;
const people = new Map(); // user id → name, from presence and authors

const session = createSessionPanel(section, {
  me, myRole: section.dataset.myRole, authorID: Number(section.dataset.authorId), api,
  people: () => people, onChange: updateComposer,
});

// updateComposer closes the composer, saying why, when the live session's phase does not let
// this member post (the server refuses anyway; this saves writing in vain).
function updateComposer() {
  if (!composer) return;
  const why = session.refusal(Boolean(replyTo));
  const textarea = composer.querySelector('textarea');
  const reason = composer.querySelector('[data-composer-reason]');
  textarea.disabled = Boolean(why);
  composer.querySelector('[data-send]').disabled = Boolean(why);
  reason.textContent = why;
  reason.hidden = !why;
  // During a session the composer carries the phase, so that it is in sight while writing.
  composer.classList.toggle('in-session', session.running());
  const phase = composer.querySelector('[data-composer-phase]');
  phase.textContent = session.banner();
  phase.hidden = !session.running();
}

const conn = new RoomConnection(room, {
  onEvent: applyEvent,
  onPresence: showPresence,
  onTyping: showTyping,
  onState: showConnection,
  onResync: async () => { await loadSnapshot(); conn.subscribe(); },
  onHello: (hello) => {
    typingShownMS = hello.typing_timeout_ms || typingShownMS;
    const area = composer?.querySelector('textarea');
    if (area && hello.max_message_chars) area.maxLength = hello.max_message_chars;
  },
  onError: (f) => { $('[data-room-error]').textContent = f.message; },
}, () => lastSeq);

// ---- loading ----

async function loadSnapshot() {
  const [snap] = await Promise.all([get(`${api}/messages?limit=50`), session.loadRecords()]);
  threadsEl.replaceChildren();
  messages.clear();
  lastSeq = snap.head;
  readSeq = snap.read_seq;
  session.update(snap.session || null);
  olderCursor = snap.before || 0;
  for (const t of [...snap.threads].reverse()) threadsEl.append(threadElement(t, t.replies));
  markUnread();
  updateEmpty();
  $('[data-older]').hidden = !olderCursor;
  $('[data-room-loading]').hidden = true;
}

async function loadOlder() {
  const snap = await get(`${api}/messages?limit=50&before=${olderCursor}`);
  olderCursor = snap.before || 0;
  const first = threadsEl.firstChild;
  for (const t of [...snap.threads].reverse()) {
    if (!messages.has(t.id)) threadsEl.insertBefore(threadElement(t, t.replies), first);
  }
  $('[data-older]').hidden = !olderCursor;
}

// markUnread puts the marker before the first message that arrived since the user last read.
function markUnread() {
  section.querySelector('.unread-divider')?.remove();
  const firstNew = [...threadsEl.children].find((li) => {
    const m = messages.get(Number(li.dataset.messageId))?.msg;
    return m && m.seq > readSeq && m.author_id !== me;
  });
  if (!firstNew || readSeq === 0 && firstNew === threadsEl.firstChild) return;
  const divider = document.createElement('li');
  divider.className = 'unread-divider';
  divider.dataset.testid = 'unread-marker';
  divider.setAttribute('role', 'separator');
  divider.textContent = 'New since your last visit';
  threadsEl.insertBefore(divider, firstNew);
}

// refreshRecords shows the session records as the server renders them, once a session has
// ended, so that nobody needs to reload the page to see the record.
async function refreshRecords() {
  const slot = document.querySelector('[data-records-slot]');
  if (!slot) return;
  try {
    const res = await fetch(location.pathname, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (!res.ok) return;
    const fresh = new DOMParser().parseFromString(await res.text(), 'text/html').querySelector('[data-records-slot]');
    if (!fresh) return;
    slot.replaceChildren(...[...fresh.childNodes].map((n) => document.importNode(n, true)));
    localiseTimes(slot);
  } catch { /* the records stay as they were; a reload shows them */ }
}

// ---- rendering ----

function threadElement(msg, replies = []) {
  const li = document.createElement('li');
  li.className = 'thread';
  li.dataset.messageId = msg.id;
  li.append(messageElement(msg));
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.className = 'link-button replies-toggle';
  toggle.setAttribute('aria-expanded', 'false');
  const list = document.createElement('ol');
  list.className = 'replies';
  list.id = `replies-${msg.id}`;
  list.hidden = true;
  toggle.setAttribute('aria-controls', list.id);
  toggle.addEventListener('click', () => setThreadOpen(li, toggle.getAttribute('aria-expanded') !== 'true'));
  li.append(toggle, list);
  for (const r of replies) list.append(replyElement(r));
  // A question asked in a question phase of the running session shows its answers.
  if (session.asksAndAnswers(msg)) {
    list.hidden = false;
    toggle.setAttribute('aria-expanded', 'true');
  }
  updateToggle(li);
  return li;
}

function setThreadOpen(li, open) {
  const toggle = li.querySelector('.replies-toggle');
  toggle.setAttribute('aria-expanded', String(open));
  li.querySelector('.replies').hidden = !open;
  toggle.classList.remove('has-new');
  updateToggle(li);
}

function replyElement(msg) {
  const li = document.createElement('li');
  li.dataset.messageId = msg.id;
  li.append(messageElement(msg));
  return li;
}

function updateToggle(threadLi) {
  const list = threadLi.querySelector('.replies');
  const toggle = threadLi.querySelector('.replies-toggle');
  const n = list.children.length;
  toggle.hidden = n === 0;
  const open = toggle.getAttribute('aria-expanded') === 'true';
  toggle.textContent = `${open ? 'Hide' : 'Show'} ${n} ${n === 1 ? 'reply' : 'replies'}${toggle.classList.contains('has-new') ? ' (new)' : ''}`;
}

function messageElement(msg) {
  const article = document.createElement('article');
  article.className = 'message';
  article.dataset.testid = 'message';
  messages.set(msg.id, { msg, el: article });
  fillMessage(article, msg);
  return article;
}

// Mentions are chosen from the community's members, not typed: the text is anonymised, and a
// name in it may be replaced; a mention is an id the server checks.
const mentionPicker = composer?.querySelector('[data-mention-picker]');
const memberNames = new Map([...(mentionPicker?.options || [])].filter((o) => o.value).map((o) => [Number(o.value), o.textContent]));
const mentioned = new Map();

function drawMentions() {
  const chips = composer?.querySelector('[data-mention-chips]');
  if (!chips) return;
  chips.replaceChildren(...[...mentioned].map(([id, name]) => {
    const chip = document.createElement('button');
    chip.type = 'button';
    chip.className = 'mention-chip';
    chip.textContent = `@${name} ×`;
    chip.setAttribute('aria-label', `Do not mention ${name}`);
    chip.addEventListener('click', () => { mentioned.delete(id); drawMentions(); });
    return chip;
  }));
}

mentionPicker?.addEventListener('change', () => {
  const id = Number(mentionPicker.value);
  if (id) mentioned.set(id, memberNames.get(id));
  mentionPicker.value = '';
  drawMentions();
});

function fillMessage(article, msg) {
  article.replaceChildren();
  article.classList.toggle('deleted', Boolean(msg.deleted_at));
  article.classList.toggle('mine', msg.author_id === me);
  const head = document.createElement('header');
  const who = document.createElement('strong');
  who.textContent = msg.author_name || 'Former member';
  const when = document.createElement('time');
  when.dateTime = msg.created_at;
  when.textContent = formatDate(msg.created_at);
  head.append(who, ' ', when);
  if (msg.facilitation) {
    const note = document.createElement('span');
    note.className = 'tag facilitation-tag';
    note.dataset.testid = 'facilitation-note';
    note.textContent = 'Facilitation note';
    head.append(' ', note);
  }
  const phase = session.phaseOf(msg);
  if (phase) {
    const tag = document.createElement('span');
    tag.className = 'tag phase-tag';
    tag.textContent = phase;
    head.append(' ', tag);
  }
  if (msg.lens) {
    const lens = document.createElement('span');
    lens.className = 'tag';
    lens.textContent = lensLabel(msg.lens);
    head.append(' ', lens);
  }
  if (msg.mentions && msg.mentions.length && !msg.deleted_at) {
    const to = document.createElement('span');
    to.className = 'meta mentions';
    to.dataset.testid = 'mentions';
    to.textContent = ` → ${msg.mentions.map((id) => (id === me ? 'you' : `@${memberNames.get(id) || 'a member'}`)).join(', ')}`;
    head.append(to);
  }
  if (msg.edited_at && !msg.deleted_at) {
    const edited = document.createElement('span');
    edited.className = 'meta';
    edited.textContent = ' (edited)';
    head.append(edited);
  }
  const body = document.createElement('div');
  body.className = 'message-body';
  body.dataset.testid = 'message-body';
  if (msg.deleted_at) {
    body.textContent = 'Message deleted';
  } else {
    body.innerHTML = msg.html; // sanitised on the server by bluemonday
  }
  article.append(head, body);
  if (msg.deleted_at || readOnly) return;
  const actions = document.createElement('div');
  actions.className = 'message-actions';
  if (!msg.parent_id) actions.append(actionButton('Reply', () => startReply(msg)));
  if (msg.author_id === me) {
    actions.append(actionButton('Edit', () => startEdit(article, msg)));
    actions.append(actionButton('Delete', () => deleteMessage(msg)));
  }
  if (msg.edited_at && (msg.author_id === me || myRole === 'facilitator')) {
    actions.append(actionButton('Earlier versions', () => showHistory(article, msg)));
  }
  article.append(actions);
}

// showHistory lists a message's earlier versions, for its author and the facilitators, each
// with Redact: its text is then gone for good.
async function showHistory(article, msg) {
  article.querySelector('.message-history')?.remove();
  const box = document.createElement('div');
  box.className = 'message-history';
  box.dataset.testid = 'message-history';
  article.append(box);
  let revs;
  try {
    revs = (await get(`${api}/messages/${msg.id}/revisions`)).revisions;
  } catch (e) {
    box.textContent = e.message;
    return;
  }
  const list = document.createElement('ul');
  for (const r of revs) {
    const li = document.createElement('li');
    const when = formatDate(r.replaced_at);
    if (r.redacted_at) {
      li.textContent = `Version ${r.version}, replaced ${when}: redacted by ${r.redacted_by_name || 'a former member'}.`;
    } else {
      const text = document.createElement('span');
      text.className = 'case-text';
      text.textContent = r.body;
      li.append(`Version ${r.version}, replaced ${when}: `, text, ' ');
      li.append(actionButton('Redact', async () => {
        if (!window.confirm(`Redact version ${r.version}? Its text is removed for good.`)) return;
        try {
          await post(`${api}/messages/${msg.id}/revisions/${r.version}/redact`, {});
          showHistory(article, msg);
        } catch (e) {
          box.append(e.message);
        }
      }));
    }
    list.append(li);
  }
  if (revs.length === 0) list.textContent = 'No earlier versions.';
  box.append(list, actionButton('Close', () => box.remove()));
}

function actionButton(label, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'link-button';
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

function updateEmpty() {
  $('[data-empty]').hidden = messages.size > 0;
}

// ---- live events ----

function applyEvent(ev) {
  if (ev.seq <= lastSeq) return; // already shown (the server sends each once; this is a guard)
  lastSeq = ev.seq;
  const msg = ev.message;
  if (!msg) {
    // A session event, or 'message.removed': a message deleted for good by the community's
    // retention policy, of which nothing is left to show.
    if (ev.session) session.update(ev.session, ev.learning_point);
    if (ev.type === 'session.ended') refreshRecords();
    return;
  }
  if (msg.author_name) people.set(msg.author_id, msg.author_name);
  const known = messages.get(msg.id);
  if (ev.type === 'message.created' && !known) {
    if (msg.parent_id) {
      const parent = threadsEl.querySelector(`li.thread[data-message-id="${msg.parent_id}"]`);
      if (parent) {
        parent.querySelector('.replies').append(replyElement(msg));
        const toggle = parent.querySelector('.replies-toggle');
        const parentMsg = messages.get(msg.parent_id)?.msg;
        if (msg.author_id === me || (parentMsg && session.asksAndAnswers(parentMsg))) {
          setThreadOpen(parent, true); // your own reply stays in sight; answers in a question phase too
        } else if (toggle.getAttribute('aria-expanded') !== 'true') {
          toggle.classList.add('has-new');
        }
        updateToggle(parent);
      }
    } else {
      threadsEl.append(threadElement(msg));
    }
    if (msg.author_id !== me) announce(`${msg.author_name || 'Someone'}${msg.parent_id ? ' replied' : ' wrote'}: ${textOf(msg.html).slice(0, 140)}`);
    typing.delete(msg.author_id);
    renderTyping();
  } else if (known) {
    known.msg = msg;
    fillMessage(known.el, msg);
  }
  updateEmpty();
  scheduleRead();
}

function textOf(html) {
  const d = document.createElement('div');
  d.innerHTML = html;
  return d.textContent;
}

function announce(text) {
  announceEl.textContent = text;
}

// The read position: recorded a moment after the reader has seen the room (on opening it, and
// as new events arrive while the tab is visible), over the socket or, before it is ready, over
// HTTP. The marker shown on this visit stays where it was.
let readTimer = null;
function scheduleRead() {
  if (document.visibilityState !== 'visible' || lastSeq <= readSeq) return;
  clearTimeout(readTimer);
  readTimer = setTimeout(recordRead, 1500);
}
function recordRead() {
  const seq = lastSeq;
  if (seq <= readSeq) return;
  if (conn.markRead(seq)) {
    readSeq = seq;
    return;
  }
  request('PUT', `${api}/read`, { seq }, { keepalive: true })
    .then(() => { readSeq = Math.max(readSeq, seq); })
    .catch(() => {}); // the marker moves again with the next read
}
document.addEventListener('visibilitychange', scheduleRead);

function showPresence(members) {
  for (const m of members) people.set(m.id, m.name);
  session.refresh(); // names in the turn order may be new
  const list = $('[data-presence]');
  list.replaceChildren(...members.map((m) => {
    const li = document.createElement('li');
    li.textContent = m.id === me ? `${m.name} (you)` : m.name;
    return li;
  }));
}

function showTyping(user) {
  if (user.id === me) return;
  typing.set(user.id, { name: user.name, until: Date.now() + typingShownMS });
  renderTyping();
  setTimeout(renderTyping, typingShownMS + 50);
}

function renderTyping() {
  const now = Date.now();
  const names = [...typing.entries()].filter(([, t]) => t.until > now).map(([, t]) => t.name);
  $('[data-typing]').textContent = names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
}

function showConnection(state, detail) {
  const el = $('[data-connection]');
  const send = composer?.querySelector('[data-send]');
  if (state === 'open') {
    el.hidden = true;
    el.textContent = '';
  } else if (state === 'ended') {
    el.hidden = false;
    el.textContent = detail;
  } else if (state === 'reconnecting') {
    el.hidden = false;
    el.textContent = 'Reconnecting… Messages you send now are kept and sent when the connection is back.';
  }
  if (send) send.dataset.offline = state === 'open' ? '' : 'true';
}

// ---- writing ----

function startReply(msg) {
  replyTo = msg;
  let note = composer.querySelector('[data-replying]');
  if (!note) {
    note = document.createElement('p');
    note.className = 'meta';
    note.dataset.replying = '';
    composer.prepend(note);
  }
  note.replaceChildren(`Replying to ${msg.author_name || 'a former member'}: “${textOf(msg.html).slice(0, 60)}” `,
    actionButton('Cancel reply', cancelReply));
  updateComposer();
  composer.querySelector('textarea').focus();
}

function cancelReply() {
  replyTo = null;
  composer.querySelector('[data-replying]')?.remove();
  updateComposer();
}

// openFindings are the anonymiser's findings a refused send names, if that is why.
function openFindings(error) {
  return error && error.field === 'decisions' ? findingsOf(error) : null;
}

async function send(event) {
  event?.preventDefault();
  const textarea = composer.querySelector('textarea');
  const errorEl = composer.querySelector('[data-composer-error]');
  const button = composer.querySelector('[data-send]');
  const typed = textarea.value;
  const body = typed.trim();
  errorEl.textContent = '';
  if (!body) {
    errorEl.textContent = 'Write something first.';
    textarea.focus();
    return;
  }
  const request = { body, lens: composer.querySelector('select').value, parentID: replyTo?.id, clientID: newClientID(),
    decisions: review.decisions(), mentions: [...mentioned.keys()] };
  button.disabled = true;
  button.textContent = 'Sending…';
  try {
    await conn.publish(request);
    // Only what was sent leaves the box: the writer may have started the next message while
    // this one was on its way, and that must not be lost.
    const now = textarea.value;
    textarea.value = now.startsWith(typed) ? now.slice(typed.length).trimStart() : (now.trim() === body ? '' : now);
    composer.querySelector('select').value = '';
    mentioned.clear();
    drawMentions();
    review.reset();
    cancelReply();
    textarea.focus();
  } catch (error) {
    const findings = openFindings(error);
    if (findings) {
      // The text changed since the last check: show what was found, and let the writer send again.
      review.showFindings(body, findings);
      errorEl.textContent = 'Check the highlighted details, then send again.';
    } else {
      errorEl.textContent = error.message;
    }
  } finally {
    button.disabled = false;
    button.textContent = 'Send';
  }
}

function startEdit(article, msg) {
  const form = document.createElement('form');
  form.className = 'edit-form';
  const label = document.createElement('label');
  label.textContent = 'Edit your message';
  const area = document.createElement('textarea');
  area.value = msg.body;
  area.rows = 3;
  area.maxLength = conn.maxMessageChars || 8000;
  label.append(area);
  const error = document.createElement('p');
  error.className = 'form-error';
  error.setAttribute('role', 'alert');
  const save = document.createElement('button');
  save.type = 'submit';
  save.textContent = 'Save';
  const reviewBox = document.createElement('div');
  reviewBox.className = 'live-review';
  reviewBox.hidden = true;
  const editReview = new LiveReview(reviewBox, `${api}/messages/anonymise`);
  area.addEventListener('input', () => editReview.textChanged(area.value));
  editReview.check(area.value);
  const redact = document.createElement('label');
  redact.className = 'meta';
  const redactBox = document.createElement('input');
  redactBox.type = 'checkbox';
  redactBox.checked = true;
  redact.append(redactBox, ' If this edit replaces or removes something identifying, redact the earlier versions that held it');
  form.append(label, reviewBox, redact, save, ' ', actionButton('Cancel', () => fillMessage(article, messages.get(msg.id).msg)), error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await conn.edit(msg.id, area.value, editReview.decisions(), redactBox.checked);
      // the edit event redraws the message
    } catch (err) {
      const findings = openFindings(err);
      if (findings) {
        editReview.showFindings(area.value.trim(), findings);
        error.textContent = 'Check the highlighted details, then save again.';
      } else {
        error.textContent = err.message;
      }
    }
  });
  article.querySelector('.message-body').replaceWith(form);
  article.querySelector('.message-actions')?.remove();
  area.focus();
}

async function deleteMessage(msg) {
  if (!window.confirm('Delete this message? It will show as “Message deleted”.')) return;
  try {
    await conn.remove(msg.id);
  } catch (err) {
    $('[data-room-error]').textContent = err.message;
  }
}

if (composer) {
  composer.addEventListener('submit', send);
  const textarea = composer.querySelector('textarea');
  // Leaving the page with a message written but not sent asks first.
  window.addEventListener('beforeunload', (e) => {
    if (textarea.value.trim()) e.preventDefault();
  });
  textarea.addEventListener('input', () => {
    conn.typing();
    review.textChanged(textarea.value);
  });
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) send(e);
    if (e.key === 'Escape' && replyTo) cancelReply();
  });
}
$('[data-older]').addEventListener('click', () => loadOlder().catch((e) => { $('[data-room-error]').textContent = e.message; }));

loadSnapshot()
  .then(() => { conn.start(); scheduleRead(); })
  .catch((e) => {
    $('[data-room-loading]').hidden = true;
    $('[data-room-error]').textContent = e.message || 'The discussion could not be loaded.';
  });
