package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sync/errgroup"
)

// messageBody is what every benchmark message says: about 100 characters that the anonymiser
// passes unchanged, like most real messages.
const messageBody = "Reflecting on the contracting: what did the sponsor want, and what did the coachee want from it?"

const password = "benchmark passphrase, long enough"

// Result is one run's outcome; Line formats it as the RESULT line.
type Result struct {
	Rooms, Members, Idle             int
	Sent, Acked, Expected, Delivered int64
	Lost, Duplicated                 int64
	DurableMsgsPerSec                float64
	DeliveriesPerSec                 float64
	P50, P99, Max                    float64 // delivery latency, ms
	ServerRSSMB                      float64
	IdleKBPerConn                    float64 // server RSS growth per idle connection (with --idle)
	BaselineInsertsPerSec            float64
	ratio                            float64 // durable ÷ baseline, for the suite's medians
	Errors                           int64   // error frames other than rate limits
}

// Line is the RESULT line, exactly as documented.
func (r Result) Line() string {
	return fmt.Sprintf("RESULT rooms=%d members=%d idle=%d sent=%d acked=%d expected=%d delivered=%d lost=%d duplicated=%d "+
		"durable_msgs_per_s=%.0f deliveries_per_s=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f server_rss_mb=%.1f baseline_inserts_per_s=%.0f",
		r.Rooms, r.Members, r.Idle, r.Sent, r.Acked, r.Expected, r.Delivered, r.Lost, r.Duplicated,
		r.DurableMsgsPerSec, r.DeliveriesPerSec, r.P50, r.P99, r.Max, r.ServerRSSMB, r.BaselineInsertsPerSec)
}

// measureIdle opens idle connections to a room of their own and returns the server's memory per
// connection; closeIdle closes them (call it also on error).
func measureIdle(ctx context.Context, base string, n int, log io.Writer) (kb float64, closeIdle func(), err error) {
	var conns []io.Closer
	closeIdle = func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}
	idle, err := setupRooms(ctx, base, 1, 10, "idle")
	if err != nil {
		return 0, closeIdle, err
	}
	before, err := serverRSS(base)
	if err != nil {
		return 0, closeIdle, err
	}
	opened, err := openIdle(ctx, base, idle[0], n)
	for _, c := range opened {
		conns = append(conns, c)
	}
	if err != nil {
		return 0, closeIdle, err
	}
	time.Sleep(2 * time.Second) // let the server settle
	after, err := serverRSS(base)
	if err != nil {
		return 0, closeIdle, err
	}
	kb = (after - before) / 1024 / float64(n)
	fmt.Fprintf(log, "idle: server RSS %.1f MB before, %.1f MB with %d idle connections: %.1f KB each\n",
		before/1e6, after/1e6, n, kb)
	return kb, closeIdle, nil
}

