package realtime_test

import (
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/casecircle/casecircle/internal/pgtest"
	"github.com/casecircle/casecircle/realtime"
)

const testRoomChannel = "test_room_events"

// startBusNode starts a hub whose broker is the PostgreSQL bus on url; its commits are
// announced by NOTIFY, as the domain's are.
func startBusNode(t *testing.T, st *store, db *sql.DB, url string, opts realtime.Options) *node {
	t.Helper()
	n := startNodeWith(t, st, opts, func(h *realtime.Hub) realtime.Broker {
		b, err := realtime.StartBus(h, db, url, testRoomChannel)
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
	n.backend.announce = func(room, seq int64) {
		notify(t, db, testRoomChannel, fmt.Sprintf(`{"room":%d,"seq":%d,"node":%q}`, room, seq, n.hub.NodeID()))
	}
	return n
}

func notify(t *testing.T, db *sql.DB, channel, payload string) {
	t.Helper()
	if _, err := db.Exec(`SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		t.Error(err)
	}
}

// Two processes on one PostgreSQL share rooms, presence, typing and sign-outs through
// LISTEN/NOTIFY, and a LISTEN connection that is cut comes back and catches every room up.
func TestBusJoinsProcessesThroughPostgreSQL(t *testing.T) {
	url := pgtest.NewEmptyDatabaseURL(t)
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := newStore()
	one := startBusNode(t, st, db, url, realtime.Options{})
	two := startBusNode(t, st, db, url, realtime.Options{})

	ada, bob := one.open(t, 1), two.open(t, 2)
	ada.subscribe(10, 0)
	bob.subscribe(10, 0)
	waitPresence(t, bob, 1, 2)

	ada.send(map[string]any{"type": "publish", "ref": "p", "room": 10, "client_id": "c1", "body": "hello"})
	if got := bob.events(1); !slices.Equal(got, []int64{1}) {
		t.Fatalf("bob got %v", got)
	}
	ada.send(map[string]any{"type": "typing", "room": 10})
	bob.expect(realtime.TypeTypingNotice)

	// Notices nobody can read are ignored.
	notify(t, db, testRoomChannel, "not json")
	notify(t, db, realtime.HubChannel, "not json either")

	// The LISTEN connection of process two dies; an event committed meanwhile, whose notice
	// it missed, reaches bob once the bus is back.
	if _, err := db.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()`, realtime.ListenerApplicationName); err != nil {
		t.Fatal(err)
	}
	st.append(10, "message.created", "while the bus was away")
	if got := bob.events(1); !slices.Equal(got, []int64{2}) {
		t.Fatalf("after the reconnect bob got %v", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for two.counter(t, "casecircle_bus_listener_resets_total", "lost")+one.counter(t, "casecircle_bus_listener_resets_total", "lost") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the lost LISTEN connection was not counted")
		}
		time.Sleep(10 * time.Millisecond)
	}

	one.hub.CloseUser(2, realtime.CloseSignedOut)
	if code := bob.closed(); code != realtime.CloseSignedOut {
		t.Fatalf("bob closed with %d", code)
	}
}

// A bus that cannot listen reports why and leaves nothing running (TestMain checks for
// goroutines left behind).
func TestBusStartFailsCleanlyWithoutADatabase(t *testing.T) {
	h := realtime.NewHub(&backend{store: newStore()}, realtime.NewConns(), realtime.Options{Logger: quietLog()})
	defer h.Close()
	if _, err := realtime.StartBus(h, nil, "host=/nonexistent/casecircle sslmode=disable connect_timeout=1", testRoomChannel); err == nil {
		t.Fatal("a bus on a database that does not exist started")
	}
}
