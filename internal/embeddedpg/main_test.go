package embeddedpg_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The goroutine that waits for the postmaster ends when the cluster stops.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
