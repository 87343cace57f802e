// The anonymisation review of a message while it is written: the server's findings (with the
// case's label book, so "Mark" is found once the case named Mark Devlin) are shown as one types,
// highlighted, each with Replace or Keep, plus "Replace this too" for what was missed, as in the
// case composer. Replace is the default, so sending stays one step. Nothing is stored by asking;
// everything is built with textContent.

import { request } from './api.js';
import { appendFindings, extraItems } from './review-marks.js';

const DEBOUNCE_MS = 350;

export class LiveReview {
  // box: an empty element to render into; url: the message preview endpoint.
  constructor(box, url) {
    this.box = box;
    this.url = url;
    this.choices = new Map(); // finding text → 'accept' | 'dismiss'
    this.extras = [];
    this.preview = null; // {text, findings}
    this.timer = 0;
    this.controller = null;
    this.lastText = '';
  }

  // textChanged asks the server again once the writer pauses.
  textChanged(text) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(text), DEBOUNCE_MS);
  }

  async check(text) {
    text = text.trim();
    this.lastText = text;
    this.controller?.abort();
    if (text.length < 2) {
      this.preview = null;
      this.render();
      return;
    }
    this.controller = new AbortController();
    try {
      const data = await request('POST', this.url, { body: text }, { signal: this.controller.signal });
      if (text === this.lastText) {
        this.preview = data;
        this.render();
      }
    } catch {
      // aborted by newer typing, refused, or offline: sending checks anyway, so a busy or
      // refusing server only delays the review
    }
  }

  // showFindings takes findings the server refused a send for (the text changed since the last
  // check), so the writer sees them before sending again.
  showFindings(text, findings) {
    this.preview = { text, findings: findings.map((f) => ({ ...f })) };
    this.render();
  }

  stateOf(f) {
    return this.choices.get(f.text) || (f.kept ? 'kept' : 'accept');
  }

  // decisions are what to send: every finding replaced or kept, and the extra texts.
  decisions() {
    const accept = new Set();
    const dismiss = new Set();
    for (const f of this.preview?.findings || []) {
      const state = this.stateOf(f);
      if (state === 'accept') accept.add(f.text);
      if (state === 'dismiss') dismiss.add(f.text);
    }
    return { accept: [...accept], dismiss: [...dismiss], extra: [...this.extras] };
  }

  reset() {
    clearTimeout(this.timer);
    this.controller?.abort();
    this.choices.clear();
    this.extras = [];
    this.preview = null;
    this.render();
  }

  render() {
    const findings = this.preview?.findings || [];
    this.box.replaceChildren();
    this.box.hidden = findings.length === 0 && this.extras.length === 0;
    if (this.box.hidden) return;
    const summary = document.createElement('p');
    summary.className = 'live-review-summary';
    summary.setAttribute('role', 'status');
    const replaced = findings.filter((f) => this.stateOf(f) === 'accept').length;
    summary.textContent = `Before sending: ${findings.length} possible identifying detail${findings.length === 1 ? '' : 's'}; ${replaced} will be replaced. Choose Keep for what identifies no one.`;
    const text = document.createElement('p');
    text.className = 'review-text';
    text.dataset.testid = 'live-review-text';
    appendFindings(text, this.preview?.text || '', findings, {
      stateOf: (f) => this.stateOf(f),
      choose: (f, choice) => { this.choices.set(f.text, choice); this.render(); },
      label: (f, state) => (state === 'kept' ? ` ${f.kind.replace('_', ' ')}, kept earlier ` : ` → ${f.replacement} `),
      testid: 'live-finding',
    });
    const extraRow = document.createElement('div');
    extraRow.className = 'live-review-extra';
    const input = document.createElement('input');
    input.maxLength = 300;
    input.setAttribute('aria-label', 'Also replace this text');
    input.placeholder = 'Something else to replace';
    const add = document.createElement('button');
    add.type = 'button';
    add.className = 'choice';
    add.textContent = 'Replace this too';
    add.addEventListener('click', () => {
      const t = input.value.trim();
      if (t && !this.extras.includes(t)) this.extras.push(t);
      this.render();
    });
    extraRow.append(input, add);
    const list = document.createElement('ul');
    list.className = 'extra-list';
    list.append(...extraItems(this.extras, (i) => { this.extras.splice(i, 1); this.render(); }));
    this.box.append(summary, text, extraRow, list);
  }
}
