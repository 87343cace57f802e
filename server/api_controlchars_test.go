package server_test

import (
	"fmt"
	"testing"
)

// TestControlCharactersRefused: a control character in any JSON text is a 422 naming the field,
// before the database sees it (PostgreSQL would refuse a NUL and log the statement's context).
func TestControlCharactersRefused(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	for _, tc := range []struct {
		method, path string
		body         string
		field        string
	}{
		{"POST", fmt.Sprintf("/api/v1/communities/%d/templates", f.cid),
			`{"template": {"name": "Balint\u0000", "phases": [{"name": "One", "minutes": 5, "policy": "open"}]}}`, "template.name"},
		{"POST", fmt.Sprintf("/api/v1/communities/%d/templates", f.cid),
			`{"template": {"name": "Ok", "phases": [{"name": "One\u001b", "minutes": 5, "policy": "open"}]}}`, "template.phases[0].name"},
		{"POST", "/api/v1/communities", `{"name": "Peer\u0000group"}`, "name"},
		{"POST", fmt.Sprintf("/api/v1/communities/%d/cases/anonymise", f.cid), `{"case": {"title": "T\u0000"}}`, "case.title"},
		{"POST", fmt.Sprintf("/api/v1/communities/%d/cases/%d/messages", f.cid, f.room),
			`{"client_id": "x1", "body": "hello", "decisions": {"accept": ["a\u0000"]}}`, "decisions.accept[0]"},
	} {
		res := f.author.raw(tc.method, tc.path, "application/json", []byte(tc.body), nil)
		e := f.author.mustStatus(res, 422).err(t)
		if e.Error.Field != tc.field {
			t.Errorf("%s %s: field %q, want %q (%+v)", tc.method, tc.path, e.Error.Field, tc.field, e)
		}
	}
}
