package realtime

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Presence beats fit NOTIFY's 8,000 bytes however long and escape-heavy the names, and lose
// nobody: 24 members with 80-character names of characters JSON escapes made one 11 KB
// payload that PostgreSQL refused.
func TestBeatNoticesFitInANotify(t *testing.T) {
	rooms := map[int64][]Member{}
	for room := int64(1); room <= 3; room++ {
		for i := range 25 {
			name := strings.Repeat("<&>", 26) + fmt.Sprintf("%02d", i) // 80 characters, 6 bytes each escaped
			rooms[room] = append(rooms[room], Member{ID: room*100 + int64(i), Name: name})
		}
	}
	rooms[4] = []Member{{ID: 1, Name: "Ann"}}
	seen := map[int64]int{}
	for _, n := range beatNotices(rooms) {
		n.Node = "0123456789ab"
		b, _ := json.Marshal(n)
		if len(b) >= maxNoticeBytes {
			t.Fatalf("a beat of %d bytes", len(b))
		}
		for room, members := range n.Rooms {
			seen[room] += len(members)
		}
	}
	for room, members := range rooms {
		if seen[room] != len(members) {
			t.Fatalf("room %d: %d of %d members sent", room, seen[room], len(members))
		}
	}
}
