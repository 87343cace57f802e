package casestudy

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/casecircle/casecircle/casestudy/anonymise"
)

// Every case has a label book (anonymise.Book): each identifier found or marked anywhere in the
// case, as a keyed digest mapped to its label, and the texts its writers kept. The book makes a
// person "Client A" in the case, in its room, in its sessions' learning points and in its
// summary alike, catches a name in a message that the detector alone would miss, and remembers
// keep decisions. The key is derived from the server's secret key, which is never stored in the
// database; the database holds only its fingerprint, so that a process with another key refuses
// to start (docs/security.md says what each holder can learn).

// keyPurposeLabelBook names the key derived for label books, and its fingerprint's row.
const keyPurposeLabelBook = "label-book"

// Other keys derived from the secret (see core.sealKey, core.linkKey).
const (
	keyPurposeSealing = "sealing"
	keyPurposeLinks   = "signed-links"
)

// labelBookLock is the first key of the advisory lock that serialises new entries of one
// case's book, so that two writers never give two people one label.
const labelBookLock = 731

// WithSecretKey sets the server's secret key (at least 32 bytes), from which the label books'
// key is derived. Every process sharing a database must have the same one. Without it a
// Service makes a random key, which suits tests only: books written with it cannot be read
// after a restart.
func WithSecretKey(secret []byte) ServiceOption {
	return func(s *core) {
		s.bookKey = deriveKey(secret, keyPurposeLabelBook)
		s.sealKey = deriveKey(secret, keyPurposeSealing)
		s.linkKey = deriveKey(secret, keyPurposeLinks)
	}
}

// deriveKey derives a key for one purpose from the server's secret.
func deriveKey(secret []byte, purpose string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("casecircle/" + purpose + "/v1"))
	return mac.Sum(nil)
}

func randomKey() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("casestudy: no randomness: " + err.Error())
	}
	return k
}

// CheckSecretKey records the fingerprint of the label books' key on first use, and refuses to go
// on with another key afterwards: books written with one key are unreadable with another.
func (s *core) CheckSecretKey(ctx context.Context) error {
	fp := deriveKey(s.bookKey, "fingerprint")
	if _, err := s.db.ExecContext(ctx, `
		INSERT INTO server_key_fingerprints (purpose, fingerprint, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (purpose) DO NOTHING`, keyPurposeLabelBook, fp, s.now()); err != nil {
		return err
	}
	var stored []byte
	if err := sqlx.GetContext(ctx, s.db, &stored, `SELECT fingerprint FROM server_key_fingerprints WHERE purpose = $1`, keyPurposeLabelBook); err != nil {
		return err
	}
	if !hmac.Equal(stored, fp) {
		return errors.New("this server's secret key is not the one the database's label books were written with: " +
			"give every process the same key (CASECIRCLE_SECRET_KEY, or the same secret.key file)")
	}
	return nil
}

// newBook returns an empty book under the service's key.
func (s *core) newBook() *anonymise.Book { return anonymise.NewBook(s.bookKey) }

