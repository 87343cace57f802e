// casecircle's service worker: it only shows web push notifications (who and where, never what:
// the server puts no confidential text in a push) and opens the page they point to.

self.addEventListener('push', (event) => {
  let data = { title: 'casecircle', body: 'Something new for you.', url: '/' };
  try { data = { ...data, ...event.data.json() }; } catch { /* keep the defaults */ }
  event.waitUntil(self.registration.showNotification(data.title, { body: data.body, data: { url: data.url }, tag: data.url }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url || '/', self.location.origin);
  if (url.origin !== self.location.origin) return;
  event.waitUntil(self.clients.openWindow(url.href));
});
