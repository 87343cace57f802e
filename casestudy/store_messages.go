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
	done                                  chan postResult
}

type postResult struct {
	ev  RoomEvent
	err error
}

// messageWriter is the one goroutine that stores messages, started with the first one and
// stopped by close (Service.Close), which waits for it.
type messageWriter struct {
	s     *Service
	queue chan *postRequest
	stop  chan struct{} // closed by close: take no more
	done  chan struct{} // closed when run has returned

	mu      sync.Mutex // guards started and closed, so that no writer starts after close
	started bool
	closed  bool

	// fault, in tests, fails a batch's transaction before it stores anything.
	fault func(batchSize int) error
}

func newMessageWriter(s *Service) *messageWriter {
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
	dupOf        *item // the same client_id earlier in this batch
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
	var created []RoomEvent
	err := w.s.inTx(ctx, func(tx *sqlx.Tx) error {
		if w.fault != nil {
			if err := w.fault(len(batch)); err != nil {
				return err
			}
		}
		var err error
		created, err = storeBatch(ctx, tx, w.s.node, items, now)
		return err
	})
	if err != nil {
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && (pqErr.Code == "23505" || pqErr.Code == "40P01") && alone < maxAlone {
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
	for _, ev := range created {
		w.s.events.RoomEventCommitted(ev)
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
// the batch's size.
func storeBatch(ctx context.Context, tx *sqlx.Tx, node string, items []*item, now time.Time) ([]RoomEvent, error) {
	live := func() []*item {
		var out []*item
		for _, it := range items {
			if it.err == nil && it.dupOf == nil && !it.resent {
				out = append(out, it)
			}
		}
		return out
	}

	// Access: a member of the case's community, and the case's room open.
	users, cases, communities := make([]int64, len(items)), make([]int64, len(items)), make([]int64, len(items))
	for i, it := range items {
		users[i], cases[i], communities[i] = it.userID, it.caseID, it.communityID
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT r.i, c.status, ms.user_id IS NOT NULL
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS r(user_id, case_id, community_id, i)
		LEFT JOIN cases c ON c.id = r.case_id AND c.community_id = r.community_id
		LEFT JOIN memberships ms ON ms.community_id = r.community_id AND ms.user_id = r.user_id`,
		pq.Array(users), pq.Array(cases), pq.Array(communities))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var i int
		var status sql.NullString
		var member bool
		if err := rows.Scan(&i, &status, &member); err != nil {
			rows.Close()
			return nil, err
		}
		it := items[i-1]
		switch {
		case !member:
			it.err = Errorf(ENOTFOUND, "No such community.")
		case status.String == string(StatusArchived):
			it.err = Errorf(ECONFLICT, "This case is archived; its room is read-only.")
		case status.String != string(StatusPublished):
			it.err = Errorf(ENOTFOUND, "No such room.")
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// Replies go to a top-level message of the same room.
	var parents []int64
	for _, it := range live() {
		if it.parentID != 0 {
			parents = append(parents, it.parentID)
		}
	}
	if len(parents) > 0 {
		var found []struct {
			ID     int64         `db:"id"`
			CaseID int64         `db:"case_id"`
			Parent sql.NullInt64 `db:"parent_id"`
		}
		if err := sqlx.SelectContext(ctx, tx, &found, `SELECT id, case_id, parent_id FROM messages WHERE id = ANY($1)`, pq.Array(parents)); err != nil {
			return nil, err
		}
		for _, it := range live() {
			if it.parentID == 0 {
				continue
			}
			i := slices.IndexFunc(found, func(f struct {
				ID     int64         `db:"id"`
				CaseID int64         `db:"case_id"`
				Parent sql.NullInt64 `db:"parent_id"`
			}) bool {
				return f.ID == it.parentID
			})
			switch {
			case i < 0 || found[i].CaseID != it.caseID:
				it.err = FieldErrorf("parent_id", "Reply to a message of this room.")
			case found[i].Parent.Valid:
				it.err = FieldErrorf("parent_id", "Reply to the thread's first message: threads are one level deep.")
			}
		}
	}

	var rooms []int64
	for _, it := range live() {
		if !slices.Contains(rooms, it.caseID) {
			rooms = append(rooms, it.caseID)
		}
	}
	if len(rooms) == 0 {
		return nil, nil
	}
	slices.Sort(rooms)

	// Live sessions (locked before the heads, as ControlSession does): each post must suit the
	// phase's speaking policy, in arrival order, since a post can pass the turn.
	sessions, err := liveSessionsForUpdate(ctx, tx, rooms)
	if err != nil {
		return nil, err
	}
	turned := map[int64]int64{} // room → who passed the turn last
	check := &speakingCheck{tx: tx, ctx: ctx}
	for _, it := range live() {
		v := sessions[it.caseID]
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
			turned[it.caseID] = it.userID
		}
	}
	rooms = slices.DeleteFunc(rooms, func(r int64) bool {
		return !slices.ContainsFunc(live(), func(it *item) bool { return it.caseID == r })
	})
	if len(rooms) == 0 {
		return nil, nil
	}

	// Lock the heads of the rooms written to, in id order.
	if _, err := tx.ExecContext(ctx, `INSERT INTO room_heads (case_id, last_seq) SELECT unnest($1::bigint[]), 0 ON CONFLICT DO NOTHING`, pq.Array(rooms)); err != nil {
		return nil, err
	}
	var heads []struct {
		CaseID  int64 `db:"case_id"`
		LastSeq int64 `db:"last_seq"`
	}
	if err := sqlx.SelectContext(ctx, tx, &heads, `SELECT case_id, last_seq FROM room_heads WHERE case_id = ANY($1) ORDER BY case_id FOR UPDATE`, pq.Array(rooms)); err != nil {
		return nil, err
	}
	head := map[int64]int64{}
	for _, h := range heads {
		head[h.CaseID] = h.LastSeq
	}

	// Resends: the same author and client_id stored before (checked under the head locks).
	var authors []int64
	var clientIDs []string
	for _, it := range live() {
		authors, clientIDs = append(authors, it.userID), append(clientIDs, it.clientID)
	}
	var earlier []struct {
		AuthorID int64  `db:"author_id"`
		ClientID string `db:"client_id"`
		CaseID   int64  `db:"case_id"`
		Seq      int64  `db:"seq"`
	}
	if err := sqlx.SelectContext(ctx, tx, &earlier, `
		SELECT m.author_id, m.client_id, m.case_id, m.seq
		FROM messages m JOIN unnest($1::bigint[], $2::text[]) AS r(author_id, client_id)
		  ON m.author_id = r.author_id AND m.client_id = r.client_id`, pq.Array(authors), pq.Array(clientIDs)); err != nil {
		return nil, err
	}
	for _, e := range earlier {
		for _, it := range live() {
			if it.userID == e.AuthorID && it.clientID == e.ClientID {
				if e.CaseID != it.caseID {
					it.err = FieldErrorf("client_id", "This client_id was already used for another message.")
				} else {
					it.resent, it.seq = true, e.Seq
				}
			}
		}
	}

	// Number the new messages and store them with their events.
	fresh := live()
	if len(fresh) == 0 {
		return nil, nil
	}
	n := len(fresh)
	var (
		mCase, mSeq, mAuthor  = make([]int64, n), make([]int64, n), make([]int64, n)
		mParent               = make([]sql.NullInt64, n)
		mBody, mHTML, mClient = make([]string, n), make([]string, n), make([]string, n)
		mLens                 = make([]sql.NullString, n)
		mSession              = make([]sql.NullInt64, n)
		mPhase                = make([]sql.NullInt64, n)
		mFacilitation         = make([]bool, n)
	)
	for i, it := range fresh {
		head[it.caseID]++
		it.seq = head[it.caseID]
		mCase[i], mSeq[i], mAuthor[i] = it.caseID, it.seq, it.userID
		mParent[i] = sql.NullInt64{Int64: it.parentID, Valid: it.parentID != 0}
		mBody[i], mHTML[i], mClient[i] = it.body, it.html, it.clientID
		mLens[i] = sql.NullString{String: string(it.lens), Valid: it.lens != ""}
		mSession[i] = sql.NullInt64{Int64: it.sessionID, Valid: it.sessionID != 0}
		mPhase[i] = sql.NullInt64{Int64: int64(it.phase), Valid: it.sessionID != 0}
		mFacilitation[i] = it.facilitation
	}
	newHeads := make([]int64, len(rooms))
	for i, r := range rooms {
		newHeads[i] = head[r]
	}
	if _, err := tx.ExecContext(ctx, `UPDATE room_heads h SET last_seq = v.last_seq
		FROM unnest($1::bigint[], $2::bigint[]) AS v(case_id, last_seq) WHERE h.case_id = v.case_id`, pq.Array(rooms), pq.Array(newHeads)); err != nil {
		return nil, err
	}
	// RETURNING gives no order guarantee: match ids back by (room, seq).
	var stored []struct {
		ID     int64 `db:"id"`
		CaseID int64 `db:"case_id"`
		Seq    int64 `db:"seq"`
	}
	if err := sqlx.SelectContext(ctx, tx, &stored, `
		INSERT INTO messages (case_id, seq, author_id, parent_id, body, body_html, lens, client_id, session_id, phase, facilitation, created_at)
		SELECT *, $12::timestamptz FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::bigint[], $10::integer[], $11::boolean[])
		RETURNING id, case_id, seq`,
		pq.Array(mCase), pq.Array(mSeq), pq.Array(mAuthor), pq.GenericArray{A: mParent}, pq.Array(mBody), pq.Array(mHTML),
		pq.GenericArray{A: mLens}, pq.Array(mClient), pq.GenericArray{A: mSession}, pq.GenericArray{A: mPhase}, pq.Array(mFacilitation), now); err != nil {
		return nil, err
	}
	if len(stored) != n {
		return nil, errors.New("message batch: fewer rows stored than sent")
	}
	idOf := map[[2]int64]int64{}
	for _, s := range stored {
		idOf[[2]int64{s.CaseID, s.Seq}] = s.ID
	}
	eMessage := make([]int64, n)
	for i := range fresh {
		eMessage[i] = idOf[[2]int64{mCase[i], mSeq[i]}]
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO room_events (case_id, seq, type, message_id, at)
		SELECT c, s, 'message.created', m, $4 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS v(c, s, m)`,
		pq.Array(mCase), pq.Array(mSeq), pq.Array(eMessage), now); err != nil {
		return nil, err
	}
	notices := make([]string, len(rooms))
	for i, r := range rooms {
		notices[i] = roomNotice(node, r, head[r])
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, x) FROM unnest($2::text[]) AS x`, RoomEventsChannel, pq.Array(notices)); err != nil {
		return nil, err
	}

	names := map[int64]*string{}
	var people []struct {
		ID   int64  `db:"id"`
		Name string `db:"display_name"`
	}
	if err := sqlx.SelectContext(ctx, tx, &people, `SELECT id, display_name FROM users WHERE id = ANY($1)`, pq.Array(authors)); err != nil {
		return nil, err
	}
	for _, p := range people {
		names[p.ID] = &p.Name
	}
	events := make([]RoomEvent, n)
	for i, it := range fresh {
		author := it.userID
		m := Message{ID: eMessage[i], CaseID: it.caseID, Seq: it.seq, AuthorID: &author, AuthorName: names[it.userID],
			Body: it.body, HTML: it.html, ClientID: it.clientID, Version: 1, CreatedAt: now, Facilitation: it.facilitation}
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
		events[i] = RoomEvent{Room: it.caseID, Seq: it.seq, Type: EventMessageCreated, At: now, Message: &m}
	}
	// A passed turn is an event after the batch's messages of its room.
	for _, r := range rooms {
		by, ok := turned[r]
		if !ok {
			continue
		}
		ev, err := saveTurn(ctx, tx, node, *sessions[r], by, now)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
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
func (s *Service) eventAt(ctx context.Context, caseID, seq int64) (RoomEvent, error) {
	events, err := roomEvents(ctx, s.db, caseID, seq-1, 1)
	if err != nil {
		return RoomEvent{}, err
	}
	if len(events) == 0 {
		return RoomEvent{}, errors.New("room event vanished")
	}
	return events[0], nil
}
