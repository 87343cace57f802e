package realtime_test

import (
	"testing"

	"github.com/casecircle/casecircle/internal/pgtest"
)

// Every goroutine the hub, its clients and the bus start has an owner that stops it: none may
// outlive the tests (pgtest.Main checks with goleak). PostgreSQL starts only for the bus's
// tests.
func TestMain(m *testing.M) { pgtest.Main(m) }
