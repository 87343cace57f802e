// The browser side of casecircle's live protocol: it mirrors realtime/protocol.go and is
// described with an example session in docs/protocol.md. One RoomConnection per tab; it
// reconnects by itself (exponential backoff with jitter), resubscribes from the last seq it
// has shown, and resends unacknowledged messages under their client_id, so nothing is lost or
// doubled across reconnects.

export const PROTOCOL_VERSION = 1;

export const CLOSE = {
  GOING_AWAY: 1001, // the server is restarting: resume
  POLICY: 1008, // rate limit abused
  TOO_BIG: 1009,
  SESSION_ENDED: 4001, // signed out: do not reconnect
  ACCESS_CHANGED: 4003, // memberships changed: reconnect and subscribe again
  SLOW: 4008, // we read too slowly: resume
};

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30000;

// newClientID is a message's idempotency key.
export function newClientID() {
  return crypto.randomUUID();
}

export class RoomConnection {
  // handlers: onEvent(event), onPresence(members), onTyping(user), onState(state, detail),
  // onResync(head), onSubscribed(frame). lastSeq() returns the last seq the page has shown.
  constructor(room, handlers, lastSeq) {
    this.room = room;
    this.h = handlers;
    this.lastSeq = lastSeq;
    this.pending = new Map(); // ref → {frame, resolve, reject, resend}
    this.attempt = 0;
    this.ws = null;
    this.ready = false; // subscribed and caught up enough to send
    this.stopped = false;
    this.typingSentAt = 0;
    this.refCounter = 0;
  }

  start() {
    this.connect();
    addEventListener('online', () => { if (!this.ws && !this.stopped) this.connect(); });
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/api/v1/ws`;
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.h.onState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.addEventListener('message', (e) => this.receive(e.data));
    ws.addEventListener('close', (e) => this.closed(ws, e));
  }

  closed(ws, e) {
    if (this.ws !== ws) return;
    this.ws = null;
    this.ready = false;
    // Edits and deletions are not resent blindly: say they did not go through.
    for (const [ref, p] of this.pending) {
      if (!p.resend) {
        p.reject({ code: 'disconnected', message: 'The connection dropped before this was saved; try again.' });
        this.pending.delete(ref);
      }
    }
    if (e.code === CLOSE.SESSION_ENDED) {
      this.stopped = true;
      this.h.onState('ended', 'Your session has ended. Sign in again to continue.');
      return;
    }
    if (this.stopped) return;
    // Full jitter: a restarted server is not hit by every tab at the same instant.
    const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    const delay = e.code === CLOSE.GOING_AWAY || e.code === CLOSE.SLOW ? Math.random() * cap : cap / 2 + Math.random() * cap / 2;
    this.attempt++;
    this.h.onState('reconnecting', delay);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  receive(data) {
    let f;
    try { f = JSON.parse(data); } catch { return; }
    switch (f.type) {
      case 'hello':
        if (f.version !== PROTOCOL_VERSION) {
          this.stopped = true;
          this.h.onState('ended', 'casecircle was updated. Reload the page to continue.');
          this.ws.close();
          return;
        }
        // The server says its limits and timings; the client uses them rather than copies.
        this.limits = f.limits;
        this.typingEveryMS = f.typing_every_ms;
        this.typingTimeoutMS = f.typing_timeout_ms;
        this.maxMessageChars = f.max_message_chars;
        this.h.onHello?.(f);
        this.subscribe();
        break;
      case 'subscribed':
        this.attempt = 0;
        this.ready = true;
        this.h.onState('open');
        this.h.onSubscribed?.(f);
        for (const p of this.pending.values()) if (p.resend) this.send(p.frame);
        break;
      case 'event':
        this.h.onEvent(f.event);
        break;
      case 'ack': {
        const p = this.pending.get(f.ref);
        if (p) { this.pending.delete(f.ref); p.resolve(f); }
        break;
      }
      case 'error': {
        const p = f.ref && this.pending.get(f.ref);
        if (p) {
          if (f.code === 'rate_limited') {
            setTimeout(() => this.send(p.frame), f.retry_after_ms || 1000);
          } else {
            this.pending.delete(f.ref);
            p.reject(f);
          }
        } else {
          this.h.onError?.(f);
        }
        break;
      }
      case 'resync_required':
        this.h.onResync(f.head);
        break;
      case 'presence':
        this.h.onPresence(f.members);
        break;
      case 'typing':
        this.h.onTyping(f.user);
        break;
      case 'unsubscribed':
        if (f.reason) this.subscribe();
        break;
      default:
    }
  }

  // subscribe (again) after the last seq shown: the server replays exactly what is missing.
  subscribe() {
    this.send({ type: 'subscribe', room: this.room, last_seq: this.lastSeq() });
  }

  request(frame, resend) {
    frame.ref = `r${++this.refCounter}`;
    return new Promise((resolve, reject) => {
      this.pending.set(frame.ref, { frame, resolve, reject, resend });
      if (this.ready) this.send(frame);
      else if (!resend) {
        this.pending.delete(frame.ref);
        reject({ code: 'disconnected', message: 'Not connected right now; try again in a moment.' });
      }
    });
  }

  // publish resolves with the ack once the message is stored; while disconnected it waits and
  // is resent (same client_id) after reconnecting.
  publish({ body, lens, parentID, clientID, decisions, mentions }) {
    const frame = { type: 'publish', room: this.room, client_id: clientID, body };
    if (lens) frame.lens = lens;
    if (mentions && mentions.length) frame.mentions = mentions;
    if (parentID) frame.parent_id = parentID;
    if (decisions) frame.decisions = decisions;
    return this.request(frame, true);
  }

  edit(messageID, body, decisions, redactEarlier) {
    const frame = { type: 'edit', room: this.room, message_id: messageID, body };
    if (decisions) frame.decisions = decisions;
    if (redactEarlier) frame.redact_earlier = true;
    return this.request(frame, false);
  }

  remove(messageID) {
    return this.request({ type: 'delete', room: this.room, message_id: messageID }, false);
  }

  // markRead sends the read position, and says whether it could (false: not connected).
  markRead(seq) {
    if (!this.ready) return false;
    this.send({ type: 'read', room: this.room, seq });
    return true;
  }

  typing() {
    const now = Date.now();
    if (!this.ready || now - this.typingSentAt < (this.typingEveryMS ?? 0)) return;
    this.typingSentAt = now;
    this.send({ type: 'typing', room: this.room });
  }
}
