package markup

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestPlainFastPath: wherever the fast path applies, it gives exactly what the Markdown
// renderer gives.
func TestPlainFastPath(t *testing.T) {
	pieces := []string{"a", "B", "word", "Ünïcödé", "日本", " ", " ", "\n", ".", ",", ";", "?", "'", `"`, "(", ")", "/", "-", "%", "1", "é", "—", "…", "+", "'s", "é", ":", "http", "://", "www", "example.org"}
	rng := rand.New(rand.NewPCG(1, 2))
	checked := 0
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(30) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		text := strings.TrimSpace(b.String())
		if !isPlain(text) {
			continue
		}
		checked++
		if fast, slow := renderPlain(text), renderMarkdown(text); fast != slow {
			t.Fatalf("%q:\nfast %q\nslow %q", text, fast, slow)
		}
	}
	if checked < 2000 {
		t.Fatalf("only %d inputs took the fast path", checked)
	}
	for _, text := range []string{"see www.example.org", "a & b", "- item", "1. one", "> quote", "**b**", "a\n\nb", "see http://example.org", "see WWW.example.org", "me@example.org"} {
		if isPlain(text) {
			t.Errorf("%q taken for plain", text)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	const msg = "Reflecting on the contracting: what did the sponsor want, and what did the coachee want from it?"
	for b.Loop() {
		Render(msg)
	}
}

func BenchmarkRenderMarkdown(b *testing.B) {
	const msg = "Reflecting on the contracting: what did the sponsor want, and what did the coachee want from it?"
	for b.Loop() {
		renderMarkdown(msg)
	}
}
