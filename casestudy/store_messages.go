package casestudy

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/casecircle/casecircle/internal/postgres"
)

// New messages are stored by group commit: requests from every connection queue up, and a
// writer stores whatever has gathered — up to maxBatch messages, across rooms — in one
// transaction with a fixed number of statements, so a busy server pays for one commit (and one
// fsync) per batch instead of per message. Within a batch each room's messages take
// consecutive seqs in arrival order; room head rows are locked in id order, so batches and
// single writers never deadlock.

const (
	maxBatch     = 1024
	batchTimeout = 15 * time.Second
)

type postRequest struct {
	userID, communityID, caseID, parentID int64
	clientID, body, html                  string
	lens                                  Lens
	mentions                              []int64
	done                                  chan postResult
}

type postResult struct {
	ev  RoomEvent
	err error
}

// messageWriter is the one goroutine that stores messages, started with the first one and
// stopped by close (Service.Close), which waits for it.
type messageWriter struct {
	s     *core
	queue chan *postRequest
	stop  chan struct{} // closed by close: take no more
	done  chan struct{} // closed when run has returned

	mu      sync.Mutex // guards started and closed, so that no writer starts after close
	started bool
	closed  bool

	// fault, in tests, fails a batch's transaction before it stores anything.
	fault func(batchSize int) error
}

func newMessageWriter(s *core) *messageWriter {
	return &messageWriter{s: s, queue: make(chan *postRequest, 4*maxBatch), stop: make(chan struct{}), done: make(chan struct{})}
}

var errWriterClosed = &Error{Code: EUNAVAILABLE, Message: "The server is shutting down; send it again in a moment.", RetryAfter: time.Second}

// close stops the writer: messages already queued are stored, later ones are refused. It
// waits until the writer has returned, and may be called more than once.
func (w *messageWriter) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.stop)
	}
	started := w.started
	w.mu.Unlock()
	if started {
		<-w.done
	}
}

// submit queues a request and returns a function that waits for its outcome. Requests are
// stored in the order they are submitted: one writer takes them in turn, so one person's
// messages keep their order even when sent without waiting.
func (w *messageWriter) submit(ctx context.Context, r *postRequest) (wait func() (RoomEvent, error), err error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil, errWriterClosed
	}
	if !w.started {
		w.started = true
		go w.run()
	}
	w.mu.Unlock()
	r.done = make(chan postResult, 1)
	select {
	case w.queue <- r:
	case <-w.stop:
		return nil, errWriterClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return func() (RoomEvent, error) {
		select {
		case res := <-r.done:
			return res.ev, res.err
		case <-w.done: // stopped; it may have answered just before
			select {
			case res := <-r.done:
				return res.ev, res.err
			default:
				return RoomEvent{}, errWriterClosed
			}
		case <-ctx.Done():
			return RoomEvent{}, ctx.Err()
		}
	}, nil
}

