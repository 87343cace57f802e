package server_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// Malformed input in query strings and paths (invalid UTF-8, %00, control characters, an
// extreme cursor) is a 422 naming the parameter, never a 500.
func TestMalformedParametersAre422(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	extreme := base64.RawURLEncoding.EncodeToString([]byte("9223372036854775807.1"))
	negative := base64.RawURLEncoding.EncodeToString([]byte("-9223372036854775807.1"))
	community := fmt.Sprintf("/api/v1/communities/%d", f.cid)
	for _, tc := range []struct{ path, field string }{
		{"/api/v1/search?q=%ff%fe", "q"},
		{"/api/v1/search?q=a%00b", "q"},
		{"/api/v1/search?q=ok&tag=%1b%5b31m", "tag"},
		{community + "/archive?tag=%00", "tag"},
		{community + "/archive?kind=%c3%28", "kind"},
		{community + "/audit?action=case.%00", "action"},
		{community + "/audit?from=%ff", "from"},
		{community + "/cases?cursor=" + extreme, "cursor"},
		{community + "/cases?cursor=" + negative, "cursor"},
		{community + "/cases?tag=x%00", "tag"},
		{community + "/templates/bal%00int", "key"},
	} {
		r := f.author.call("GET", tc.path, nil)
		if r.status != 422 {
			t.Errorf("GET %s: %d %s", tc.path, r.status, r.body)
			continue
		}
		if e := r.err(t); e.Error.Field != tc.field || strings.Contains(string(r.body), "\x00") {
			t.Errorf("GET %s: field %q, want %q", tc.path, e.Error.Field, tc.field)
		}
	}
}
