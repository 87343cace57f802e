package casestudy

import (
	"bytes"
	"testing"
	"time"

	"github.com/casecircle/casecircle/casestudy/anonymise"
)

// A book read while an entry was being added must not be cached after the cache was cleared for
// that entry: the next message would be checked against the stale book for the whole TTL.
func TestBookCacheDropsBooksReadBeforeAnAddition(t *testing.T) {
	t.Parallel()
	var c bookCache
	now := time.Unix(1_800_000_000, 0)
	key := bytes.Repeat([]byte{7}, 32)

	_, generation, ok := c.get(1, now)
	if ok {
		t.Fatal("an empty cache answered")
	}
	stale := anonymise.NewBook(key) // read before the addition committed
	c.forget(1)                     // the addition commits and clears the case
	c.put(1, stale, generation, now)
	if _, _, ok := c.get(1, now); ok {
		t.Fatal("a book read before an addition was cached after it")
	}

	_, generation, _ = c.get(1, now)
	c.put(1, anonymise.NewBook(key), generation, now)
	if _, _, ok := c.get(1, now.Add(bookCacheTTL)); !ok {
		t.Fatal("a fresh book was not reused within the TTL")
	}
	if _, _, ok := c.get(1, now.Add(bookCacheTTL+time.Millisecond)); ok {
		t.Fatal("a book was reused after the TTL")
	}
}
