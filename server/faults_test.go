package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/realtime"
	"github.com/casecircle/casecircle/server"
)

// lostAnswers is a process's service whose commits reach the database but whose answers never
// reach the process: it stores events under the server's node id and delivers nothing, as a
// COMMIT whose answer was lost does.
func lostAnswers(s *apiServer) *casestudy.Service {
	return casestudy.NewService(s.db.DB, casestudy.WithNodeID(s.node))
}

// An event this node stored without hearing so (the answer to its COMMIT lost) reaches this
// node's subscribers through its own NOTIFY: the bus does not ignore the node's own notices.
// Edits and deletes too.
func TestOwnEventsWhoseAnswerWasLostAreDelivered(t *testing.T) {
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	a := f.author.dialWS(s.URL)
	a.subscribe(f.room, 0)
	lost := lostAnswers(s)
	ctx := context.Background()
	ev, err := lost.PostMessage(ctx, f.member.id, f.cid, f.room, casestudy.NewMessage{ClientID: "lost-1", Body: "stored, answer lost"})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.events(1)[0]; got.Seq != ev.Seq || got.Message.Body != "stored, answer lost" {
		t.Fatalf("got %+v", got)
	}
	if _, err := lost.EditMessage(ctx, f.member.id, f.cid, f.room, ev.Message.ID, "edited, answer lost", casestudy.Decisions{}, false); err != nil {
		t.Fatal(err)
	}
	if got := a.events(1)[0]; got.Type != casestudy.EventMessageEdited || got.Message.Body != "edited, answer lost" {
		t.Fatalf("got %+v", got)
	}
	if _, err := lost.DeleteMessage(ctx, f.member.id, f.cid, f.room, ev.Message.ID); err != nil {
		t.Fatal(err)
	}
	if got := a.events(1)[0]; got.Type != casestudy.EventMessageDeleted {
		t.Fatalf("got %+v", got)
	}
	a.quiet(200 * time.Millisecond) // and each once
}

// Without a bus (one process and no LISTEN), resending a message whose first try was stored
// without its answer acks it and delivers it to the room, the sender included.
func TestResentMessageIsDeliveredOnTheResendPath(t *testing.T) {
	s := newAPIServer(t, func(c *server.Config) { c.DatabaseURL = "" })
	f := newRoomFixture(t, s)
	a, b := f.author.dialWS(s.URL), f.member.dialWS(s.URL)
	a.subscribe(f.room, 0)
	b.subscribe(f.room, 0)
	if _, err := lostAnswers(s).PostMessage(context.Background(), f.member.id, f.cid, f.room,
		casestudy.NewMessage{ClientID: "retry-1", Body: "first try, answer lost"}); err != nil {
		t.Fatal(err)
	}
	a.quiet(200 * time.Millisecond) // nothing yet: no bus, and the storing process never heard
	b.send(map[string]any{"type": "publish", "room": f.room, "client_id": "retry-1", "body": "first try, answer lost", "ref": "r"})
	var acked, delivered bool
	for !acked || !delivered { // the sender gets both, in either order
		fr := b.next()
		switch fr.Type {
		case realtime.TypeAck:
			acked = fr.Seq == 1
		case realtime.TypeEvent:
			delivered = fr.event(t).Seq == 1
		}
	}
	if got := a.events(1)[0]; got.Seq != 1 || got.Message.ClientID != "retry-1" {
		t.Fatalf("got %+v", got)
	}
}
