package casestudy

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/casecircle/casecircle/internal/password"
)

// Password attempts are throttled in two ways.
//
// Per account (or per e-mail address, for sign-in): at most MaxPasswordFailures wrong passwords
// in PasswordFailureWindow. An attempt is counted *before* its password is checked, under a
// lock in PostgreSQL, so that concurrent attempts on any number of processes see each other;
// a right password then clears the count.
//
// Per process: argon2id takes 19 MiB and tens of milliseconds of a core per check, so at most
// one check per core runs at once and a bounded queue waits for a turn. Beyond the queue the
// caller is told the server is busy (503 with Retry-After) instead of exhausting memory.
const (
	MaxPasswordFailures   = 5                // wrong passwords per account in the window
	PasswordFailureWindow = 15 * time.Minute // the window
	// PasswordChecksWaitingPerCore is how many password checks may wait per core.
	PasswordChecksWaitingPerCore = 8
	// attemptLockClass keeps these advisory locks apart from any other lock of the database.
	attemptLockClass = 0x63617365 // "case"
)

// attemptKey is what is stored of an attempt's subject: a hash, so that the table names no
// e-mail address (sign-in throttling must not reveal which addresses have accounts).
func attemptKey(kind, subject string) []byte {
	sum := sha256.Sum256([]byte(kind + ":" + subject))
	return sum[:]
}

func emailKey(email string) []byte { return attemptKey("signin", strings.ToLower(email)) }

func confirmKey(userID int64) []byte { return attemptKey("confirm", strconv.FormatInt(userID, 10)) }

// reservePasswordAttempt counts one attempt for key, or refuses with ERATELIMITED when the
// window's failures have reached the cap. The count and the insert happen under an advisory
// lock on key, so the cap holds under concurrency across processes.
func (s *core) reservePasswordAttempt(ctx context.Context, key []byte, tooMany string) error {
	now := s.Now()
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		lock := int32(binary.BigEndian.Uint32(key))
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, attemptLockClass, lock); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM signin_failures WHERE email_key = $1 AND failed_at <= $2`,
			key, now.Add(-PasswordFailureWindow)); err != nil {
			return err
		}
		failures, oldest, err := recentSigninFailures(ctx, tx, key, now.Add(-PasswordFailureWindow))
		if err != nil {
			return err
		}
		if failures >= MaxPasswordFailures {
			return &Error{Code: ERATELIMITED, Message: tooMany,
				RetryAfter: oldest.Add(PasswordFailureWindow).Sub(now).Round(time.Second) + time.Second}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO signin_failures (email_key, failed_at) VALUES ($1, $2)`, key, now)
		return err
	})
}

// passwordWork bounds concurrent password hashing in this process.
var passwordWork = newWorkGate(runtime.GOMAXPROCS(0), PasswordChecksWaitingPerCore*runtime.GOMAXPROCS(0))

// workGate lets at most cap(slots) callers work at once and at most maxWaiting wait for a turn.
type workGate struct {
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
}

func newWorkGate(slots, maxWaiting int) *workGate {
	return &workGate{slots: make(chan struct{}, slots), maxWaiting: int64(maxWaiting)}
}

var errBusy = &Error{Code: EUNAVAILABLE, Message: "The server is busy checking passwords; try again in a moment.", RetryAfter: time.Second}

// do runs work when a slot is free, or refuses at once with EUNAVAILABLE when too many wait.
func (g *workGate) do(ctx context.Context, work func() error) error {
	select {
	case g.slots <- struct{}{}:
	default:
		if g.waiting.Add(1) > g.maxWaiting {
			g.waiting.Add(-1)
			return errBusy
		}
		select {
		case g.slots <- struct{}{}:
			g.waiting.Add(-1)
		case <-ctx.Done():
			g.waiting.Add(-1)
			return ctx.Err()
		}
	}
	defer func() { <-g.slots }()
	return work()
}

// dummyHash is verified against when an e-mail has no account (see password.Dummy).
var dummyHash = password.Dummy

// hashPassword is password.Hash through the process's gate.
func hashPassword(ctx context.Context, pw string) (hash string, err error) {
	err = passwordWork.do(ctx, func() error {
		hash, err = password.Hash(pw)
		return err
	})
	return hash, err
}

// verifyPassword is password.Verify through the process's gate.
func verifyPassword(ctx context.Context, pw, hash string) (ok bool, err error) {
	err = passwordWork.do(ctx, func() error {
		ok, err = password.Verify(pw, hash)
		return err
	})
	return ok, err
}
