// The account page's calendar feed: its address (made on first view), a new one, or none.

import { request } from './api.js';

const box = document.querySelector('[data-calendar-feed]');
const input = box?.querySelector('input');
const out = document.querySelector('[data-calendar-error]');

async function show(method, url) {
  out.textContent = '';
  try {
    const data = await request(method, url);
    input.value = data ? data.url : '';
    box.hidden = !data;
  } catch (error) {
    out.textContent = error.message;
  }
}

if (box) {
  document.querySelector('[data-calendar-show]').addEventListener('click', () => show('GET', '/api/v1/me/calendar'));
  document.querySelector('[data-calendar-renew]').addEventListener('click', () => {
    if (window.confirm('Make a new address? Calendars subscribed to the old one stop updating.')) show('POST', '/api/v1/me/calendar/renew');
  });
  document.querySelector('[data-calendar-revoke]').addEventListener('click', async () => {
    if (!window.confirm('Stop the feed? Calendars subscribed to it stop updating.')) return;
    await show('DELETE', '/api/v1/me/calendar');
  });
}
