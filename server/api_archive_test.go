package server_test

import (
	"fmt"
	"testing"

	"github.com/casecircle/casecircle/casestudy"
)

func TestArchiveAPI(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	room := fmt.Sprintf("%s/%d", f.base, f.room)
	f.post(f.member, "m1", "A thought before archiving")
	m := f.member.dialWS(s.URL)
	m.subscribe(f.room, 1)

	f.member.mustStatus(f.member.call("POST", room+"/archive", map[string]any{"themes": []string{"x"}}), 403)
	f.member.mustStatus(f.member.call("GET", room+"/archive", nil), 403)
	var draft struct{ Summary casestudy.SummaryInput }
	f.author.mustStatus(f.author.call("GET", room+"/archive", nil), 200).decode(t, &draft)
	f.author.mustStatus(f.author.call("POST", room+"/archive", map[string]any{
		"themes": []string{"Rescuing"}, "learning_points": "Notice the pull to fix.", "actions": "", "kept_sessions": []int64{}}), 200)

	// Live posts are refused with a clear error; the summary and the archive are readable.
	m.send(map[string]any{"type": "publish", "room": f.room, "client_id": "late", "body": "Too late?", "ref": "l"})
	if e := m.next(); e.Type != "error" || e.Code != casestudy.ECONFLICT {
		t.Fatalf("posting to an archived room: %s", e.raw)
	}
	var sum struct{ Summary casestudy.Summary }
	f.member.mustStatus(f.member.call("GET", room+"/summary", nil), 200).decode(t, &sum)
	if sum.Summary.LearningPoints != "Notice the pull to fix." || sum.Summary.Themes[0] != "rescuing" {
		t.Fatalf("summary %+v", sum.Summary)
	}
	var list struct{ Cases []casestudy.ArchivedCase }
	f.member.mustStatus(f.member.call("GET", fmt.Sprintf("/api/v1/communities/%d/archive?tag=rescuing&from=2000-01-01", f.cid), nil), 200).decode(t, &list)
	if len(list.Cases) != 1 || list.Cases[0].ID != f.room {
		t.Fatalf("archive %+v", list.Cases)
	}
	f.member.mustStatus(f.member.call("GET", fmt.Sprintf("/api/v1/communities/%d/archive?from=yesterday", f.cid), nil), 422)
	outsider := s.newClient(t).signUp("oz")
	outsider.mustStatus(outsider.call("GET", fmt.Sprintf("/api/v1/communities/%d/archive", f.cid), nil), 404)

	f.author.mustStatus(f.author.call("POST", room+"/unarchive", nil), 204)
	f.post(f.member, "m2", "Open again")
}
