package casestudy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/casecircle/casecircle/casestudy"
)

// publishedRoom publishes a case by author and returns its id.
func publishedRoom(t *testing.T, f *fixture, cid int64, author casestudy.User) int64 {
	t.Helper()
	in := casestudy.CaseInput{Title: "A case to discuss", Question: "What do you notice?"}
	c, err := f.svc.CreateCase(context.Background(), author.ID, cid, casestudy.SaveCase{Input: in, Action: casestudy.SavePublish, Attest: true})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func TestRoomStream(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	cid, author, other, outsider := caseCommunity(t, f)
	room := publishedRoom(t, f, cid, author)

	listener := pq.NewListener(f.db.URL, 10*time.Millisecond, time.Second, nil)
	t.Cleanup(func() { listener.Close() })
	if err := listener.Listen(casestudy.RoomEventsChannel); err != nil {
		t.Fatal(err)
	}

	post := func(u casestudy.User, clientID, body string, parent int64) (casestudy.RoomEvent, error) {
		return f.svc.PostMessage(ctx, u.ID, cid, room, casestudy.NewMessage{ClientID: clientID, Body: body, ParentID: parent})
	}

	first, err := post(author, "c-1", "What strikes me is how quickly I agreed.", 0)
	if err != nil {
		t.Fatal(err)
	}
	if first.Seq != 1 || first.Type != casestudy.EventMessageCreated || first.Message.AuthorName == nil || *first.Message.AuthorName != "Ann" {
		t.Fatalf("first event %+v", first)
	}

	t.Run("committed events are announced with room and seq", func(t *testing.T) {
		select {
		case n := <-listener.Notify:
			var got struct{ Room, Seq int64 }
			if err := json.Unmarshal([]byte(n.Extra), &got); err != nil || got.Room != room || got.Seq != 1 {
				t.Fatalf("notification %q: %v", n.Extra, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no notification")
		}
	})

	t.Run("resending a client_id returns the original event", func(t *testing.T) {
		again, err := post(author, "c-1", "What strikes me is how quickly I agreed.", 0)
		if err != nil || again.Seq != 1 || again.Message.ID != first.Message.ID {
			t.Fatalf("resend gave %+v, %v", again, err)
		}
		var n int
		if err := f.db.Get(&n, `SELECT count(*) FROM messages`); err != nil || n != 1 {
			t.Fatalf("%d messages after a resend", n)
		}
		_, err = f.svc.PostMessage(ctx, author.ID, cid, room, casestudy.NewMessage{ClientID: "bad id!", Body: "x"})
		wantCode(t, err, casestudy.EVALIDATION, "client_id")
	})

	t.Run("concurrent posts get gap-free sequence numbers, and a racing resend stores once", func(t *testing.T) {
		var wg sync.WaitGroup
		seqs := make(chan int64, 40)
		errs := make(chan error, 40)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u := author
				if i%2 == 1 {
					u = other
				}
				ev, err := post(u, fmt.Sprintf("p-%d", i), "A thought from the group.", 0)
				errs <- err
				seqs <- ev.Seq
			}()
		}
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ev, err := post(other, "same", "Posted twice by a flaky network.", 0)
				errs <- err
				seqs <- ev.Seq
			}()
		}
		wg.Wait()
		close(seqs)
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		unique := map[int64]bool{}
		for s := range seqs {
			unique[s] = true
		}
		var list []int64
		for s := range unique {
			list = append(list, s)
		}
		sort.Slice(list, func(i, j int) bool { return list[i] < list[j] })
		if len(list) != 17 || list[0] != 2 || list[16] != 18 {
			t.Fatalf("sequence numbers %v, want 2..18", list)
		}
		events, err := f.svc.RoomEvents(ctx, other.ID, cid, room, 0, 0)
		if err != nil || len(events) != 18 {
			t.Fatalf("%d events, %v", len(events), err)
		}
		for i, ev := range events {
			if ev.Seq != int64(i+1) {
				t.Fatalf("event %d has seq %d", i, ev.Seq)
			}
		}
	})

	t.Run("threads are one level deep", func(t *testing.T) {
		reply, err := post(other, "r-1", "Could it be parallel process?", first.Message.ID)
		if err != nil || reply.Message.ParentID == nil || *reply.Message.ParentID != first.Message.ID {
			t.Fatalf("reply %+v, %v", reply, err)
		}
		_, err = post(other, "r-2", "A reply to a reply.", reply.Message.ID)
		wantCode(t, err, casestudy.EVALIDATION, "parent_id")
	})

	t.Run("messages are anonymised like cases", func(t *testing.T) {
		body := "My client Priya Raghunathan said the same to me."
		_, err := post(author, "a-1", body, 0)
		wantCode(t, err, casestudy.EVALIDATION, "decisions")
		var e *casestudy.Error
		if !errors.As(err, &e) || len(e.Details.(casestudy.OpenFindingsError).Findings) == 0 {
			t.Fatalf("open findings missing: %v", err)
		}
		ev, err := f.svc.PostMessage(ctx, author.ID, cid, room, casestudy.NewMessage{ClientID: "a-1", Body: body,
			Decisions: casestudy.Decisions{Accept: []string{"Priya Raghunathan"}}, Lens: "parallel_process"})
		if err != nil || ev.Message.Body != "My client Client A said the same to me." || ev.Message.Lens == nil {
			t.Fatalf("anonymised message %+v, %v", ev.Message, err)
		}
	})

	t.Run("edits and deletions are events; replay shows the current state", func(t *testing.T) {
		_, err := f.svc.EditMessage(ctx, other.ID, cid, room, first.Message.ID, "Not mine to edit.", casestudy.Decisions{}, false)
		wantCode(t, err, casestudy.EFORBIDDEN, "")
		edited, err := f.svc.EditMessage(ctx, author.ID, cid, room, first.Message.ID, "What strikes me is how fast I agreed.", casestudy.Decisions{}, false)
		if err != nil || edited.Type != casestudy.EventMessageEdited || edited.Message.Version != 2 {
			t.Fatalf("edit %+v, %v", edited, err)
		}
		deleted, err := f.svc.DeleteMessage(ctx, author.ID, cid, room, first.Message.ID)
		if err != nil || deleted.Seq != edited.Seq+1 || deleted.Message.Body != "" || deleted.Message.DeletedAt == nil {
			t.Fatalf("delete %+v, %v", deleted, err)
		}
		_, err = f.svc.EditMessage(ctx, author.ID, cid, room, first.Message.ID, "Back again.", casestudy.Decisions{}, false)
		wantCode(t, err, casestudy.ECONFLICT, "")
		replay, err := f.svc.RoomEvents(ctx, other.ID, cid, room, edited.Seq-1, 10)
		if err != nil || len(replay) != 2 || replay[0].Type != casestudy.EventMessageEdited || replay[1].Type != casestudy.EventMessageDeleted {
			t.Fatalf("replay %+v, %v", replay, err)
		}
		head, err := f.svc.RoomHead(ctx, other.ID, cid, room)
		if err != nil || head != deleted.Seq {
			t.Fatalf("head %d, %v", head, err)
		}
	})

	t.Run("only members reach a published case's room", func(t *testing.T) {
		_, err := post(outsider, "o-1", "Hello?", 0)
		wantCode(t, err, casestudy.ENOTFOUND, "")
		_, err = f.svc.RoomEvents(ctx, outsider.ID, cid, room, 0, 10)
		wantCode(t, err, casestudy.ENOTFOUND, "")
		draft, err := f.svc.CreateCase(ctx, author.ID, cid, casestudy.SaveCase{Input: casestudy.CaseInput{Title: "Draft"}, Action: casestudy.SaveDraft})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.PostMessage(ctx, author.ID, cid, draft.ID, casestudy.NewMessage{ClientID: "d-1", Body: "Too early."})
		wantCode(t, err, casestudy.ENOTFOUND, "")
		// Another community's case, named through this community: not found.
		own, err := f.svc.CreateCommunity(ctx, outsider.ID, casestudy.NewCommunity{Name: "Elsewhere"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.RoomEvents(ctx, outsider.ID, own.ID, room, 0, 10)
		wantCode(t, err, casestudy.ENOTFOUND, "")
	})
}

// Closing the service stores what was queued, stops its writer goroutine and refuses later
// messages as unavailable; closing again does nothing.
func TestServiceCloseStopsTheWriter(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	if _, err := sf.post(room, sf.bob, "Before closing.", 0); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { sf.f.svc.Close(); sf.f.svc.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	_, err := sf.f.svc.PostMessage(ctx, sf.bob.ID, sf.cid, room, casestudy.NewMessage{ClientID: "after", Body: "After closing."})
	if casestudy.ErrorCode(err) != casestudy.EUNAVAILABLE {
		t.Fatalf("a message after Close: %v, want unavailable", err)
	}
}
