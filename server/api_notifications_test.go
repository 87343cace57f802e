package server_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/hkdf"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/internal/mailtest"
	"github.com/casecircle/casecircle/internal/pgtest"
	"github.com/casecircle/casecircle/server"
	"github.com/casecircle/casecircle/server/pusher"
)

type bell struct {
	Notifications []casestudy.Notification
	Unread        int
}

func (c *client) bell() bell {
	c.t.Helper()
	var b bell
	c.mustStatus(c.call("GET", "/api/v1/me/notifications", nil), 200).decode(c.t, &b)
	return b
}

func waitNotified(t *testing.T, w *wsConn) {
	t.Helper()
	select {
	case <-w.notified:
	case <-time.After(5 * time.Second):
		t.Fatal("no notify frame within 5 s")
	}
}

// A mention and a reply reach the bell of a person whose page is open on another process,
// live; reading clears it on every tab; a person who switched mentions off in the app hears
// nothing; a mentioned outsider is not kept; the mention also arrives by mail, with no text.
func TestBellMentionsAcrossProcesses(t *testing.T) {
	t.Parallel()
	smtp := mailtest.Start(t)
	db := pgtest.NewDB(t)
	n1 := newMailServer(t, db, smtp)
	n2 := newMailServer(t, db, smtp)
	f := newRoomFixture(t, n1) // ann (author, facilitator) and ben (member), ann's case
	outsider := n1.newClient(t).signUp("olu")
	annOn2 := *f.author
	annOn2.base = n2.URL
	bell1 := f.author.dialWS(n1.URL)
	bell2 := annOn2.dialWS(n2.URL)

	var posted struct{ Event casestudy.RoomEvent }
	f.member.mustStatus(f.member.call("POST", fmt.Sprintf("%s/%d/messages", f.base, f.room), map[string]any{
		"client_id": "m1", "body": "What did you feel then?", "mentions": []int64{f.author.id, outsider.id, f.member.id}}), 200).decode(t, &posted)
	if got := posted.Event.Message.Mentions; len(got) != 1 || got[0] != f.author.id {
		t.Fatalf("mentions kept: %v, want only ann", got)
	}
	waitNotified(t, bell1)
	waitNotified(t, bell2)
	b := f.author.bell()
	kinds := map[string]bool{}
	for _, n := range b.Notifications {
		kinds[n.Kind] = true
		if n.ActorName == nil || *n.ActorName != "ben" || (n.Kind != "invitation_accepted" && (n.CaseID == nil || *n.CaseID != f.room)) {
			t.Errorf("notification %+v", n)
		}
	}
	// Ben joined with ann's invitation, then mentioned her in her case's room.
	if b.Unread != 3 || !kinds["mention"] || !kinds["case_discussed"] || !kinds["invitation_accepted"] {
		t.Fatalf("ann's bell: %+v", b)
	}
	if got := outsider.bell(); got.Unread != 0 {
		t.Fatal("an outsider was notified")
	}
	// The mention by mail: to ann, a link to the room, not the words.
	all := smtp.WaitFor(1, 10*time.Second)
	var mentionMail *mailtest.Received
	for i := range all {
		if all[i].To[0] == "ann@example.org" && strings.HasPrefix(all[i].Header.Get("Subject"), "You were mentioned") {
			mentionMail = &all[i]
		}
	}
	for mentionMail == nil {
		all = smtp.WaitFor(len(all)+1, 10*time.Second)
		if m := all[len(all)-1]; m.To[0] == "ann@example.org" && strings.HasPrefix(m.Header.Get("Subject"), "You were mentioned") {
			mentionMail = &m
		}
	}
	if strings.Contains(string(mentionMail.Raw), "What did you feel") || !strings.Contains(mentionMail.Text(), fmt.Sprintf("/cases/%d#room-heading", f.room)) {
		t.Fatalf("mention mail:\n%s", mentionMail.Text())
	}

	// Ann replies; ben hears of the reply.
	f.author.mustStatus(f.author.call("POST", fmt.Sprintf("%s/%d/messages", f.base, f.room), map[string]any{
		"client_id": "r1", "body": "Tired, I think.", "parent_id": posted.Event.Message.ID}), 200)
	if got := f.member.bell(); got.Unread != 1 || got.Notifications[0].Kind != "reply" {
		t.Fatalf("ben's bell: %+v", got)
	}

	// Read on one tab: the other hears, the count is zero.
	f.author.mustStatus(f.author.call("POST", "/api/v1/me/notifications/read", map[string]int64{"up_to": 0}), 204)
	waitNotified(t, bell2)
	if got := f.author.bell(); got.Unread != 0 {
		t.Fatalf("unread after reading: %d", got.Unread)
	}

	// Mentions off in the app: the next mention makes no notification.
	var prefs struct {
		Digest  string
		Choices []casestudy.Preference
	}
	f.author.mustStatus(f.author.call("PUT", "/api/v1/me/notifications/preferences", map[string]any{"digest": "weekly",
		"choices": []map[string]any{{"kind": "mention", "channel": "in_app", "community_id": 0, "enabled": false}}}), 200).decode(t, &prefs)
	if prefs.Digest != "weekly" || len(prefs.Choices) != 1 {
		t.Fatalf("preferences %+v", prefs)
	}
	f.author.mustStatus(f.author.call("PUT", "/api/v1/me/notifications/preferences", map[string]any{"digest": "hourly"}), 422)
	f.author.mustStatus(f.author.call("PUT", "/api/v1/me/notifications/preferences", map[string]any{"digest": "off",
		"choices": []map[string]any{{"kind": "mention", "channel": "fax", "enabled": false}}}), 422)
	f.member.mustStatus(f.member.call("POST", fmt.Sprintf("%s/%d/messages", f.base, f.room), map[string]any{
		"client_id": "m2", "body": "And now?", "mentions": []int64{f.author.id}}), 200)
	for _, n := range f.author.bell().Notifications {
		if n.Kind == "mention" && n.ReadAt == nil {
			t.Fatal("a mention was made although mentions are off in the app")
		}
	}
	f.member.mustStatus(f.member.call("POST", fmt.Sprintf("%s/%d/messages", f.base, f.room), map[string]any{
		"client_id": "m3", "body": "x", "mentions": make([]int64, casestudy.MaxMentions+1)}), 422)
}

