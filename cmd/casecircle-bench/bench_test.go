package main

import (
	"regexp"
	"testing"
)

// The RESULT line is read by scripts: its exact shape is part of the contract.
func TestResultLine(t *testing.T) {
	r := Result{Rooms: 50, Members: 12, Idle: 3, Sent: 10, Acked: 9, Expected: 108, Delivered: 108, DurableMsgsPerSec: 540.4,
		DeliveriesPerSec: 6477, P50: 5.291, P99: 16.03, Max: 24, ServerRSSMB: 108.04, BaselineInsertsPerSec: 10162}
	want := regexp.MustCompile(`^RESULT rooms=50 members=12 idle=3 sent=10 acked=9 expected=108 delivered=108 lost=0 duplicated=0 ` +
		`durable_msgs_per_s=540 deliveries_per_s=6477 p50_ms=5\.29 p99_ms=16\.03 max_ms=24\.00 server_rss_mb=108\.0 baseline_inserts_per_s=10162$`)
	if got := r.Line(); !want.MatchString(got) {
		t.Fatalf("got %q", got)
	}
}

func TestQuickParse(t *testing.T) {
	ev := []byte(`{"type":"event","event":{"room":3,"seq":42,"type":"message.created","at":"x","message":{"id":9,"room":3,"seq":42,"author_id":1,"body":"b","client_id":"b0x1-7","version":1}}}`)
	f, ok := quickParse(ev)
	if !ok || f.Type != "event" || f.Event.Seq != 42 || f.Event.Message.ClientID != "b0x1-7" {
		t.Fatalf("event: %+v %v", f, ok)
	}
	f, ok = quickParse([]byte(`{"type":"ack","ref":"b0x1-7","room":3,"seq":42}`))
	if !ok || f.Type != "ack" || f.Seq != 42 || f.Ref != "b0x1-7" {
		t.Fatalf("ack: %+v %v", f, ok)
	}
	if _, ok := quickParse([]byte(`{"type":"presence","room":3,"members":[]}`)); ok {
		t.Fatal("presence taken for an event")
	}
}

func TestMedianResult(t *testing.T) {
	m := medianResult([]Result{
		{DurableMsgsPerSec: 100, BaselineInsertsPerSec: 50},
		{DurableMsgsPerSec: 90, BaselineInsertsPerSec: 100},
		{DurableMsgsPerSec: 120, BaselineInsertsPerSec: 100},
	})
	if m.DurableMsgsPerSec != 100 || m.BaselineInsertsPerSec != 100 || m.ratio != 1.2 {
		t.Fatalf("%+v", m)
	}
}
