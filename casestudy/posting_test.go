package casestudy_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/lib/pq"

	"github.com/casecircle/casecircle/casestudy"
)

// A batch that fails on a race is stored again one message at a time, through the same code:
// every message is stored once, in the order submitted.
func TestRacedBatchIsStoredOneByOne(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	release := make(chan struct{})
	var mu sync.Mutex
	var sizes []int
	casestudy.SetBatchFault(sf.f.svc, func(n int) error {
		mu.Lock()
		sizes = append(sizes, n)
		call := len(sizes)
		mu.Unlock()
		switch {
		case call == 1:
			<-release // hold the writer, so that the next messages queue into one batch
		case n > 1:
			return &pq.Error{Code: "23505", Message: "a racing resend"}
		}
		return nil
	})
	var waits []func() (casestudy.RoomEvent, error)
	for i := range 6 {
		wait, err := sf.f.svc.SubmitMessage(ctx, sf.bob.ID, sf.cid, room, casestudy.NewMessage{ClientID: fmt.Sprint("m", i), Body: fmt.Sprint("Thought ", i)})
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, wait)
		if i == 0 {
			for { // the writer has taken the first message alone
				mu.Lock()
				n := len(sizes)
				mu.Unlock()
				if n == 1 {
					break
				}
				runtime.Gosched()
			}
		}
	}
	close(release)
	for i, wait := range waits {
		ev, err := wait()
		if err != nil || ev.Seq != int64(i+1) || ev.Message.ClientID != fmt.Sprint("m", i) {
			t.Fatalf("message %d: %+v %v", i, ev, err)
		}
	}
	if fmt.Sprint(sizes) != "[1 5 1 1 1 1 1]" {
		t.Fatalf("batches tried %v, want the second one again one by one", sizes)
	}
	var stored int
	if err := sf.f.db.Get(&stored, `SELECT count(*) FROM messages WHERE case_id = $1`, room); err != nil || stored != 6 {
		t.Fatalf("%d messages stored (%v), want 6", stored, err)
	}
}

// Any other failure answers every message of the batch with it and stores nothing; a message
// alone that keeps racing is given up after a few tries.
func TestFailedBatchAnswersEveryMessage(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	casestudy.SetBatchFault(sf.f.svc, func(int) error { return errors.New("disk full") })
	if _, err := sf.post(room, sf.bob, "Lost to a full disk.", 0); err == nil || casestudy.ErrorCode(err) != casestudy.EINTERNAL {
		t.Fatalf("a failed batch answered %v", err)
	}
	tries := 0
	casestudy.SetBatchFault(sf.f.svc, func(int) error { tries++; return &pq.Error{Code: "40P01", Message: "deadlock"} })
	if _, err := sf.post(room, sf.bob, "Deadlocked for ever.", 0); err == nil {
		t.Fatal("a message that always deadlocks was stored")
	}
	if tries != 4 {
		t.Fatalf("a deadlocked message was tried %d times, want 4 (once, then 3 alone)", tries)
	}
	casestudy.SetBatchFault(sf.f.svc, nil)
	var stored int
	if err := sf.f.db.Get(&stored, `SELECT count(*) FROM messages WHERE case_id = $1`, room); err != nil || stored != 0 {
		t.Fatalf("%d messages stored (%v), want none", stored, err)
	}
}

// Two processes storing the same client_id at once store it once: both answer with its event.
func TestTwoProcessesRacingOneClientID(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	other := closedAtEnd(t, casestudy.NewService(sf.f.db.DB, casestudy.WithNodeID("other")))
	for round := range 10 {
		var wg sync.WaitGroup
		seqs := make([]int64, 4)
		errs := make([]error, 4)
		for i := range 4 {
			svc := sf.f.svc
			if i%2 == 1 {
				svc = other
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				ev, err := svc.PostMessage(ctx, sf.bob.ID, sf.cid, room, casestudy.NewMessage{ClientID: fmt.Sprint("race", round), Body: "Sent twice by a flaky network."})
				seqs[i], errs[i] = ev.Seq, err
			}()
		}
		wg.Wait()
		for i := range 4 {
			if errs[i] != nil || seqs[i] != seqs[0] {
				t.Fatalf("round %d: seqs %v, errors %v", round, seqs, errs)
			}
		}
	}
	var stored int
	if err := sf.f.db.Get(&stored, `SELECT count(*) FROM messages WHERE case_id = $1`, room); err != nil || stored != 10 {
		t.Fatalf("%d messages stored (%v), want 10", stored, err)
	}
}
