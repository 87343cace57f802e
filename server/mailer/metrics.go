package mailer

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	sent, failed, dropped prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) metrics {
	m := metrics{
		sent: prometheus.NewCounter(prometheus.CounterOpts{Name: "casecircle_mail_sent_total",
			Help: "Messages handed to the SMTP server (or the demo mailbox)."}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{Name: "casecircle_mail_failures_total",
			Help: "Attempts to send a message that failed; the message is tried again later."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "casecircle_mail_dropped_total",
			Help: "Queued messages not sent because they were no longer wanted (recipient left, meeting gone)."}),
	}
	if reg != nil {
		reg.MustRegister(m.sent, m.failed, m.dropped)
	}
	return m
}