// pushService is a web push service on loopback: it checks the VAPID signature header and
// decrypts each message (RFC 8291) with the browser's keys, which the test made.
type pushService struct {
	*httptest.Server
	private *ecdh.PrivateKey
	auth    []byte
	mu      sync.Mutex
	got     []pusher.Payload
	gone    bool // answer 410 Gone
}

func newPushService(t *testing.T) *pushService {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := &pushService{private: key, auth: make([]byte, 16)}
	_, _ = rand.Read(p.auth)
	p.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.HasPrefix(r.Header.Get("Authorization"), "vapid t=") || r.Header.Get("Content-Encoding") != "aes128gcm" {
			http.Error(w, "no VAPID", http.StatusUnauthorized)
			return
		}
		payload, err := p.decrypt(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var msg pusher.Payload
		if err := json.Unmarshal(payload, &msg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.got = append(p.got, msg)
		gone := p.gone
		p.mu.Unlock()
		if gone {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *pushService) decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, fmt.Errorf("short body")
	}
	salt, idLen := body[:16], int(body[20])
	_ = binary.BigEndian.Uint32(body[16:20])
	serverKey, err := ecdh.P256().NewPublicKey(body[21 : 21+idLen])
	if err != nil {
		return nil, err
	}
	secret, err := p.private.ECDH(serverKey)
	if err != nil {
		return nil, err
	}
	info := append(append([]byte("WebPush: info\x00"), p.private.PublicKey().Bytes()...), serverKey.Bytes()...)
	ikm := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, secret, p.auth, info), ikm); err != nil {
		return nil, err
	}
	cek, nonce := make([]byte, 16), make([]byte, 12)
	_, _ = io.ReadFull(hkdf.New(sha256.New, ikm, salt, []byte("Content-Encoding: aes128gcm\x00")), cek)
	_, _ = io.ReadFull(hkdf.New(sha256.New, ikm, salt, []byte("Content-Encoding: nonce\x00")), nonce)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, nonce, body[21+idLen:], nil)
	if err != nil {
		return nil, err
	}
	if i := bytes.LastIndexByte(plain, 2); i >= 0 { // the padding delimiter of the last record
		plain = plain[:i]
	}
	return plain, nil
}