func (w *messageWriter) run() {
	defer close(w.done)
	for {
		var first *postRequest
		select {
		case first = <-w.queue:
		case <-w.stop:
			// Store what was queued before the stop, then return.
			select {
			case first = <-w.queue:
			default:
				return
			}
		}
		batch := []*postRequest{first}
	gather:
		for len(batch) < maxBatch {
			select {
			case r := <-w.queue:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		w.commit(batch)
	}
}

// item is a request's progress through a batch.
type item struct {
	*postRequest
	err       error
	sessionID int64 // the live session it was posted in, and its phase
	phase     int
	// facilitation: posted by the session's supervisor
	facilitation bool
	seq          int64 // assigned, or of the original message for a resend
	resent       bool
	dupOf        *item   // the same client_id earlier in this batch
	stored       []int64 // the mentions kept: members of the community other than the author
}

// maxAlone is how often one message alone is tried again after a race (see commit).
const maxAlone = 3

func (w *messageWriter) commit(batch []*postRequest) { w.commitTry(batch, 0) }

// commitTry stores a batch in one transaction. A batch that fails on a race (another process
// stored the same client_id first, or a deadlock) is tried again one message at a time,
// through this same code: the message that raced finds the stored row and answers as a
// resend, the others are stored; a message alone that races again is tried up to maxAlone
// times. Any other failure answers every message of the batch with it.
func (w *messageWriter) commitTry(batch []*postRequest, alone int) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	items := make([]*item, len(batch))
	first := map[[2]any]*item{}
	for i, r := range batch {
		items[i] = &item{postRequest: r}
		key := [2]any{r.userID, r.clientID}
		if f, ok := first[key]; ok {
			items[i].dupOf = f
		} else {
			first[key] = items[i]
		}
	}
	now := w.s.now().UTC().Truncate(time.Microsecond) // as PostgreSQL keeps it
	var result batchResult
	err := w.s.inTx(ctx, func(tx *sqlx.Tx) error {
		if w.fault != nil {
			if err := w.fault(len(batch)); err != nil {
				return err
			}
		}
		var err error
		result, err = storeBatch(ctx, w.s, tx, items, now)
		return err
	})
	if err != nil {
		if postgres.IsRace(err) && alone < maxAlone {
			cancel()
			if len(batch) > 1 {
				for _, r := range batch {
					w.commitTry([]*postRequest{r}, 1)
				}
			} else {
				w.commitTry(batch, alone+1)
			}
			return
		}
		for _, it := range items {
			it.done <- postResult{err: err}
		}
		return
	}
	created := result.events
	for _, ev := range created {
		w.s.events.RoomEventCommitted(ev)
	}
	if len(result.notified) > 0 {
		w.s.events.NotificationsChanged(result.notified)
	}
	for _, room := range result.covered {
		w.s.discussed.cover(room, now)
	}
	byKey := map[[2]int64]RoomEvent{}
	for _, ev := range created {
		byKey[[2]int64{ev.Room, ev.Seq}] = ev
	}
	for _, it := range items {
		src := it
		if it.dupOf != nil {
			src = it.dupOf
		}
		switch {
		case src.err != nil:
			it.done <- postResult{err: src.err}
		case src.resent:
			ev, err := w.s.eventAt(ctx, src.caseID, src.seq)
			if err == nil {
				// Delivered again here (a seq already delivered is skipped): the first try
				// may have been stored without its answer, and so without its delivery.
				w.s.events.RoomEventCommitted(ev)
			}
			it.done <- postResult{ev, err}
		default:
			it.done <- postResult{ev: byKey[[2]int64{src.caseID, src.seq}]}
		}
	}
}

// storeBatch stores a batch's new messages and events and returns the events, in seq order per
// room. Refused items get their err; resends are marked. A fixed number of statements, whatever
// the batch's size: each step below is one or two statements over the whole batch (and one more
// when a message mentions someone).
func storeBatch(ctx context.Context, c *core, tx *sqlx.Tx, items []*item, now time.Time) (batchResult, error) {
	b := &batch{ctx: ctx, tx: tx, node: c.node, items: items, now: now, core: c}
	steps := []func() error{b.checkAccess, b.checkParents, b.checkSpeaking, b.lockHeads, b.findResends}
	for _, step := range steps {
		if err := step(); err != nil {
			return batchResult{}, err
		}
		if len(b.live()) == 0 {
			return batchResult{}, nil
		}
	}
	events, err := b.store()
	return batchResult{events: events, notified: b.notified, covered: b.covered}, err
}

// batchResult is what a stored batch leaves for after its commit.
type batchResult struct {
	events   []RoomEvent
	notified []int64 // users whose notifications changed
	covered  []int64 // rooms whose author has the unread "case discussed"
}

// batch is one transaction of storeBatch: the items still to store, and what the steps
// learned about their rooms.
type batch struct {
	ctx   context.Context
	tx    *sqlx.Tx
	node  string
	items []*item
	now   time.Time

	rooms    []int64                // the rooms written to, in id order
	sessions map[int64]*SessionView // room → its running session
	turned   map[int64]int64        // room → who passed the session's turn last
	head     map[int64]int64        // room → its last seq, locked
	notified []int64                // users with new notifications, told after commit
	covered  []int64                // rooms whose author has the unread "case discussed", once committed
	core     *core                  // for the outbox
}

// live lists the items still to store: not refused, not a resend, not a repeat in the batch.
func (b *batch) live() []*item {
	var out []*item
	for _, it := range b.items {
		if it.err == nil && it.dupOf == nil && !it.resent {
			out = append(out, it)
		}
	}
	return out
}

// liveRooms lists the rooms of the live items, in id order.
func (b *batch) liveRooms() []int64 {
	seen := make(map[int64]bool)
	var rooms []int64
	for _, it := range b.live() {
		if !seen[it.caseID] {
			seen[it.caseID] = true
			rooms = append(rooms, it.caseID)
		}
	}
	slices.Sort(rooms)
	return rooms
}

// checkAccess refuses items whose author is not a member of the case's community, or whose
// case's room is not open.
func (b *batch) checkAccess() error {
	users, cases, communities := make([]int64, len(b.items)), make([]int64, len(b.items)), make([]int64, len(b.items))
	for i, it := range b.items {
		users[i], cases[i], communities[i] = it.userID, it.caseID, it.communityID
	}
	var rows []struct {
		I      int            `db:"i"`
		Status sql.NullString `db:"status"`
		Member bool           `db:"member"`
	}
	if err := sqlx.SelectContext(b.ctx, b.tx, &rows, `
		SELECT r.i, c.status, ms.user_id IS NOT NULL AS member
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS r(user_id, case_id, community_id, i)
		LEFT JOIN cases c ON c.id = r.case_id AND c.community_id = r.community_id
		LEFT JOIN memberships ms ON ms.community_id = r.community_id AND ms.user_id = r.user_id`,
		pq.Array(users), pq.Array(cases), pq.Array(communities)); err != nil {
		return err
	}
	for _, r := range rows {
		it := b.items[r.I-1]
		switch {
		case !r.Member:
			it.err = Errorf(ENOTFOUND, "No such community.")
		case r.Status.String == string(StatusArchived):
			it.err = Errorf(ECONFLICT, "This case is archived; its room is read-only.")
		case r.Status.String != string(StatusPublished):
			it.err = Errorf(ENOTFOUND, "No such room.")
		}
	}
	return nil
}

// checkParents refuses replies to anything but a top-level message of the same room.
func (b *batch) checkParents() error {
	var replies []*item
	var parents []int64
	for _, it := range b.live() {
		if it.parentID != 0 {
			replies, parents = append(replies, it), append(parents, it.parentID)
		}
	}
	if len(replies) == 0 {
		return nil
	}
	var found []struct {
		ID     int64         `db:"id"`
		CaseID int64         `db:"case_id"`
		Parent sql.NullInt64 `db:"parent_id"`
	}
	if err := sqlx.SelectContext(b.ctx, b.tx, &found, `SELECT id, case_id, parent_id FROM messages WHERE id = ANY($1)`, pq.Array(parents)); err != nil {
		return err
	}
	type parent struct {
		caseID  int64
		isReply bool
	}
	byID := make(map[int64]parent, len(found))
	for _, f := range found {
		byID[f.ID] = parent{f.CaseID, f.Parent.Valid}
	}
	for _, it := range replies {
		p, ok := byID[it.parentID]
		switch {
		case !ok || p.caseID != it.caseID:
			it.err = FieldErrorf("parent_id", "Reply to a message of this room.")
		case p.isReply:
			it.err = FieldErrorf("parent_id", "Reply to the thread's first message: threads are one level deep.")
		}
	}
	return nil
}

// checkSpeaking locks the rooms' running sessions (before the heads, as ControlSession does)
// and applies each phase's speaking policy to the posts in arrival order, since a post can
// pass the turn.
func (b *batch) checkSpeaking() error {
	var err error
	if b.sessions, err = liveSessionsForUpdate(b.ctx, b.tx, b.liveRooms()); err != nil {
		return err
	}
	b.turned = map[int64]int64{}
	check := &speakingCheck{tx: b.tx, ctx: b.ctx}
	for _, it := range b.live() {
		v := b.sessions[it.caseID]
		if v == nil {
			continue
		}
		changed, err := check.check(v, it.userID, it.parentID != 0)
		if err != nil {
			it.err = err
			continue
		}
		it.sessionID, it.phase = v.ID, v.State.Phase
		it.facilitation = v.roleOf(it.userID) == SessionSupervisor
		if changed {
			b.turned[it.caseID] = it.userID
		}
	}
	return nil
}

// lockHeads locks the head rows of the rooms written to, in id order, so that batches and
// single writers never deadlock.
func (b *batch) lockHeads() error {
	b.rooms = b.liveRooms()
	if _, err := b.tx.ExecContext(b.ctx, `INSERT INTO room_heads (case_id, last_seq) SELECT unnest($1::bigint[]), 0 ON CONFLICT DO NOTHING`, pq.Array(b.rooms)); err != nil {
		return err
	}
	var heads []struct {
		CaseID  int64 `db:"case_id"`
		LastSeq int64 `db:"last_seq"`
	}
	if err := sqlx.SelectContext(b.ctx, b.tx, &heads, `SELECT case_id, last_seq FROM room_heads WHERE case_id = ANY($1) ORDER BY case_id FOR UPDATE`, pq.Array(b.rooms)); err != nil {
		return err
	}
	b.head = make(map[int64]int64, len(heads))
	for _, h := range heads {
		b.head[h.CaseID] = h.LastSeq
	}
	return nil
}

// findResends marks items whose author stored the same client_id before (checked under the
// head locks): the same room's message is answered again, another room's is refused.
func (b *batch) findResends() error {
	live := b.live()
	authors, clientIDs := make([]int64, len(live)), make([]string, len(live))
	for i, it := range live {
		authors[i], clientIDs[i] = it.userID, it.clientID
	}
	var earlier []struct {
		AuthorID int64  `db:"author_id"`
		ClientID string `db:"client_id"`
		CaseID   int64  `db:"case_id"`
		Seq      int64  `db:"seq"`
	}
	if err := sqlx.SelectContext(b.ctx, b.tx, &earlier, `
		SELECT m.author_id, m.client_id, m.case_id, m.seq
		FROM messages m JOIN unnest($1::bigint[], $2::text[]) AS r(author_id, client_id)
		  ON m.author_id = r.author_id AND m.client_id = r.client_id`, pq.Array(authors), pq.Array(clientIDs)); err != nil {
		return err
	}
	type key struct {
		author   int64
		clientID string
	}
	byKey := make(map[key]*item, len(live))
	for _, it := range live {
		byKey[key{it.userID, it.clientID}] = it // repeats in the batch are not live: keys are unique
	}
	for _, e := range earlier {
		it := byKey[key{e.AuthorID, e.ClientID}]
		switch {
		case it == nil:
		case e.CaseID != it.caseID:
			it.err = FieldErrorf("client_id", "This client_id was already used for another message.")
		default:
			it.resent, it.seq = true, e.Seq
		}
	}
	return nil
}

// messageArrays are the live items as the arrays that one INSERT … unnest stores.
type messageArrays struct {
	cases, seqs, authors []int64
	parents              []sql.NullInt64
	bodies, html, client []string
	lenses               []sql.NullString
	sessions, phases     []sql.NullInt64
	facilitation         []bool
}

func newMessageArrays(fresh []*item) messageArrays {
	n := len(fresh)
	c := messageArrays{
		cases: make([]int64, n), seqs: make([]int64, n), authors: make([]int64, n),
		parents: make([]sql.NullInt64, n), bodies: make([]string, n), html: make([]string, n), client: make([]string, n),
		lenses: make([]sql.NullString, n), sessions: make([]sql.NullInt64, n), phases: make([]sql.NullInt64, n),
		facilitation: make([]bool, n),
	}
	for i, it := range fresh {
		c.cases[i], c.seqs[i], c.authors[i] = it.caseID, it.seq, it.userID
		c.parents[i] = sql.NullInt64{Int64: it.parentID, Valid: it.parentID != 0}
		c.bodies[i], c.html[i], c.client[i] = it.body, it.html, it.clientID
		c.lenses[i] = sql.NullString{String: string(it.lens), Valid: it.lens != ""}
		c.sessions[i] = sql.NullInt64{Int64: it.sessionID, Valid: it.sessionID != 0}
		c.phases[i] = sql.NullInt64{Int64: int64(it.phase), Valid: it.sessionID != 0}
		c.facilitation[i] = it.facilitation
	}
	return c
}

// store numbers the new messages, stores them with their events, moves the heads, notifies
// the other processes and returns the events, with a passed turn after its room's messages.
func (b *batch) store() ([]RoomEvent, error) {
	fresh := b.live()
	rooms := b.liveRooms() // a room whose every item was refused since lockHeads keeps its head
	for _, it := range fresh {
		b.head[it.caseID]++
		it.seq = b.head[it.caseID]
	}
	newHeads := make([]int64, len(rooms))
	for i, r := range rooms {
		newHeads[i] = b.head[r]
	}
	if _, err := b.tx.ExecContext(b.ctx, `UPDATE room_heads h SET last_seq = v.last_seq
		FROM unnest($1::bigint[], $2::bigint[]) AS v(case_id, last_seq) WHERE h.case_id = v.case_id`, pq.Array(rooms), pq.Array(newHeads)); err != nil {
		return nil, err
	}
	cols := newMessageArrays(fresh)
	ids, err := b.insertMessages(cols)
	if err != nil {
		return nil, err
	}
	if err := b.recordMentions(fresh, ids); err != nil {
		return nil, err
	}
	if err := b.storeEvents(fresh, cols, ids); err != nil {
		return nil, err
	}
	notices := make([]string, len(rooms))
	for i, r := range rooms {
		notices[i] = roomNotice(b.node, r, b.head[r])
	}
	if _, err := b.tx.ExecContext(b.ctx, `SELECT pg_notify($1, x) FROM unnest($2::text[]) AS x`, RoomEventsChannel, pq.Array(notices)); err != nil {
		return nil, err
	}
	events, err := b.messageEvents(fresh, ids)
	if err != nil {
		return nil, err
	}
	for _, r := range rooms {
		by, ok := b.turned[r]
		if !ok {
			continue
		}
		ev, err := saveTurn(b.ctx, b.tx, b.node, *b.sessions[r], by, b.now)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

// insertMessages stores the numbered messages and returns their ids, in the arrays' order.
func (b *batch) insertMessages(c messageArrays) ([]int64, error) {
	// RETURNING gives no order guarantee: match ids back by (room, seq).
	var stored []struct {
		ID     int64 `db:"id"`
		CaseID int64 `db:"case_id"`
		Seq    int64 `db:"seq"`
	}
	if err := sqlx.SelectContext(b.ctx, b.tx, &stored, `
		INSERT INTO messages (case_id, seq, author_id, parent_id, body, body_html, lens, client_id, session_id, phase, facilitation, created_at)
		SELECT *, $12::timestamptz FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::bigint[], $10::integer[], $11::boolean[])
		RETURNING id, case_id, seq`,
		pq.Array(c.cases), pq.Array(c.seqs), pq.Array(c.authors), pq.GenericArray{A: c.parents}, pq.Array(c.bodies), pq.Array(c.html),
		pq.GenericArray{A: c.lenses}, pq.Array(c.client), pq.GenericArray{A: c.sessions}, pq.GenericArray{A: c.phases}, pq.Array(c.facilitation), b.now); err != nil {
		return nil, err
	}
	if len(stored) != len(c.cases) {
		return nil, errors.New("message batch: fewer rows stored than sent")
	}
	idOf := make(map[[2]int64]int64, len(stored))
	for _, s := range stored {
		idOf[[2]int64{s.CaseID, s.Seq}] = s.ID
	}
	ids := make([]int64, len(c.cases))
	for i := range ids {
		ids[i] = idOf[[2]int64{c.cases[i], c.seqs[i]}]
	}
	return ids, nil
}

// messageEvents builds the message.created events of the stored messages, with their authors'
// names.
func (b *batch) messageEvents(fresh []*item, ids []int64) ([]RoomEvent, error) {
	authors := make([]int64, len(fresh))
	for i, it := range fresh {
		authors[i] = it.userID
	}
	var people []struct {
		ID   int64  `db:"id"`
		Name string `db:"display_name"`
	}
	if err := sqlx.SelectContext(b.ctx, b.tx, &people, `SELECT id, display_name FROM users WHERE id = ANY($1)`, pq.Array(authors)); err != nil {
		return nil, err
	}
	names := make(map[int64]*string, len(people))
	for _, p := range people {
		names[p.ID] = &p.Name
	}
	events := make([]RoomEvent, len(fresh))
	for i, it := range fresh {
		m := it.message(ids[i], names[it.userID], b.now)
		events[i] = RoomEvent{Room: it.caseID, Seq: it.seq, Type: EventMessageCreated, At: b.now, Message: &m}
	}
	return events, nil
}

// message is the stored item as a Message.
func (it *item) message(id int64, authorName *string, at time.Time) Message {
	author := it.userID
	m := Message{ID: id, CaseID: it.caseID, Seq: it.seq, AuthorID: &author, AuthorName: authorName,
		Body: it.body, HTML: it.html, ClientID: it.clientID, Version: 1, CreatedAt: at, Facilitation: it.facilitation}
	if it.parentID != 0 {
		parent := it.parentID
		m.ParentID = &parent
	}
	if it.lens != "" {
		lens := it.lens
		m.Lens = &lens
	}
	if it.sessionID != 0 {
		sid, phase := it.sessionID, it.phase
		m.SessionID, m.Phase = &sid, &phase
	}
	m.Mentions = it.stored
	return m
}

// liveSessionsForUpdate locks the running sessions of the rooms, in id order.
func liveSessionsForUpdate(ctx context.Context, tx *sqlx.Tx, rooms []int64) (map[int64]*SessionView, error) {
	var running []int64
	if err := sqlx.SelectContext(ctx, tx, &running, `SELECT case_id FROM live_sessions WHERE case_id = ANY($1) AND ended_at IS NULL
		ORDER BY case_id FOR UPDATE`, pq.Array(rooms)); err != nil {
		return nil, err
	}
	out := make(map[int64]*SessionView, len(running))
	for _, room := range running {
		v, err := liveSession(ctx, tx, room, "")
		if err != nil {
			return nil, err
		}
		out[room] = &v
	}
	return out, nil
}

// eventAt reads one event of a room.
func (s *core) eventAt(ctx context.Context, caseID, seq int64) (RoomEvent, error) {
	events, err := roomEvents(ctx, s.db, caseID, seq-1, 1)
	if err != nil {
		return RoomEvent{}, err
	}
	if len(events) == 0 {
		return RoomEvent{}, errors.New("room event vanished")
	}
	return events[0], nil
}
