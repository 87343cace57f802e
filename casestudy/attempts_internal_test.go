package casestudy

import (
	"context"
	"runtime"
	"sync"
	"testing"
)

// The gate lets its slots work, queues up to its limit and refuses the rest at once with
// EUNAVAILABLE and a Retry-After, so no number of callers can make the process hash more
// passwords at once than it has slots.
func TestWorkGateBoundsConcurrentWork(t *testing.T) {
	t.Parallel()
	g := newWorkGate(2, 3)
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(2)
	results := make(chan error, 5)
	var running, peak int
	var mu sync.Mutex
	work := func() error {
		mu.Lock()
		running++
		peak = max(peak, running)
		mu.Unlock()
		started.Done()
		<-release
		mu.Lock()
		running--
		mu.Unlock()
		return nil
	}
	for range 2 {
		go func() { results <- g.do(context.Background(), work) }()
	}
	started.Wait() // both slots busy
	started.Add(3)
	for range 3 {
		go func() { results <- g.do(context.Background(), work) }()
	}
	for g.waiting.Load() < 3 { // each queued caller counts itself before it blocks
		runtime.Gosched()
	}
	err := g.do(context.Background(), work)
	if ErrorCode(err) != EUNAVAILABLE || err.(*Error).RetryAfter <= 0 {
		t.Fatalf("beyond the queue: %v, want unavailable with Retry-After", err)
	}
	close(release)
	for range 5 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	if peak != 2 {
		t.Fatalf("%d ran at once, want 2", peak)
	}
}
