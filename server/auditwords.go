package server

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/casecircle/casecircle/casestudy"
)

// The audit log in the words people use: what was done, to what, with which settings. The
// stored entries keep their machine names (for the filter, the API and exports).

var auditActionWords = map[string]string{
	"community.created": "created the community", "community.renamed": "renamed the community", "community.deleted": "deleted the community",
	"policy.changed": "changed the community's policy", "community.exported": "exported the community",
	"retention.applied":  "applied the retention policy",
	"invitation.created": "made an invitation", "invitation.revoked": "withdrew an invitation", "invitation.used": "joined with an invitation",
	"member.role_changed": "changed a role", "member.removed": "removed a member", "member.left": "left the community",
	"account.deleted":     "deleted their account",
	"password.reset_link": "made a password reset link for", "password.reset": "chose a new password with a reset link",
	"case.published": "published a case", "case.edited": "edited a case", "case.withdrawn": "withdrew a case",
	"case.viewed": "read a case", "case.archived": "archived a case", "case.unarchived": "reopened an archived case",
	"case.exported": "exported a case", "case.revision_redacted": "redacted an earlier version of a case",
	"message.revision_redacted": "redacted an earlier version of a message",
	"session.started":           "started a live session", "session.ended": "ended a live session", "session.taken_over": "took over a live session from",
	"template.created": "created a session format", "template.updated": "changed a session format", "template.deleted": "deleted a session format",
}

// auditActionLabel is the filter's and the table's wording of an action.
func auditActionLabel(action string) string {
	if w, ok := auditActionWords[action]; ok {
		return strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.ReplaceAll(strings.ReplaceAll(action, ".", ": "), "_", " ")
}

var auditTargetWords = map[string]string{
	"case": "case", "user": "member", "invitation": "invitation", "community": "community",
	"session_template": "session format", "message": "message",
}

// auditTarget names an entry's target: "the case “A sponsor who wants reports”", "Bo".
func auditTarget(e casestudy.AuditEntry) string {
	kind, ok := auditTargetWords[e.TargetType]
	if !ok {
		kind = strings.ReplaceAll(e.TargetType, "_", " ")
	}
	switch {
	case e.TargetType == "" || e.TargetType == "community":
		return ""
	case e.TargetType == "user" && e.TargetName != "":
		return e.TargetName
	case e.TargetName != "":
		return fmt.Sprintf("%s “%s”", kind, e.TargetName)
	case e.TargetType == "user":
		return "a former member"
	}
	return "a " + kind
}

var auditDetailWords = map[string]string{
	"role": "role", "from": "from", "to": "to", "template": "format", "max_uses": "uses", "expires_at": "expires",
	"version": "version", "format": "file", "names": "names", "themes": "themes", "kept_sessions": "sessions kept",
	"session": "session", "based_on": "based on", "phases": "phases", "cases": "cases", "zip": "zip", "case": "case",
}

// auditDetail puts an entry's settings in words: "role: member → supervisor", "uses: 5".
func auditDetail(raw json.RawMessage) string {
	var detail map[string]any
	if err := json.Unmarshal(raw, &detail); err != nil || len(detail) == 0 {
		return ""
	}
	if from, ok := detail["from"]; ok {
		if to, ok := detail["to"]; ok {
			delete(detail, "from")
			delete(detail, "to")
			detail["role"] = fmt.Sprintf("%v → %v", from, to)
		}
	}
	keys := make([]string, 0, len(detail))
	for k := range detail {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		word, ok := auditDetailWords[k]
		if !ok {
			word = strings.ReplaceAll(k, "_", " ")
		}
		parts = append(parts, word+": "+auditValue(detail[k]))
	}
	return strings.Join(parts, "; ")
}

func auditValue(v any) string {
	switch v := v.(type) {
	case string:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t.UTC().Format("2 Jan 2006, 15:04 UTC")
		}
		return strings.ReplaceAll(v, "_", " ")
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case float64:
		return fmt.Sprint(v)
	case []any:
		if len(v) == 0 {
			return "none"
		}
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = auditValue(x)
		}
		return strings.Join(parts, ", ")
	case nil:
		return "none"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
