package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/lib/pq"

	"github.com/casecircle/casecircle/internal/embeddedpg"
)

// privateServer is a PostgreSQL cluster and a casecircle process started for one run.
type privateServer struct {
	dir     string
	cluster *embeddedpg.Cluster
	cmd     *exec.Cmd
	url     string
	dbURL   string
	exited  chan struct{}
}

// startPrivateServer starts a durable (fsync on) private cluster and casecircle on a free port,
// with rate limits out of the load's way.
func startPrivateServer(ctx context.Context, bin string, log io.Writer) (*privateServer, error) {
	bin, err := findServerBin(bin)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ccb")
	if err != nil {
		return nil, err
	}
	// Run as root, the cluster runs as the postgres user, who must be able to enter it.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	s := &privateServer{dir: dir, exited: make(chan struct{})}
	s.cluster, err = embeddedpg.Start(ctx, embeddedpg.Config{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		s.stop()
		return nil, err
	}
	if err := s.cluster.CreateDatabase(ctx, "bench"); err != nil {
		s.stop()
		return nil, err
	}
	s.dbURL = s.cluster.URL("bench")
	port, err := freePort()
	if err != nil {
		s.stop()
		return nil, err
	}
	s.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	s.cmd = exec.Command(bin, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--data-dir", filepath.Join(dir, "data"),
		"--ws-message-rate", "1000000", "--ws-message-burst", "1000000", "--auth-rate", "1000000",
		"--ws-max-sockets-per-user", "1000000", "--ws-max-sockets-per-ip", "1000000")
	s.cmd.Env = append(os.Environ(), "DATABASE_URL="+s.dbURL)
	s.cmd.Stdout = log
	s.cmd.Stderr = log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		s.stop()
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(s.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s, nil
			}
		}
		select {
		case <-s.exited:
			s.stop()
			return nil, errors.New("casecircle exited while starting; see its log above")
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("casecircle did not become ready within 60 s")
		}
	}
}

func (s *privateServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
		}
	}
	if s.cluster != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = s.cluster.Stop(ctx)
		cancel()
	}
	_ = os.RemoveAll(s.dir)
}

func findServerBin(bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	if self, err := os.Executable(); err == nil {
		candidate := filepath.Join(filepath.Dir(self), "casecircle")
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
	}
	if p, err := exec.LookPath("casecircle"); err == nil {
		return p, nil
	}
	return "", errors.New("no casecircle binary next to this one or on PATH: run `make bench`, or build with `go build -o bin/ ./cmd/...`, or pass --server-bin")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// serverRSS reads process_resident_memory_bytes from the server's /metrics, in bytes.
func serverRSS(base string) (float64, error) {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_resident_memory_bytes "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, errors.New("no process_resident_memory_bytes in /metrics")
}

// baseline measures the database alone: 16 goroutines each inserting one message-sized row
// per transaction, for d. It is what durable message throughput is compared with.
func baseline(ctx context.Context, dbURL string, d time.Duration) (float64, error) {
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(16)
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_baseline (
		id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, room bigint NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL)`); err != nil {
		return 0, err
	}
	defer db.ExecContext(context.Background(), `DROP TABLE bench_baseline`)
	body := strings.Repeat("x", len(messageBody))
	var inserted atomic.Int64
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				if _, err := db.ExecContext(ctx, `INSERT INTO bench_baseline (room, body, created_at) VALUES ($1, $2, now())`, w, body); err != nil {
					errs <- err
					return
				}
				inserted.Add(1)
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return float64(inserted.Load()) / d.Seconds(), nil
}