// loadBook reads a case's book.
func (s *core) loadBook(ctx context.Context, q sqlx.QueryerContext, caseID int64) (*anonymise.Book, error) {
	rows, err := q.QueryxContext(ctx, `SELECT digest, first, kind, label, kept, words FROM label_book WHERE case_id = $1`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	b := s.newBook()
	for rows.Next() {
		var digest, first []byte
		var r anonymise.BookRecord
		if err := rows.Scan(&digest, &first, &r.Kind, &r.Label, &r.Kept, &r.Words); err != nil {
			return nil, err
		}
		if len(digest) != len(r.Digest) || len(first) != len(r.First) {
			return nil, fmt.Errorf("label book of case %d: a digest of %d bytes", caseID, len(digest))
		}
		copy(r.Digest[:], digest)
		copy(r.First[:], first)
		b.Add(r)
	}
	return b, rows.Err()
}

// saveBook adds entries to a case's book. An identifier replaces a kept text of the same digest
// (the author changed their mind); a label, once given, never changes.
func saveBook(ctx context.Context, q sqlx.ExecerContext, caseID int64, recs []anonymise.BookRecord, now any) error {
	for _, r := range recs {
		if _, err := q.ExecContext(ctx, `
			INSERT INTO label_book (case_id, digest, first, kind, label, kept, words, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (case_id, digest) DO UPDATE SET kind = excluded.kind, label = excluded.label, kept = false
			WHERE label_book.kept AND NOT excluded.kept`,
			caseID, r.Digest[:], r.First[:], string(r.Kind), r.Label, r.Kept, r.Words, now); err != nil {
			return err
		}
	}
	return nil
}

// lockBook holds the case's book until the transaction ends.
func lockBook(ctx context.Context, tx *sqlx.Tx, caseID int64) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1::int, $2::int)`, labelBookLock, caseID%(1<<31))
	return err
}

// decideInTx decides a text of a case inside tx: it holds the case's book, reads it, applies the
// writer's decisions and stores the new entries.
func (s *core) decideInTx(ctx context.Context, tx *sqlx.Tx, caseID int64, fields []textField, tags []string, d Decisions) (decided, error) {
	if err := lockBook(ctx, tx, caseID); err != nil {
		return decided{}, err
	}
	book, err := s.loadBook(ctx, tx, caseID)
	if err != nil {
		return decided{}, err
	}
	dec, err := decideTexts(book, fields, tags, d)
	if err != nil {
		return decided{}, err
	}
	return dec, saveBook(ctx, tx, caseID, dec.records, s.now())
}

// bookCacheTTL is how long a process reuses a case's book for room messages before reading it
// again. Entries this process adds clear it at once; another process's reach it within this time.
// Labels never depend on it: a text that adds to the book decides again on the book read under
// its lock.
const bookCacheTTL = 2 * time.Second

// bookCache keeps recently read books for room messages, so that posting a message costs no query
// before the group-commit writer (which checks access itself).
type bookCache struct {
	mu    sync.Mutex
	books map[int64]cachedBook
	// forgotten counts forget calls, so that a book read before an entry was added (and the
	// cache cleared) is not put back after it.
	forgotten uint64
}

type cachedBook struct {
	book *anonymise.Book
	at   time.Time
}

const maxCachedBooks = 4096

// get returns a fresh cached book, or the generation to hand to put after reading it.
func (c *bookCache) get(caseID int64, now time.Time) (*anonymise.Book, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cb, ok := c.books[caseID]
	if !ok || now.Sub(cb.at) > bookCacheTTL || now.Before(cb.at) {
		return nil, c.forgotten, false
	}
	return cb.book.Clone(), c.forgotten, true
}

func (c *bookCache) put(caseID int64, b *anonymise.Book, generation uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if generation != c.forgotten {
		return // something was added to a book while this one was read: it may be stale
	}
	if c.books == nil || len(c.books) >= maxCachedBooks {
		c.books = map[int64]cachedBook{} // a simple bound: rooms in use refill it within a TTL
	}
	c.books[caseID] = cachedBook{book: b.Clone(), at: now}
}

func (c *bookCache) forget(caseID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.books, caseID)
	c.forgotten++
}

// roomBook returns the book of a case for a text written into its room: from this process's
// cache when it is fresh, else read (without checking access: callers check before showing
// anything derived from it, and the writer before storing).
func (s *core) roomBook(ctx context.Context, caseID int64) (*anonymise.Book, error) {
	b, generation, ok := s.books.get(caseID, s.now())
	if ok {
		return b, nil
	}
	b, err := s.loadBook(ctx, s.db, caseID)
	if err != nil {
		return nil, err
	}
	s.books.put(caseID, b, generation, s.now())
	return b, nil
}

// openRoomBook reads the book of a case whose room the user may write in, in one query with the
// check itself: not a member, or no such room, is not found; an archived room is read-only. Nobody
// else's book is read, so no answer (a finding's label) can tell an outsider what a case names.
func (s *core) openRoomBook(ctx context.Context, userID, communityID, caseID int64) (*anonymise.Book, error) {
	rows, err := s.db.QueryxContext(ctx, `
		SELECT c.status, b.digest, b.first, b.kind, b.label, b.kept, b.words
		FROM cases c
		JOIN memberships ms ON ms.community_id = c.community_id AND ms.user_id = $2
		LEFT JOIN label_book b ON b.case_id = c.id
		WHERE c.id = $1 AND c.community_id = $3 AND c.status IN ('published', 'archived')`, caseID, userID, communityID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	book, found := s.newBook(), false
	for rows.Next() {
		var status CaseStatus
		var digest, first []byte
		var kind, label *string
		var kept *bool
		var words *int
		if err := rows.Scan(&status, &digest, &first, &kind, &label, &kept, &words); err != nil {
			return nil, err
		}
		found = true
		if status != StatusPublished {
			return nil, Errorf(ECONFLICT, "This case is archived; its room is read-only.")
		}
		if digest == nil {
			continue // no entry yet
		}
		r := anonymise.BookRecord{BookEntry: anonymise.BookEntry{Kind: anonymise.Kind(*kind), Label: *label, Kept: *kept, Words: *words}}
		copy(r.Digest[:], digest)
		copy(r.First[:], first)
		book.Add(r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !found {
		if _, err := requireRole(ctx, s.db, userID, communityID); err != nil {
			return nil, err // not a member: the community's "not found"
		}
		return nil, Errorf(ENOTFOUND, "No such room.")
	}
	return book, nil
}

// decideForCase decides a text written into a case outside the transaction that stores it (a room
// message, stored later by the group-commit writer). The book is read without a lock first; only
// a text that adds to the book takes the lock and decides again on what the book holds then.
// load reads the book after checking the writer's access; check tests that access again inside
// the transaction that adds to the book.
func (s *core) decideForCase(ctx context.Context, caseID int64, load func(context.Context) (*anonymise.Book, error),
	check func(context.Context, sqlx.QueryerContext) error, fields []textField, d Decisions) (decided, error) {
	book, err := load(ctx)
	if err != nil {
		return decided{}, err
	}
	dec, err := decideTexts(book, fields, nil, d)
	if err != nil {
		// Findings shown to the writer come from the book: only to someone who may write here.
		if checkErr := check(ctx, s.db); checkErr != nil {
			return decided{}, checkErr
		}
		return decided{}, err
	}
	if len(dec.records) == 0 {
		return dec, nil
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := check(ctx, tx); err != nil {
			return err
		}
		dec, err = s.decideInTx(ctx, tx, caseID, fields, nil, d)
		return err
	})
	s.books.forget(caseID) // after the commit, so that no book read before it is cached again
	return dec, err
}
