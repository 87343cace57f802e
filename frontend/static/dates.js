// One way to show a moment everywhere: day, month, year and time in the reader's time zone,
// with the zone named ("27 Nov 2026, 19:34 CET"): the zone they chose on their account page
// (the page's data-time-zone), else the browser's. The server renders <time datetime> elements
// with a UTC fallback; localiseTimes rewrites them once the page has loaded.

// readerZone is the reader's chosen zone, if the browser knows it.
function readerZone() {
  const zone = document.body?.dataset.timeZone;
  if (!zone) return undefined;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return zone;
  } catch {
    return undefined; // a zone this browser does not know: its own, rather than none
  }
}

const timeZone = readerZone();

const format = new Intl.DateTimeFormat(undefined, {
  day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short', timeZone,
});

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short', timeZone });

// formatClock returns the time of day of an ISO timestamp, in the reader's zone.
export function formatClock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : clockFormat.format(d);
}

// formatDate returns an ISO timestamp as the reader should see it ('' for none).
export function formatDate(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : format.format(d);
}

// timeElement returns a <time> element showing iso.
export function timeElement(iso) {
  const el = document.createElement('time');
  el.dateTime = iso;
  el.textContent = formatDate(iso);
  return el;
}

// localiseTimes rewrites every server-rendered <time datetime> under root.
export function localiseTimes(root = document) {
  for (const el of root.querySelectorAll('time[datetime]')) {
    const text = el.hasAttribute('data-clock') ? formatClock(el.dateTime) : formatDate(el.dateTime);
    if (text) el.textContent = text;
  }
}

const dayFormat = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone });

// dayKey is the calendar day (YYYY-MM-DD) of an ISO timestamp in the reader's zone.
export function dayKey(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : dayFormat.format(d);
}

// zoneName is the zone times are shown in: the reader's chosen one, else the browser's.
export function zoneName() {
  return timeZone || Intl.DateTimeFormat().resolvedOptions().timeZone;
}