// Run performs one benchmark: setup, baseline, idle connections, load, drain and checks.
func Run(ctx context.Context, p Params, log io.Writer) (Result, error) {
	say := func(format string, args ...any) {
		if p.Verbose {
			fmt.Fprintf(log, format+"\n", args...)
		}
	}
	res := Result{Rooms: p.Rooms, Members: p.Members, Idle: p.Idle}
	base, dbURL := strings.TrimSuffix(p.URL, "/"), p.DatabaseURL
	if base == "" {
		say("starting a private PostgreSQL and casecircle")
		srv, err := startPrivateServer(ctx, p.ServerBin, log)
		if err != nil {
			return res, err
		}
		defer srv.stop()
		base, dbURL = srv.url, srv.dbURL
	}

	if dbURL != "" && p.Baseline > 0 {
		say("baseline: 16 goroutines, one insert per transaction, %v", p.Baseline)
		var err error
		if res.BaselineInsertsPerSec, err = baseline(ctx, dbURL, p.Baseline); err != nil {
			return res, fmt.Errorf("baseline: %w", err)
		}
	}

	say("creating %d rooms × %d members", p.Rooms, p.Members)
	rooms, err := setupRooms(ctx, base, p.Rooms, p.Members, "r")
	if err != nil {
		return res, err
	}

	if p.Idle > 0 {
		say("opening %d idle connections", p.Idle)
		kb, closeIdle, err := measureIdle(ctx, base, p.Idle, log)
		defer closeIdle()
		if err != nil {
			return res, err
		}
		res.IdleKBPerConn = kb
	}

	say("connecting %d clients", p.Rooms*p.Members)
	var clients []*benchClient
	for _, rm := range rooms {
		for _, m := range rm.members {
			clients = append(clients, &benchClient{room: rm, member: m, window: p.Window, rate: p.Rate, sentAt: &rm.sentAt})
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for _, c := range clients {
		g.Go(func() error { return c.connect(gctx, base) })
	}
	if err := g.Wait(); err != nil {
		return res, err
	}
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()

	say("posting for %v", p.Duration)
	lat := newLatencies()
	for _, c := range clients {
		c.lat = lat
	}
	start := time.Now()
	loadCtx, cancel := context.WithTimeout(ctx, p.Duration)
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() { defer wg.Done(); c.post(loadCtx) }()
	}
	wg.Wait()
	cancel()
	elapsed := time.Since(start)
	var deliveredInWindow int64
	for _, c := range clients {
		deliveredInWindow += c.delivered.Load()
	}

	say("waiting for the last acks and deliveries")
	drainDeadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(drainDeadline) && !allSettled(clients) {
		time.Sleep(50 * time.Millisecond)
	}
	if res.ServerRSSMB, err = serverRSS(base); err == nil {
		res.ServerRSSMB /= 1e6
	}

	for _, rm := range rooms {
		countDeliveries(&res, rm, clients)
	}
	var ackedInWindow int64
	for _, c := range clients {
		res.Sent += c.sent.Load()
		res.Errors += c.errors.Load()
		ackedInWindow += c.ackedInWindow.Load()
	}
	res.DurableMsgsPerSec = float64(ackedInWindow) / elapsed.Seconds()
	res.DeliveriesPerSec = float64(deliveredInWindow) / elapsed.Seconds()
	res.P50, res.P99, res.Max = lat.summary()
	if res.Errors > 0 {
		fmt.Fprintf(log, "%d error frames (see above)\n", res.Errors)
	}
	return res, nil
}

// countDeliveries checks one room: every member, sender included, must have received each
// acked event once.
func countDeliveries(res *Result, rm *benchRoom, clients []*benchClient) {
	acked := map[int64]bool{}
	for _, c := range clients {
		if c.room == rm {
			c.mu.Lock()
			for _, seq := range c.ackedSeqs {
				acked[seq] = true
			}
			c.mu.Unlock()
		}
	}
	res.Acked += int64(len(acked))
	res.Expected += int64(len(acked)) * int64(len(rm.members))
	for _, c := range clients {
		if c.room != rm {
			continue
		}
		c.mu.Lock()
		for seq := range acked {
			switch n := c.received[seq]; {
			case n == 0:
				res.Lost++
			default:
				res.Delivered += int64(n)
				res.Duplicated += int64(n - 1)
			}
		}
		c.mu.Unlock()
	}
}

func allSettled(clients []*benchClient) bool {
	for _, c := range clients {
		if c.inflight.Load() > 0 {
			return false
		}
	}
	heads := map[*benchRoom]int64{}
	for _, c := range clients {
		c.mu.Lock()
		for _, s := range c.ackedSeqs {
			heads[c.room] = max(heads[c.room], s)
		}
		c.mu.Unlock()
	}
	for _, c := range clients {
		c.mu.Lock()
		done := c.lastSeq >= heads[c.room]
		c.mu.Unlock()
		if !done {
			return false
		}
	}
	return true
}

// ---- setup over HTTP, as a user would ----

type benchRoom struct {
	id      int64
	members []*http.Cookie // each member's session
	sentAt  sync.Map       // client_id → time posted
}

type api struct {
	base   string
	cookie *http.Cookie
}

func (a *api) call(ctx context.Context, method, path string, body, out any) error {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if a.cookie != nil {
		req.AddCookie(a.cookie)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	for _, ck := range res.Cookies() {
		if strings.HasSuffix(ck.Name, "casecircle_session") && ck.Value != "" {
			a.cookie = ck
		}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

var runID = time.Now().UnixNano()

// setupRooms creates n communities, each with members accounts and one published case.
func setupRooms(ctx context.Context, base string, n, members int, prefix string) ([]*benchRoom, error) {
	rooms := make([]*benchRoom, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4) // sign-ups hash passwords: the server has few cores
	for i := range rooms {
		g.Go(func() error {
			rm := &benchRoom{}
			rooms[i] = rm
			users := make([]*api, members)
			for j := range users {
				users[j] = &api{base: base}
				email := fmt.Sprintf("%s%d-%d-%d@bench.example", prefix, runID, i, j)
				if err := users[j].call(gctx, "POST", "/api/v1/auth/signup", map[string]string{
					"email": email, "display_name": fmt.Sprintf("Member %d", j+1), "password": password}, nil); err != nil {
					return err
				}
				rm.members = append(rm.members, users[j].cookie)
			}
			var cm struct{ Community struct{ ID int64 } }
			if err := users[0].call(gctx, "POST", "/api/v1/communities", map[string]string{"name": fmt.Sprintf("Bench group %d", i)}, &cm); err != nil {
				return err
			}
			if members > 1 {
				var inv struct{ Token string }
				if err := users[0].call(gctx, "POST", fmt.Sprintf("/api/v1/communities/%d/invitations", cm.Community.ID),
					map[string]any{"role": "member", "max_uses": members, "expires_in_hours": 24}, &inv); err != nil {
					return err
				}
				for _, u := range users[1:] {
					if err := u.call(gctx, "POST", "/api/v1/invitations/"+inv.Token+"/accept", nil, nil); err != nil {
						return err
					}
				}
			}
			var cs struct{ Case struct{ ID int64 } }
			if err := users[0].call(gctx, "POST", fmt.Sprintf("/api/v1/communities/%d/cases", cm.Community.ID), map[string]any{
				"case": map[string]any{"title": "A team lead who cannot delegate", "question": "What keeps me rescuing?"}, "action": "publish", "attest": true}, &cs); err != nil {
				return err
			}
			rm.id = cs.Case.ID
			return nil
		})
	}
	return rooms, g.Wait()
}

func dial(ctx context.Context, base string, cookie *http.Cookie) (*websocket.Conn, error) {
	header := http.Header{"Origin": {base}, "Cookie": {cookie.Name + "=" + cookie.Value}}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, "ws"+strings.TrimPrefix(base, "http")+"/api/v1/ws", header)
	return conn, err
}

// openIdle opens n sockets subscribed to one quiet room, spread over its members' sessions.
func openIdle(ctx context.Context, base string, rm *benchRoom, n int) ([]*websocket.Conn, error) {
	conns := make([]*websocket.Conn, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(64)
	for i := range conns {
		g.Go(func() error {
			c, err := dial(gctx, base, rm.members[i%len(rm.members)])
			if err != nil {
				return err
			}
			conns[i] = c
			if err := c.WriteJSON(map[string]any{"type": "subscribe", "room": rm.id, "last_seq": 0}); err != nil {
				return err
			}
			// Read hello and subscribed; the rest (presence) is drained by a reader.
			for range 2 {
				if _, _, err := c.ReadMessage(); err != nil {
					return err
				}
			}
			go func() {
				for {
					if _, _, err := c.ReadMessage(); err != nil {
						return
					}
				}
			}()
			return nil
		})
	}
	err := g.Wait()
	var open []*websocket.Conn
	for _, c := range conns {
		if c != nil {
			open = append(open, c)
		}
	}
	return open, err
}

// ---- one member's socket ----

type benchClient struct {
	room   *benchRoom
	member *http.Cookie
	window int
	rate   float64
	sentAt *sync.Map
	lat    *latencies

	conn    *websocket.Conn
	writeMu sync.Mutex
	slots   chan struct{} // the in-flight window
	n       int
	frame   []byte

	sent, errors, delivered, ackedInWindow, inflight atomic.Int64
	loading                                          atomic.Bool

	mu        sync.Mutex
	received  map[int64]int // seq → times received
	ackedSeqs []int64
	lastSeq   int64
}

type inFrame struct {
	Type  string `json:"type"`
	Ref   string `json:"ref"`
	Seq   int64  `json:"seq"`
	Code  string `json:"code"`
	Msg   string `json:"message"`
	Event *struct {
		Seq     int64 `json:"seq"`
		Message struct {
			ClientID string `json:"client_id"`
		} `json:"message"`
	} `json:"event"`
}

func (c *benchClient) connect(ctx context.Context, base string) error {
	conn, err := dial(ctx, base, c.member)
	if err != nil {
		return err
	}
	c.conn = conn
	c.received = map[int64]int{}
	c.slots = make(chan struct{}, c.window)
	if err := conn.WriteJSON(map[string]any{"type": "subscribe", "room": c.room.id, "last_seq": 0}); err != nil {
		return err
	}
	for {
		var f inFrame
		if err := conn.ReadJSON(&f); err != nil {
			return err
		}
		if f.Type == "subscribed" {
			break
		}
		if f.Type == "error" {
			return fmt.Errorf("subscribe: %s", f.Msg)
		}
	}
	c.loading.Store(true)
	go c.read()
	return nil
}

func (c *benchClient) read() {
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now()
		f, ok := quickParse(data)
		if !ok {
			if err := json.Unmarshal(data, &f); err != nil {
				continue
			}
		}
		switch f.Type {
		case "event":
			if f.Event == nil {
				continue
			}
			if v, ok := c.sentAt.Load(f.Event.Message.ClientID); ok {
				c.lat.add(now.Sub(v.(time.Time)))
			}
			if c.loading.Load() {
				c.delivered.Add(1)
			}
			c.mu.Lock()
			c.received[f.Event.Seq]++
			c.lastSeq = max(c.lastSeq, f.Event.Seq)
			c.mu.Unlock()
		case "ack":
			c.mu.Lock()
			c.ackedSeqs = append(c.ackedSeqs, f.Seq)
			c.mu.Unlock()
			if c.loading.Load() {
				c.ackedInWindow.Add(1)
			}
			c.inflight.Add(-1)
			<-c.slots
		case "error":
			c.errors.Add(1)
			fmt.Printf("error frame: %s %s\n", f.Code, f.Msg)
			if f.Ref != "" {
				c.inflight.Add(-1)
				<-c.slots
			}
		}
	}
}

// quickParse reads event and ack frames without a full JSON decode: the load generator shares
// the machine with the server, and decoding tens of thousands of frames a second would take
// much of a core from it. The frames' layout is the server's (realtime/protocol.go).
func quickParse(data []byte) (inFrame, bool) {
	var f inFrame
	switch {
	case bytes.HasPrefix(data, []byte(`{"type":"event","event":{`)):
		seq, ok := intAfter(data, `"seq":`)
		id, ok2 := stringAfter(data, `"client_id":"`)
		if !ok || !ok2 {
			return f, false
		}
		f.Type = "event"
		f.Event = &struct {
			Seq     int64 `json:"seq"`
			Message struct {
				ClientID string `json:"client_id"`
			} `json:"message"`
		}{Seq: seq}
		f.Event.Message.ClientID = id
		return f, true
	case bytes.HasPrefix(data, []byte(`{"type":"ack",`)):
		seq, ok := intAfter(data, `"seq":`)
		ref, ok2 := stringAfter(data, `"ref":"`)
		f.Type, f.Seq, f.Ref = "ack", seq, ref
		return f, ok && ok2
	}
	return f, false
}

func intAfter(data []byte, key string) (int64, bool) {
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return 0, false
	}
	var n int64
	j := i + len(key)
	for ; j < len(data) && data[j] >= '0' && data[j] <= '9'; j++ {
		n = n*10 + int64(data[j]-'0')
	}
	return n, j > i+len(key)
}

func stringAfter(data []byte, key string) (string, bool) {
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return "", false
	}
	rest := data[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return string(rest[:j]), true
}

// post sends messages until ctx ends: at the client's rate, or as fast as its window allows.
func (c *benchClient) post(ctx context.Context) {
	defer c.loading.Store(false)
	var tick <-chan time.Time
	if c.rate > 0 {
		interval := time.Duration(float64(time.Second) / c.rate)
		// Start at a random point of the interval so clients do not post in lockstep.
		select {
		case <-time.After(time.Duration(rand.Int64N(int64(interval)))):
		case <-ctx.Done():
			return
		}
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		if tick != nil {
			select {
			case <-tick:
			case <-ctx.Done():
				return
			}
		}
		select {
		case c.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		c.n++
		id := fmt.Sprintf("b%p-%d", c, c.n)
		c.sentAt.Store(id, time.Now())
		c.inflight.Add(1)
		c.sent.Add(1)
		frame := fmt.Appendf(c.frame[:0], `{"type":"publish","room":%d,"client_id":%q,"ref":%q,"body":%q}`, c.room.id, id, id, messageBody)
		c.frame = frame
		c.writeMu.Lock()
		err := c.conn.WriteMessage(websocket.TextMessage, frame)
		c.writeMu.Unlock()
		if err != nil {
			c.errors.Add(1)
			return
		}
	}
}

func (c *benchClient) close() { _ = c.conn.Close() }

// ---- latency ----

type latencies struct {
	mu sync.Mutex
	ms []float64
}

func newLatencies() *latencies { return &latencies{ms: make([]float64, 0, 1<<20)} }

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.ms = append(l.ms, float64(d.Microseconds())/1000)
	l.mu.Unlock()
}

func (l *latencies) summary() (p50, p99, maxMS float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ms) == 0 {
		return 0, 0, 0
	}
	slices.Sort(l.ms)
	at := func(q float64) float64 { return l.ms[int(math.Ceil(q*float64(len(l.ms))))-1] }
	return at(0.50), at(0.99), l.ms[len(l.ms)-1]
}
