// Command casecircle-bench loads a casecircle server with real accounts, real sessions and real
// WebSockets, checks that every member of a room receives every acknowledged message exactly
// once, and measures throughput, delivery latency and server memory.
//
//	casecircle-bench [--url URL] [--rooms R] [--members M] [--rate N] [--duration D] [--idle N]
//	casecircle-bench suite [--repeat N] [--out docs/benchmarks.md]
//
// Without --url it starts a private PostgreSQL and a casecircle server process of its own (the
// casecircle binary next to this one, or --server-bin). Its last line is the RESULT line.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Params is one benchmark run.
type Params struct {
	URL         string // an external server; empty: start one
	DatabaseURL string // the external server's database, for the baseline (optional)
	ServerBin   string
	Rooms       int
	Members     int
	Rate        float64 // messages a second per client; 0: as fast as the window allows
	Window      int     // unacknowledged messages per client
	Duration    time.Duration
	Idle        int
	Baseline    time.Duration
	Verbose     bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	var err error
	if len(os.Args) > 1 && os.Args[1] == "suite" {
		err = runSuite(ctx, os.Args[2:])
	} else {
		err = runOnce(ctx, os.Args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "casecircle-bench:", err)
		os.Exit(1)
	}
}

func runOnce(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("casecircle-bench", flag.ContinueOnError)
	p := Params{}
	fs.StringVar(&p.URL, "url", "", "base URL of a running casecircle (its sign-up and WebSocket rate limits must allow the load); empty starts a private one")
	fs.StringVar(&p.DatabaseURL, "database-url", "", "with --url: the server's database, for the baseline insert rate (skipped without it)")
	fs.StringVar(&p.ServerBin, "server-bin", "", "casecircle binary to start (default: next to this one, then on PATH)")
	fs.IntVar(&p.Rooms, "rooms", 50, "rooms (cases), each in its own community")
	fs.IntVar(&p.Members, "members", 12, "members per room, each with its own account and socket")
	fs.Float64Var(&p.Rate, "rate", 1, "messages a second each member posts; 0 posts as fast as --window allows")
	fs.IntVar(&p.Window, "window", 8, "messages each member may have unacknowledged")
	fs.DurationVar(&p.Duration, "duration", 10*time.Second, "how long to post")
	fs.IntVar(&p.Idle, "idle", 0, "extra idle connections, subscribed to a quiet room")
	fs.DurationVar(&p.Baseline, "baseline", 5*time.Second, "how long the plain-insert baseline runs (0 skips it)")
	fs.BoolVar(&p.Verbose, "v", false, "say what is happening")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if p.Rooms < 1 || p.Members < 1 || p.Rate < 0 || p.Window < 1 || p.Duration <= 0 || p.Idle < 0 {
		return fmt.Errorf("--rooms, --members, --window and --duration must be positive; --rate and --idle at least 0")
	}
	r, err := Run(ctx, p, os.Stderr)
	if err != nil {
		return err
	}
	fmt.Println(r.Line())
	return nil
}
