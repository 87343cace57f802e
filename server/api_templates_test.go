package server_test

import (
	"fmt"
	"testing"

	"github.com/casecircle/casecircle/casestudy"
)

func TestTemplatesAPI(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s) // author: facilitator; member
	outsider := s.newClient(t).signUp("oz")
	base := fmt.Sprintf("/api/v1/communities/%d/templates", f.cid)

	var list struct{ Templates []casestudy.Template }
	f.member.mustStatus(f.member.call("GET", base, nil), 200).decode(t, &list)
	if len(list.Templates) != 6 || list.Templates[0].Key != "default" || !list.Templates[0].Builtin {
		t.Fatalf("templates %+v", list.Templates)
	}
	outsider.mustStatus(outsider.call("GET", base, nil), 404)
	f.member.mustStatus(f.member.call("POST", base, map[string]any{"copy_of": "balint"}), 403)

	var out struct{ Template casestudy.Template }
	f.author.mustStatus(f.author.call("POST", base, map[string]any{"copy_of": "balint"}), 201).decode(t, &out)
	copyKey := out.Template.Key
	if out.Template.Name != "Balint group (copy)" || out.Template.Builtin || len(out.Template.Phases) != 6 || copyKey == "balint" {
		t.Fatalf("copy %+v", out.Template)
	}

	edited := out.Template
	edited.Phases = edited.Phases[:2]
	edited.Phases[1].Minutes = 0
	body := map[string]any{"template": map[string]any{"name": "Short Balint", "phases": edited.Phases}}
	if e := f.author.mustStatus(f.author.call("PUT", base+"/"+copyKey, body), 422).err(t); e.Error.Field != "phases[1].minutes" {
		t.Fatalf("invalid phase: %+v", e)
	}
	edited.Phases[1].Minutes = 12
	f.author.mustStatus(f.author.call("PUT", base+"/"+copyKey, body), 200).decode(t, &out)
	if out.Template.Name != "Short Balint" || out.Template.Total() != 15 {
		t.Fatalf("updated %+v", out.Template)
	}
	f.member.mustStatus(f.member.call("GET", base+"/"+copyKey, nil), 200).decode(t, &out)
	if out.Template.Name != "Short Balint" {
		t.Fatalf("member reads %+v", out.Template)
	}
	f.author.mustStatus(f.author.call("PUT", base+"/balint", body), 409)
	f.author.mustStatus(f.author.call("POST", base, map[string]any{"template": map[string]any{"name": "Empty", "phases": []any{}}}), 422)
	f.author.mustStatus(f.author.call("POST", base, map[string]any{"template": map[string]any{"name": "X", "phases": []any{
		map[string]any{"name": "One", "minutes": 5, "policy": "open", "colour": "red"}}}}), 400)

	// Another community cannot see or touch it.
	other := outsider.createCommunity("Other group")
	outsider.mustStatus(outsider.call("GET", fmt.Sprintf("/api/v1/communities/%d/templates/%s", other, copyKey), nil), 404)

	f.author.mustStatus(f.author.call("DELETE", base+"/"+copyKey, nil), 204)
	f.author.mustStatus(f.author.call("GET", base+"/"+copyKey, nil), 404)
	f.author.mustStatus(f.author.call("DELETE", base+"/default", nil), 409)

	var audit struct{ Entries []casestudy.AuditEntry }
	f.author.mustStatus(f.author.call("GET", fmt.Sprintf("/api/v1/communities/%d/audit", f.cid), nil), 200).decode(t, &audit)
	seen := map[string]bool{}
	for _, e := range audit.Entries {
		seen[e.Action] = true
	}
	for _, a := range []string{"template.created", "template.updated", "template.deleted"} {
		if !seen[a] {
			t.Errorf("no %s in the audit log", a)
		}
	}
}
