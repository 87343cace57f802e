package postgres_test

import (
	"testing"

	"github.com/casecircle/casecircle/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
