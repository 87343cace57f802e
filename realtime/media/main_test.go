package media_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a goroutine outlives its tests: every forwarding loop, RTCP
// reader and renegotiation must end with its call.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
