package main

import (
	"testing"

	"go.uber.org/goleak"
)

// The load generator's clients and collectors end with each run.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
