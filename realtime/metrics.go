package realtime

import "github.com/prometheus/client_golang/prometheus"

type hubMetrics struct {
	connections prometheus.Gauge
	deliveries  prometheus.Counter
	fetches     prometheus.Counter
	closes      *prometheus.CounterVec
	refused     prometheus.Counter
	busResets   *prometheus.CounterVec
	// noticesDropped counts notices a broker dropped because it was behind.
	noticesDropped prometheus.Counter
	notified       prometheus.Counter
}

func newHubMetrics(reg prometheus.Registerer) *hubMetrics {
	m := &hubMetrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "casecircle_ws_connections", Help: "Open WebSocket connections on this process."}),
		deliveries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "casecircle_ws_event_deliveries_total", Help: "Room events offered to subscribers live (replays not counted)."}),
		fetches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "casecircle_room_catchup_reads_total", Help: "Reads of room events from the database to catch up (other processes' events, gaps, reconnects)."}),
		closes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "casecircle_ws_forced_closes_total", Help: "Connections the server closed, by reason."}, []string{"reason"}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "casecircle_ws_refused_total", Help: "Upgrades refused because the user or address had too many sockets open."}),
		busResets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "casecircle_bus_listener_resets_total", Help: "LISTEN connections lost (lost) or cut after an unanswered ping (hung)."}, []string{"reason"}),
		noticesDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "casecircle_bus_notices_dropped_total", Help: "Presence, typing and sign-out notices dropped because the queue to the other processes was full."}),
		notified: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "casecircle_ws_notify_frames_total", Help: "'Your notifications changed' frames sent to sockets."}),
	}
	if reg != nil {
		reg.MustRegister(m.connections, m.deliveries, m.fetches, m.closes, m.refused, m.busResets, m.noticesDropped, m.notified)
	}
	return m
}
