// The live-session panel of a case room: phase banner and countdown, who may speak, turns and
// raised hands, the supervisor's controls, and the start form. The server keeps the session and
// enforces its rules; this panel shows them and says why the composer is closed, in the
// server's words (the view's "speaking", computed from the rules it enforces).

import { findingsOf, get, post } from './api.js';

const ANNOUNCE_AT = [600, 300, 120, 60, 30, 10, 0]; // seconds left worth telling a screen reader

export function createSessionPanel(section, { me, myRole, authorID, api, people, onChange }) {
  const $ = (sel) => section.querySelector(sel);
  const panel = $('[data-session-panel]');
  const startForm = $('[data-start-session]');
  const supervisesCommunity = myRole === 'supervisor' || myRole === 'facilitator';
  let view = null;
  let points = []; // the running session's learning points and actions, oldest first
  let timer = null;
  const pastPhases = new Map(); // session id → phase names, of ended sessions (from their records)
  let lastAnnounced = null;

  const nameOf = (id) => people()?.get(id) || (id === me ? 'you'
    : id === view?.presenter_id ? view.presenter_name : id === view?.supervisor_id ? view.supervisor_name : '') || 'a member';

  function role(id) {
    if (!view) return 'member';
    if (id === view.presenter_id) return 'presenter';
    if (id === view.supervisor_id) return 'supervisor';
    return 'member';
  }

  // refusal says why `me` may not post now (a reply when isReply), or '' when they may: the
  // server's own answer (view.speaking, from casestudy/session's MayPost), looked up, not
  // worked out here. A view without it (an event stored before it existed) leaves the
  // composer open; the server still refuses what its rules forbid.
  function refusal(isReply) {
    const speaking = view && !view.state.ended && view.speaking;
    if (!speaking) return '';
    const rules = me === view.presenter_id ? speaking.presenter
      : me === view.supervisor_id ? speaking.supervisor
        : me === speaking.speaker ? speaking.speaker_rules : speaking.member;
    return (rules && (isReply ? rules.reply : rules.new)) || '';
  }

  // whoSpeaks is the server's one-line summary of who speaks in this phase.
  function whoSpeaks() {
    return view.speaking?.summary || '';
  }

  // bannerText is the one line kept above the composer: phase, time, who speaks.
  function bannerText() {
    if (!view || view.state.ended) return '';
    const p = view.template.phases[view.state.phase];
    return `${p.name} · ${$('[data-countdown]').textContent || ''} · ${whoSpeaks()}`;
  }

  function secondsLeft() {
    if (view.state.paused) return Math.round((view.state.remaining_ns || 0) / 1e9);
    return Math.round((new Date(view.state.deadline) - Date.now()) / 1000);
  }

  function tick() {
    if (!view) return;
    const left = secondsLeft();
    const abs = Math.max(0, Math.abs(left));
    const text = `${Math.floor(abs / 60)}:${String(abs % 60).padStart(2, '0')}`;
    const out = $('[data-countdown]');
    out.textContent = view.state.paused ? `paused, ${text} left` : left >= 0 ? `${text} left` : `${text} over time`;
    out.classList.toggle('over', left < 0);
    const banner = section.querySelector('[data-composer-phase]');
    if (banner && !banner.hidden) banner.textContent = bannerText();
    // Over time, the phase waits for the supervisor (unless the template moves on by itself).
    const overdue = $('[data-overdue]');
    const phase = view.template.phases[view.state.phase];
    overdue.hidden = !(left < 0 && !view.state.paused);
    overdue.textContent = phase.auto_advance ? 'Time is up: moving on.'
      : view.supervisor_id === me ? 'Time is up for this phase: move on, or give it more time.' : 'Time is up; the supervisor decides when to move on.';
    // Screen readers hear the time at a few moments, not every second.
    const mark = ANNOUNCE_AT.find((s) => left <= s && left > s - 1);
    if (mark !== undefined && mark !== lastAnnounced && !view.state.paused) {
      lastAnnounced = mark;
      $('[data-session-announce]').textContent = mark === 0
        ? `Time is up for ${view.template.phases[view.state.phase].name}.${role(me) === 'supervisor' ? ' Move on when ready.' : ''}`
        : `${mark >= 60 ? `${mark / 60} minute${mark === 60 ? '' : 's'}` : `${mark} seconds`} left in this phase.`;
    }
  }

  function render() {
    clearInterval(timer);
    const supervising = view && !view.state.ended && view.supervisor_id === me;
    panel.hidden = !view || view.state.ended;
    startForm.hidden = !(supervisesCommunity && (!view || view.state.ended) && section.dataset.readOnly !== 'true');
    if (panel.hidden) {
      onChange();
      return;
    }
    const phases = view.template.phases;
    const p = phases[view.state.phase];
    $('[data-session-template]').textContent = `· ${view.template.name}`;
    $('[data-phase-name]').textContent = p.name;
    $('[data-phase-count]').textContent = `(phase ${view.state.phase + 1} of ${phases.length})`;
    $('[data-phase-instruction]').textContent = p.instruction || '';
    $('[data-who-speaks]').textContent = whoSpeaks();
    const queue = $('[data-queue]');
    if (p.policy === 'round_robin') {
      queue.textContent = `Turn order: ${(view.state.turn_order || []).map((id, i) => (i === view.state.turn ? `▶ ${nameOf(id)}` : nameOf(id))).join(', ') || 'nobody yet'}`;
    } else if (p.policy === 'hand_raise') {
      const hands = view.state.hands || [];
      queue.replaceChildren(`Raised hands: ${hands.length ? '' : 'none'}`);
      hands.forEach((id, i) => {
        if (i) queue.append(', ');
        if (supervising) {
          const give = document.createElement('button');
          give.type = 'button';
          give.className = 'link-button';
          give.textContent = `give the floor to ${nameOf(id)}`;
          give.addEventListener('click', () => command('grant_floor', { user_id: id }));
          queue.append(give);
        } else {
          queue.append(nameOf(id));
        }
      });
    } else {
      queue.textContent = '';
    }
    const handUp = (view.state.hands || []).includes(me);
    const hand = $('[data-hand]');
    $('[data-hand-controls]').hidden = p.policy !== 'hand_raise' || role(me) === 'supervisor' || view.state.floor === me;
    hand.textContent = handUp ? 'Lower hand' : 'Raise hand';
    hand.dataset.action = handUp ? 'lower_hand' : 'raise_hand';
    hand.setAttribute('aria-pressed', String(handUp));

    const controls = $('[data-supervisor-controls]');
    controls.hidden = !supervising;
    controls.querySelector('[data-pause]').textContent = view.state.paused ? 'Resume' : 'Pause';
    controls.querySelector('[data-pause]').dataset.command = view.state.paused ? 'resume' : 'pause';
    for (const b of controls.querySelectorAll('[data-turn-only]')) b.hidden = p.policy !== 'round_robin';
    for (const b of controls.querySelectorAll('[data-hands-only]')) b.hidden = p.policy !== 'hand_raise';
    controls.querySelector('[data-command="back"]').disabled = view.state.phase === 0;
    controls.querySelector('[data-command="advance"]').disabled = view.state.phase === phases.length - 1;
    $('[data-take-over]').hidden = supervising || !supervisesCommunity || me === view.presenter_id;
    const last = view.state.phase === phases.length - 1;
    $('[data-learning]').hidden = !last && !points.length;
    $('[data-learning-form]').hidden = !last || !(supervising || view.template.members_record_learning);
    $('[data-learning-list]').replaceChildren(...points.map((lp) => {
      const li = document.createElement('li');
      li.textContent = `${lp.kind === 'action' ? 'Action: ' : ''}${lp.body}${lp.function ? ` (${lp.function})` : ''} — ${lp.author_name || 'a former member'}`;
      return li;
    }));
    lastAnnounced = null;
    tick();
    timer = setInterval(tick, 1000);
    onChange();
  }

  async function command(action, extra = {}) {
    $('[data-session-error]').textContent = '';
    try {
      await post(`${api}/session/commands`, { action, ...extra });
    } catch (e) {
      $('[data-session-error]').textContent = e.message;
    }
  }

  for (const b of panel.querySelectorAll('[data-command]')) {
    b.addEventListener('click', () => {
      const action = b.dataset.command;
      if (action === 'end' && !window.confirm('End the session for everyone?')) return;
      if (action === 'take_over' && !window.confirm(`Take over from ${nameOf(view.supervisor_id)} as this session's supervisor? They will be told, and it is recorded in the audit log.`)) return;
      command(action, b.dataset.minutes ? { minutes: Number(b.dataset.minutes) } : {});
    });
  }
  $('[data-hand]').addEventListener('click', (e) => command(e.currentTarget.dataset.action));

  // A session started from the calendar is that meeting: its attendance goes to it.
  const scheduled = new URLSearchParams(location.search);
  const meeting = scheduled.get('schedule') && scheduled.get('n')
    ? { schedule_id: Number(scheduled.get('schedule')), n: Number(scheduled.get('n')) } : {};

  async function fillStartForm() {
    if (!supervisesCommunity) return;
    const select = startForm.querySelector('[name="template"]');
    try {
      const data = await get(`${api.replace(/\/cases\/\d+$/, '')}/templates`);
      select.replaceChildren(...data.templates.map((t) => {
        const o = document.createElement('option');
        o.value = t.key;
        o.textContent = `${t.name} (${t.phases.reduce((n, p) => n + p.minutes, 0)} min)`;
        return o;
      }));
      // Opened from the calendar (?schedule=&n=&template=): that meeting's format is chosen.
      const wanted = scheduled.get('template');
      if (wanted && [...select.options].some((o) => o.value === wanted)) select.value = wanted;
    } catch {
      startForm.querySelector('[data-start-error]').textContent = 'The formats could not be loaded.';
    }
  }
  startForm.addEventListener('focusin', () => {
    // Offer the people in the room as presenters (the supervisor cannot present).
    const presenter = startForm.querySelector('[name="presenter"]');
    const current = presenter.value;
    presenter.replaceChildren(new Option(authorID === me ? 'Choose the presenter' : "The case's author", '0'),
      ...[...(people() || new Map())].filter(([id]) => id !== me).map(([id, name]) => new Option(name, String(id))));
    presenter.value = [...presenter.options].some((o) => o.value === current) ? current : '0';
  });
  startForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const out = startForm.querySelector('[data-start-error]');
    out.textContent = '';
    try {
      await post(`${api}/session`, { template: startForm.querySelector('[name="template"]').value,
        presenter_id: Number(startForm.querySelector('[name="presenter"]').value), ...meeting });
    } catch (err) {
      out.textContent = err.message;
    }
  });
  fillStartForm();

  const learningForm = $('[data-learning-form]');
  learningForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const out = learningForm.querySelector('[data-learning-error]');
    const body = learningForm.querySelector('[name="body"]');
    out.textContent = '';
    try {
      await post(`${api}/session/learning`, { body: body.value, kind: learningForm.querySelector('[name="kind"]').value,
        function: learningForm.querySelector('[name="function"]').value });
      body.value = '';
      body.focus();
    } catch (err) {
      const found = findingsOf(err)?.map((f) => `“${f.text}”`).join(', ');
      out.textContent = found ? `This may identify someone (${found}); please rephrase it.` : err.message;
    }
  });

  return {
    // update shows the session as it now stands: a snapshot (with every learning point so far)
    // or an event's state, with the one learning point the event recorded, if any.
    update(next, point) {
      if (view && view.state && next && next.state.ended) {
        pastPhases.set(next.id, next.template.phases.map((p) => p.name));
      }
      // The supervisor who was displaced is told, and so is everyone else.
      if (view && next && !next.state.ended && next.id === view.id && next.supervisor_id !== view.supervisor_id) {
        const notice = $('[data-session-notice]');
        const newName = people()?.get(next.supervisor_id) || next.supervisor_name || 'Another supervisor';
        notice.textContent = view.supervisor_id === me
          ? `${newName} has taken over as supervisor; you take part as a member now.`
          : `${newName} has taken over as supervisor from ${nameOf(view.supervisor_id)}.`;
        notice.hidden = false;
      }
      if (next && next.learning_points) {
        points = next.learning_points;
      } else if (!next || !view || next.id !== view.id) {
        points = [];
      }
      if (point && !points.some((p) => p.id === point.id)) points = [...points, point];
      view = next;
      render();
    },
    refresh() {
      if (view) render();
    },
    refusal,
    banner: bannerText,
    // asksAndAnswers: msg was posted in a question phase (ask_answer) of the running session.
    asksAndAnswers(msg) {
      return Boolean(view && !view.state.ended && msg.session_id === view.id &&
        view.template.phases[msg.phase]?.policy === 'ask_answer');
    },
    running: () => Boolean(view && !view.state.ended),
    phaseOf(msg) {
      if (msg.session_id == null || msg.phase == null) return '';
      if (view && msg.session_id === view.id) return view.template.phases[msg.phase]?.name || '';
      return pastPhases.get(msg.session_id)?.[msg.phase] || '';
    },
    // loadRecords learns the phase names of ended sessions, so their messages keep their tags.
    async loadRecords() {
      try {
        for (const r of (await get(`${api}/session/records`)).records || []) pastPhases.set(r.session_id, r.phase_names || []);
      } catch {
        // the tags are a nicety; the thread works without them
      }
    },
  };
}
