// Package pusher sends web push (RFC 8030, encrypted per RFC 8291, signed with VAPID per RFC
// 8292, by SherClockHolmes/webpush-go) from gue's "push" queue: one job per notification, sent
// to each of the person's subscribed browsers. A payload says who and where, never what: no case
// text, no title, no message. A browser the push service no longer knows is forgotten.
package pusher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
	"github.com/jmoiron/sqlx"
	"github.com/vgarvardt/gue/v5"
	"github.com/vgarvardt/gue/v5/adapter/libpq"
	slogadapter "github.com/vgarvardt/gue/v5/adapter/slog"

	"github.com/casecircle/casecircle/casestudy"
)

// Config wires a Worker.
type Config struct {
	DB                    *sqlx.DB
	Service               *casestudy.Service
	PublicKey, PrivateKey string // VAPID, base64url
	Subject               string // mailto: or https: contact for the push services
	PublicURL             string // notification links start with it
	HTTPClient            *http.Client
	Logger                *slog.Logger
	PollInterval          time.Duration
}

// MaxAttempts bounds the tries of one push (a push is only useful soon).
const MaxAttempts = 8

// Payload is what the service worker receives.
type Payload struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	URL   string `json:"url"`
}

// Worker sends queued pushes until its context ends.
type Worker struct {
	cfg  Config
	pool *gue.WorkerPool
}

// New builds a worker.
func New(cfg Config) (*Worker, error) {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	w := &Worker{cfg: cfg}
	backoff := func(retries int) time.Duration {
		if retries >= MaxAttempts {
			return -1
		}
		return gue.DefaultExponentialBackoff(retries)
	}
	logger := slogadapter.New(cfg.Logger.With("component", "push"))
	client, err := gue.NewClient(libpq.NewConnPool(cfg.DB.DB), gue.WithClientBackoff(backoff), gue.WithClientLogger(logger))
	if err != nil {
		return nil, err
	}
	w.pool, err = gue.NewWorkerPool(client, gue.WorkMap{casestudy.PushJobType: w.work}, 1,
		gue.WithPoolQueue(casestudy.PushQueue), gue.WithPoolPollInterval(cfg.PollInterval), gue.WithPoolLogger(logger))
	return w, err
}

// Run sends pushes until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.pool.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func (w *Worker) work(ctx context.Context, j *gue.Job) error {
	var job casestudy.PushJob
	if err := json.Unmarshal(j.Args, &job); err != nil {
		return fmt.Errorf("unreadable push job: %w", err)
	}
	p, err := w.cfg.Service.PreparePush(ctx, job)
	if errors.Is(err, casestudy.ErrMailNotWanted) {
		return nil
	}
	if err != nil {
		return err
	}
	payload, _ := json.Marshal(Payload{Title: p.Title, Body: p.Body, URL: w.cfg.PublicURL + p.URL})
	var failed error
	for _, sub := range p.Subscriptions {
		resp, err := webpush.SendNotificationWithContext(ctx, payload, &webpush.Subscription{Endpoint: sub.Endpoint,
			Keys: webpush.Keys{P256dh: sub.P256dh, Auth: sub.Auth}}, &webpush.Options{
			HTTPClient: w.cfg.HTTPClient, Subscriber: w.cfg.Subject, VAPIDPublicKey: w.cfg.PublicKey, VAPIDPrivateKey: w.cfg.PrivateKey,
			TTL: 3600, Urgency: webpush.UrgencyHigh, Topic: fmt.Sprintf("n%d", job.NotificationID),
		})
		if err != nil {
			failed = err
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
			if err := w.cfg.Service.ForgetPushEndpoint(ctx, sub.Endpoint); err != nil {
				failed = err
			}
		case resp.StatusCode >= 300:
			failed = fmt.Errorf("push service answered %d", resp.StatusCode)
		}
	}
	return failed
}

// GenerateKeys makes a VAPID key pair (private, public), base64url.
func GenerateKeys() (private, public string, err error) { return webpush.GenerateVAPIDKeys() }
