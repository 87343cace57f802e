package realtime

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine the hub, its clients and the bus start has an owner that stops it: none may
// outlive the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
