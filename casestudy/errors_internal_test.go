package casestudy

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

func TestDatabaseErrorsAreClassifiedOnce(t *testing.T) {
	t.Parallel()
	mine := FieldErrorf("title", "Give the case a title.")
	for _, c := range []struct {
		name string
		err  error
		code string
	}{
		{"a domain error stays itself", mine, EVALIDATION},
		{"refused connection", syscall.ECONNREFUSED, EUNAVAILABLE},
		{"unexpected duplicate", &pq.Error{Code: "23505"}, ECONFLICT},
		{"anything else", &pq.Error{Code: "42P01"}, EINTERNAL},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := dbError("casestudy.op", c.err)
			if ErrorCode(err) != c.code {
				t.Fatalf("code %q, want %q", ErrorCode(err), c.code)
			}
			if !errors.Is(err, c.err) {
				t.Errorf("%v does not wrap its cause", err)
			}
			if e := AsError(err); c.err != error(mine) && (e.Op != "casestudy.op" || !strings.HasPrefix(err.Error(), "casestudy.op: ")) {
				t.Errorf("%q does not name its operation", err)
			}
		})
	}
	if err := dbError("op", context.Canceled); err != context.Canceled {
		t.Errorf("a cancelled request became %v", err)
	}
	if dbError("op", nil) != nil {
		t.Error("nil became an error")
	}
}

func TestTransactionErrorsNameTheirOperation(t *testing.T) {
	t.Parallel()
	db, err := sqlx.Open("postgres", "host=/nonexistent/casecircle connect_timeout=1 sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &core{db: db}
	err = s.inTx(context.Background(), func(*sqlx.Tx) error { return nil })
	e := AsError(err)
	if e == nil || e.Code != EUNAVAILABLE || e.Op != "casestudy.TestTransactionErrorsNameTheirOperation" || e.Err == nil {
		t.Fatalf("got %#v, want EUNAVAILABLE naming this test as the operation, with its cause", e)
	}
}
