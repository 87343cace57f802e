package server

import "testing"

func TestControlCharField(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"template": {"name": "A\u0000B", "phases": []}}`:                                "template.name",
		`{"template": {"name": "ok", "phases": [{"name": "x"}, {"name": "\u001b[31m"}]}}`: "template.phases[1].name",
		`{"decisions": {"accept": ["fine", "bad\u0007"]}}`:                                "decisions.accept[1]",
		`{"ke\u0000y": 1}`:                                            "ke\x00y",
		`{"body": "line one\nline two\ttabbed\r\n"}`:                  "",
		`{"body": "plain", "n": 3, "ok": true, "list": [1, 2, null]}`: "",
	} {
		got, bad := controlCharField([]byte(body))
		if bad != (want != "") || got != want {
			t.Errorf("%s: field %q (bad %v), want %q", body, got, bad, want)
		}
	}
}
