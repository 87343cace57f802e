package server

import (
	"net/http/httptest"
	"testing"
)

func TestOriginAllowedForWebSockets(t *testing.T) {
	t.Parallel()
	s := &Server{cfg: Config{AllowedOrigins: []string{"https://supervision.example.org"}}}
	for origin, want := range map[string]bool{
		"http://casecircle.local:8080":    true, // same host as the request
		"https://supervision.example.org": true, // configured
		"https://evil.example":            false,
		"https://casecircle.local:8081":   false, // another port is another origin
		"null":                            false,
		"":                                false, // browsers always send Origin on upgrades
	} {
		r := httptest.NewRequest("GET", "http://casecircle.local:8080/api/v1/ws", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if got := s.originAllowed(r); got != want {
			t.Errorf("Origin %q: allowed=%v, want %v", origin, got, want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/communities/3": "/communities/3", "/join/abc": "/join/abc", "": "/", "https://evil.example": "/",
		"//evil.example": "/", "/\\evil.example": "/", "javascript:alert(1)": "/",
		// Browsers strip tabs and newlines before resolving, so each of these is "//evil.example".
		"/\t/evil.example/phish": "/", "/\n/evil.example": "/", "/\r/evil.example": "/", "\t//evil.example": "/",
		"/%2F/evil.example": "/", "/%2f%2fevil.example": "/", "/ /evil.example": "/", "/\u00a0/evil.example": "/",
		"/\x00/evil.example": "/", "/\u2028/evil.example": "/",
		"/search?q=a+b#top": "/search?q=a+b#top", "/communities/3/cases?status=open": "/communities/3/cases?status=open",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
