package server

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/casestudy/schedule"
	"github.com/casecircle/casecircle/realtime"
)

// documentedLimits reads docs/security.md's limits table: key → the "limit" cell.
func documentedLimits(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		out[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.TrimSpace(cells[2])
	}
	return out
}

func humanDuration(d time.Duration) string {
	switch {
	case d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return fmt.Sprintf("%d ms", d/time.Millisecond)
}

func humanBytes(n int) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// TestDocumentedLimitsMatchTheCode keeps docs/security.md's table of limits equal to the
// constants the code enforces: each documented value must start with what the code says, and
// every per-user limit must be documented.
func TestDocumentedLimitsMatchTheCode(t *testing.T) {
	t.Parallel()
	docs := documentedLimits(t)
	ws := realtime.DefaultOptions()
	want := map[string]string{
		"http.body":               strings.Replace(maxBodyBytes, "K", " KiB", 1),
		"auth.per_ip":             fmt.Sprintf("%d a minute", defaultAuthPerMinute),
		"password.failures":       fmt.Sprintf("%d wrong passwords in %s", casestudy.MaxPasswordFailures, humanDuration(casestudy.PasswordFailureWindow)),
		"password.hashing":        fmt.Sprintf("1 argon2id check per core at once, %d per core waiting", casestudy.PasswordChecksWaitingPerCore),
		"ws.frame":                humanBytes(ws.MaxFrameBytes),
		"ws.rate":                 fmt.Sprintf("%d at once, then %g a second", ws.Burst, ws.MessagesPerSec),
		"ws.sockets_per_user":     fmt.Sprint(ws.MaxSocketsPerUser),
		"ws.sockets_per_ip":       fmt.Sprint(ws.MaxSocketsPerIP),
		"ws.send_queue":           fmt.Sprintf("%d frames or %s", ws.SendQueue, humanBytes(ws.SendQueueBytes)),
		"ws.socket_buffer":        humanBytes(ws.SocketSendBuffer),
		"ws.resume_window":        fmt.Sprintf("%d events", ws.ResumeWindow),
		"session.learning_points": fmt.Sprintf("%d per session", casestudy.MaxLearningPointsPerSession),
		"auth.reset_request": fmt.Sprintf("%d a minute per client IP; one mail per account every %s", resetRequestsPerMinute,
			strings.Replace(humanDuration(casestudy.ResetMailInterval), " min", " minutes", 1)),
		"schedule.series": fmt.Sprintf("%d running series per community; a series of at most %d meetings or %d years; a listing of at most %d days",
			casestudy.MaxSchedulesPerCommunity, schedule.MaxCount, schedule.MaxSeriesYears, int(casestudy.MaxScheduleWindow.Hours()/24)),
		"message.mentions":   fmt.Sprintf("%d members per message", casestudy.MaxMentions),
		"push.subscriptions": fmt.Sprintf("%d browsers per person", casestudy.MaxPushSubscriptions),
		"mail.invitations":   fmt.Sprintf("%d addresses per request", casestudy.MaxInvitationsPerSubmit),
	}
	for name, spec := range perUserLimits {
		want["user."+name] = fmt.Sprintf("%d at once, then 1 every %s", spec.Burst, humanDuration(spec.Every))
	}
	for key, value := range want {
		got, ok := docs[key]
		switch {
		case !ok:
			t.Errorf("docs/security.md does not list `%s` (%s)", key, value)
		case !strings.HasPrefix(got, value):
			t.Errorf("docs/security.md says `%s` is %q; the code says %q", key, got, value)
		}
	}
	for key := range docs {
		if _, ok := want[key]; !ok && (strings.Contains(key, ".") && !strings.Contains(key, " ")) {
			t.Errorf("docs/security.md lists `%s`, which no limit of the code matches", key)
		}
	}
}

// TestDocumentedBodyCapMatchesTheCode: api.md and protocol.md state the body and frame caps.
func TestDocumentedBodyCapMatchesTheCode(t *testing.T) {
	t.Parallel()
	api, _ := os.ReadFile("../docs/api.md")
	protocol, _ := os.ReadFile("../docs/protocol.md")
	body := strings.Replace(maxBodyBytes, "K", " KiB", 1)
	if !strings.Contains(string(api), "capped at "+body) || !strings.Contains(string(api), "body over "+body) {
		t.Errorf("docs/api.md does not state the body cap of %s", body)
	}
	if frame := humanBytes(realtime.DefaultOptions().MaxFrameBytes); !strings.Contains(string(protocol), "| frame size | "+frame) {
		t.Errorf("docs/protocol.md does not state the frame cap of %s", frame)
	}
}

// TestDocumentedCloseCodesMatchTheCode keeps docs/protocol.md's close codes equal to the code's.
func TestDocumentedCloseCodesMatchTheCode(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for code, reason := range map[int]string{
		realtime.CloseGoingAway: realtime.CloseGoingAwayReason, 1008: realtime.ClosePolicyReason, 1009: "frame too big",
		realtime.CloseSignedOut: realtime.CloseSignedOutReason, realtime.CloseAccessChanged: realtime.CloseAccessChangedReason,
		realtime.CloseSlow: realtime.CloseSlowReason,
	} {
		if !strings.Contains(doc, fmt.Sprintf("| %d | %s", code, reason)) {
			t.Errorf("docs/protocol.md's close codes lack \"| %d | %s\"", code, reason)
		}
	}
}