func (p *pushService) payloads() []pusher.Payload {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pusher.Payload(nil), p.got...)
}

// A mention is pushed to the mentioned person's browser, encrypted, with who and where but no
// words; a browser the push service says is gone is forgotten.
func TestWebPush(t *testing.T) {
	t.Parallel()
	push := newPushService(t)
	private, public, err := pusher.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.NewDB(t)
	s := newAPIServerWith(t, db, []casestudy.ServiceOption{casestudy.WithPush()}, func(cfg *server.Config) {
		cfg.VAPIDPublicKey, cfg.VAPIDPrivateKey, cfg.VAPIDSubject = public, private, "mailto:ops@example.org"
		cfg.PushHTTPClient, cfg.PublicURL, cfg.MailPollInterval = push.Client(), "https://cc.example.org", 50*time.Millisecond
	})
	f := newRoomFixture(t, s)
	var key struct{ Key string }
	s.newClient(t).mustStatus(s.newClient(t).call("GET", "/api/v1/push/key", nil), 200).decode(t, &key)
	if key.Key != public {
		t.Fatalf("key %q", key.Key)
	}
	sub := map[string]any{"endpoint": push.URL + "/send/abc", "keys": map[string]string{
		"p256dh": base64.RawURLEncoding.EncodeToString(push.private.PublicKey().Bytes()), "auth": base64.RawURLEncoding.EncodeToString(push.auth)}}
	f.author.mustStatus(f.author.call("POST", "/api/v1/me/push", map[string]any{"endpoint": "http://insecure.example/x", "keys": sub["keys"]}), 422)
	f.author.mustStatus(f.author.call("POST", "/api/v1/me/push", sub), 204)

	f.member.mustStatus(f.member.call("POST", fmt.Sprintf("%s/%d/messages", f.base, f.room), map[string]any{
		"client_id": "m1", "body": "A confidential thought", "mentions": []int64{f.author.id}}), 200)
	deadline := time.Now().Add(10 * time.Second)
	for len(push.payloads()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	got := push.payloads()
	if len(got) != 1 {
		t.Fatalf("%d pushes", len(got))
	}
	if got[0].Body != "ben mentioned you in a discussion." || got[0].Title != "Peer group" ||
		got[0].URL != fmt.Sprintf("https://cc.example.org/communities/%d/cases/%d#room-heading", f.cid, f.room) {
		t.Errorf("payload %+v", got[0])
	}
	if strings.Contains(fmt.Sprint(got[0]), "confidential") || strings.Contains(fmt.Sprint(got[0]), "A case") {
		t.Fatal("the push carries the message or the case's title")
	}

	// The push service forgets the browser: so does casecircle.
	push.mu.Lock()
	push.gone = true
	push.mu.Unlock()
	f.member.mustStatus(f.member.call("POST", fmt.Sprintf("%s/%d/messages", f.base, f.room), map[string]any{
		"client_id": "m2", "body": "Still there?", "mentions": []int64{f.author.id}}), 200)
	deadline = time.Now().Add(10 * time.Second)
	var left int
	for time.Now().Before(deadline) {
		_ = db.DB.Get(&left, `SELECT count(*) FROM push_subscriptions`)
		if left == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if left != 0 {
		t.Fatal("a gone subscription was kept")
	}
}
