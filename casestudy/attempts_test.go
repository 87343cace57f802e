package casestudy_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/casecircle/casecircle/casestudy"
)

// Concurrent wrong passwords for one address, through two processes, must not get more than
// the cap's worth of checks: the count is taken before the password is checked, under a lock.
func TestSignInLockoutHoldsUnderConcurrencyAcrossProcesses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.mustRegister(t, "cleo")
	other := closedAtEnd(t, casestudy.NewService(f.db.DB, casestudy.WithClock(f.clock.Now)))
	var mu sync.Mutex
	codes := map[string]int{}
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := f.svc
			if i%2 == 1 {
				svc = other
			}
			_, _, err := svc.SignIn(context.Background(), "cleo@example.org", fmt.Sprintf("wrong guess %d", i))
			mu.Lock()
			codes[casestudy.ErrorCode(err)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[casestudy.EUNAUTHORIZED] != 5 || codes[casestudy.ERATELIMITED] != 25 {
		t.Fatalf("30 concurrent wrong passwords: %v, want 5 unauthorized and 25 rate_limited", codes)
	}
}

// Asking for the password again before a weighty change (new password, deleting the account)
// is throttled per account as sign-in is; a right password clears the count.
func TestPasswordConfirmationIsThrottledPerAccount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, token := f.mustRegister(t, "dara")
	const newPassword = "another long unusual phrase"
	for i := range 4 {
		err := f.svc.ChangePassword(ctx, token, fmt.Sprintf("wrong guess %d", i), newPassword)
		wantCode(t, err, casestudy.EVALIDATION, "current_password")
	}
	if err := f.svc.ChangePassword(ctx, token, goodPassword, newPassword); err != nil {
		t.Fatalf("right password after 4 wrong ones: %v", err)
	}
	for i := range 5 {
		err := f.svc.DeleteAccount(ctx, token, fmt.Sprintf("wrong guess %d", i))
		wantCode(t, err, casestudy.EVALIDATION, "password")
	}
	err := f.svc.DeleteAccount(ctx, token, newPassword)
	wantCode(t, err, casestudy.ERATELIMITED, "")
	if e := err.(*casestudy.Error); e.RetryAfter <= 0 || e.RetryAfter > 15*time.Minute+time.Second {
		t.Fatalf("RetryAfter %v", e.RetryAfter)
	}
	f.clock.Advance(15 * time.Minute)
	if err := f.svc.DeleteAccount(ctx, token, newPassword); err != nil {
		t.Fatalf("after the window the right password must work: %v", err)
	}
}
