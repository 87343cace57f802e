// What the case composer and the live message review show alike: a text with each finding
// highlighted and its Replace and Keep buttons, and the list of extra text to replace. The caller
// keeps the decisions; these only draw them. Everything is built with textContent, never as HTML.

// appendFindings appends text to el with each finding in a <mark>. Offsets are the server's,
// in code points (JavaScript strings count UTF-16 units, so the text is split into characters).
//   stateOf(f): 'open', 'accept', 'dismiss' or 'kept' (kept earlier, per the case's label book)
//   choose(f, choice): the writer pressed Replace ('accept') or Keep ('dismiss')
//   label(f, state): the words after the finding; testid: the marks' data-testid
//   title(f): optional tooltip
export function appendFindings(el, text, findings, { stateOf, choose, label, testid, title }) {
  const chars = Array.from(text);
  let pos = 0;
  for (const f of findings) {
    el.append(chars.slice(pos, f.rune_start).join(''));
    const state = stateOf(f);
    const mark = document.createElement('mark');
    mark.className = `finding finding-${state}`;
    mark.dataset.testid = testid;
    mark.dataset.state = state;
    mark.dataset.kind = f.kind;
    if (title) mark.title = title(f);
    const words = document.createElement('span');
    words.textContent = chars.slice(f.rune_start, f.rune_end).join('');
    const note = document.createElement('span');
    note.className = 'finding-label';
    note.textContent = label(f, state);
    // Something kept earlier shows as Keep pressed.
    const chosen = state === 'kept' ? 'dismiss' : state;
    mark.append(words, note,
      choiceButton('Replace', f, 'accept', chosen, choose),
      choiceButton('Keep', f, 'dismiss', chosen, choose));
    el.append(mark);
    pos = f.rune_end;
  }
  el.append(chars.slice(pos).join(''));
}

function choiceButton(label, f, choice, chosen, choose) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'choice';
  b.textContent = label;
  b.setAttribute('aria-pressed', String(chosen === choice));
  b.setAttribute('aria-label', `${label} “${f.text}”`);
  b.addEventListener('click', () => choose(f, choice));
  return b;
}

// extraItems returns a list item for each extra text to replace, with its Undo.
export function extraItems(extras, undo) {
  return extras.map((text, i) => {
    const li = document.createElement('li');
    li.append(`Also replaced: “${text}” `);
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'link-button';
    b.textContent = 'Undo';
    b.addEventListener('click', () => undo(i));
    li.append(b);
    return li;
  });
}
