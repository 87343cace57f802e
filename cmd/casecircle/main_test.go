package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/internal/embeddedpg"
	"github.com/casecircle/casecircle/internal/pgtest"
	"github.com/casecircle/casecircle/internal/postgres"
)

// execAsMain makes the test binary act as the real casecircle when a test re-executes it, so
// that a whole process (signals, kill -9) can be tested without building anything else.
const execAsMain = "CASECIRCLE_TEST_EXEC_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(execAsMain) == "1" {
		os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	pgtest.Main(m)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newDataDir returns a fresh --data-dir that the postgres OS user can reach.
func newDataDir(t *testing.T) string {
	t.Helper()
	dir, err := pgtest.TempDir("ccd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func testConfig(dataDir string) Config {
	return Config{Addr: "127.0.0.1:0", DataDir: dataDir, LogFormat: "text"}
}

// mustRun boots a Main; the caller closes it.
func mustRun(t *testing.T, cfg Config) *Main {
	t.Helper()
	m := NewMain(withTestKey(cfg), quietLogger())
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatalf("Run: %v", err)
	}
	return m
}

// testSecretKey is the secret key of test processes that share a database without a data
// directory, as operators set CASECIRCLE_SECRET_KEY on every process of one deployment.
var testSecretKey = []byte("casecircle test key, 32 bytes...")

func withTestKey(cfg Config) Config {
	if cfg.SecretKey == nil && cfg.DataDir == "" {
		cfg.SecretKey = testSecretKey
	}
	return cfg
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// waitNoProcesses fails unless every process of the cluster in dir is gone within the timeout.
func waitNoProcesses(t *testing.T, dir string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		pids := embeddedpg.ProcessesUsing(dir)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres processes still running on %s: %v", dir, pids)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestEmbeddedClusterLifecycle(t *testing.T) {
	dataDir := newDataDir(t)
	pgDir := filepath.Join(dataDir, "postgres")

	t.Run("first start creates the cluster and is ready", func(t *testing.T) {
		m := mustRun(t, testConfig(dataDir))
		defer m.Close()
		if m.Cluster() == nil || m.Cluster().Reused() {
			t.Fatal("expected a newly created embedded cluster")
		}
		if status, body := get(t, m.URL()+"readyz"); status != http.StatusOK {
			t.Fatalf("/readyz = %d %s", status, body)
		}
		if _, err := m.DB().Exec(`INSERT INTO communities (name) VALUES ('kept across restarts')`); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(pgDir, ".s.PGSQL.5432")); err != nil {
			t.Fatalf("socket not inside the data dir: %v", err)
		}
		assertNoTCPListener(t, m.Cluster().PID())

		// The server's role reads and writes rows but cannot switch off the audit log's
		// append-only guard, as a superuser could (session_replication_role = replica).
		var role string
		if err := m.DB().Get(&role, `SELECT current_user`); err != nil || role != embeddedpg.AppRole {
			t.Fatalf("the server connects as %q (%v), want %s", role, err, embeddedpg.AppRole)
		}
		for _, stmt := range []string{`SET session_replication_role = replica`, `ALTER TABLE audit_log DISABLE TRIGGER ALL`,
			`DELETE FROM audit_log`, `UPDATE audit_log SET action = 'x'`, `TRUNCATE audit_log`, `DROP TABLE communities`, `CREATE TABLE evil (x int)`} {
			if _, err := m.DB().Exec(stmt); err == nil {
				t.Errorf("the server's role may run %q", stmt)
			}
		}
		// A database from an earlier version, with tables the superuser owns, is taken over.
		super, err := sqlx.Open("postgres", m.Cluster().URL("casecircle"))
		if err != nil {
			t.Fatal(err)
		}
		defer super.Close()
		if _, err := super.Exec(`ALTER TABLE communities OWNER TO postgres`); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("stopping leaves no postgres process", func(t *testing.T) {
		waitNoProcesses(t, pgDir, 0)
	})

	t.Run("second start reuses the data", func(t *testing.T) {
		m := mustRun(t, testConfig(dataDir))
		defer m.Close()
		if !m.Cluster().Reused() {
			t.Fatal("expected the existing cluster to be reused")
		}
		var n int
		if err := m.DB().Get(&n, `SELECT count(*) FROM communities`); err != nil || n != 1 {
			t.Fatalf("rows from the first run: %d (err %v), want 1", n, err)
		}
		var owner string
		if err := m.DB().Get(&owner, `SELECT tableowner FROM pg_tables WHERE tablename = 'communities'`); err != nil || owner != embeddedpg.OwnerRole {
			t.Fatalf("communities is owned by %q (%v) after a restart, want %s", owner, err, embeddedpg.OwnerRole)
		}
	})
	waitNoProcesses(t, pgDir, 0)

	t.Run("a stale postmaster.pid from a crash is ignored", func(t *testing.T) {
		// The recorded PID belongs to a live process of the cluster's own OS user that is not
		// postgres, as after a reboot or in a container; PostgreSQL alone would refuse to start.
		sleeper := exec.Command("sleep", "60")
		sleeper.SysProcAttr = &syscall.SysProcAttr{Credential: ownerOf(t, pgDir)}
		if err := sleeper.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
		stale := strconv.Itoa(sleeper.Process.Pid) + "\n" + pgDir + "\n1700000000\n5432\n" + pgDir + "\n\n  5432001         0\nready   \n"
		writeAsOwnerOf(t, pgDir, "postmaster.pid", stale)
		m := mustRun(t, testConfig(dataDir))
		defer m.Close()
		if status, _ := get(t, m.URL()+"readyz"); status != http.StatusOK {
			t.Fatalf("/readyz = %d after a stale lock", status)
		}
	})

	t.Run("readyz is 503 when the database is down", func(t *testing.T) {
		m := mustRun(t, testConfig(dataDir))
		defer m.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := m.Cluster().Stop(ctx); err != nil {
			t.Fatal(err)
		}
		status, body := get(t, m.URL()+"readyz")
		if status != http.StatusServiceUnavailable {
			t.Fatalf("/readyz = %d %s, want 503", status, body)
		}
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != "unavailable" {
			t.Fatalf("body %s: want error code unavailable", body)
		}
		if status, _ := get(t, m.URL()+"healthz"); status != http.StatusOK {
			t.Fatalf("/healthz = %d: the process itself is alive", status)
		}
	})
	waitNoProcesses(t, pgDir, 0)
}

// writeAsOwnerOf writes a file into dir owned like dir itself, as the crashed server would have.
func writeAsOwnerOf(t *testing.T, dir, name, content string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	owner := ownerOf(t, dir)
	if err := os.Chown(path, int(owner.Uid), int(owner.Gid)); err != nil {
		t.Fatal(err)
	}
}

func ownerOf(t *testing.T, path string) *syscall.Credential {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := info.Sys().(*syscall.Stat_t)
	if int(st.Uid) == os.Geteuid() {
		return nil // our own account: no switch needed (and a non-root test could not switch)
	}
	return &syscall.Credential{Uid: st.Uid, Gid: st.Gid}
}

// assertNoTCPListener checks the cluster listens on no TCP port: only its private socket.
func assertNoTCPListener(t *testing.T, pid int) {
	t.Helper()
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/net/tcp")
	if err != nil {
		t.Skipf("cannot read the process's TCP table: %v", err)
	}
	inodes := socketInodes(t, pid)
	for _, line := range strings.Split(string(raw), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 9 && f[3] == "0A" && inodes[f[9]] { // 0A: LISTEN
			t.Fatalf("postgres listens on TCP: %s", line)
		}
	}
}

func socketInodes(t *testing.T, pid int) map[string]bool {
	fds, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	inodes := map[string]bool{}
	for _, fd := range fds {
		target, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + fd.Name())
		if err == nil && strings.HasPrefix(target, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] = true
		}
	}
	return inodes
}

// serveProcess runs `casecircle serve` as a separate process and waits until it is ready.
type serveProcess struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
}

func startServeProcess(t *testing.T, dataDir string) *serveProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir)
	cmd.Env = append(os.Environ(), execAsMain+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{cmd: cmd, stderr: &lockedBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, after, ok := strings.Cut(sc.Text(), "casecircle is ready: open "); ok {
				ready <- strings.Fields(after)[0]
			}
		}
	}()
	select {
	case p.url = <-ready:
	case <-time.After(60 * time.Second):
		t.Fatalf("casecircle serve did not get ready; its log:\n%s", p.stderr.String())
	}
	return p
}

func TestServeProcess(t *testing.T) {
	t.Run("SIGTERM shuts down cleanly and stops postgres", func(t *testing.T) {
		dataDir := newDataDir(t)
		p := startServeProcess(t, dataDir)
		if status, _ := get(t, p.url+"readyz"); status != http.StatusOK {
			t.Fatalf("/readyz = %d", status)
		}
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := p.cmd.Wait(); err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.stderr.String())
		}
		waitNoProcesses(t, filepath.Join(dataDir, "postgres"), 0)
		if !strings.Contains(p.stderr.String(), "embedded PostgreSQL stopped") {
			t.Errorf("log does not say the cluster stopped:\n%s", p.stderr.String())
		}
	})

	t.Run("kill -9 leaves no orphan postgres", func(t *testing.T) {
		dataDir := newDataDir(t)
		p := startServeProcess(t, dataDir)
		pgDir := filepath.Join(dataDir, "postgres")
		if len(embeddedpg.ProcessesUsing(pgDir)) == 0 {
			t.Fatal("no postgres processes found while serving")
		}
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = p.cmd.Wait()
		waitNoProcesses(t, pgDir, 20*time.Second)
	})
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestDemoSeedIsIdempotent(t *testing.T) {
	url, _ := pgtest.NewDatabaseURL(t)
	for run := range 3 {
		var out strings.Builder
		m := NewMain(withTestKey(Config{Addr: "127.0.0.1:0", DatabaseURL: url, LogFormat: "text", Demo: true}), quietLogger())
		m.demoOut = &out
		if err := m.Run(context.Background()); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		var users, communities, members int
		db := m.DB()
		_ = db.Get(&users, `SELECT count(*) FROM users`)
		_ = db.Get(&communities, `SELECT count(*) FROM communities`)
		_ = db.Get(&members, `SELECT count(*) FROM memberships WHERE role IN ('facilitator','supervisor','member')`)
		m.Close()
		if users != 4 || communities != 1 || members != 4 {
			t.Fatalf("run %d: %d users, %d communities, %d memberships; want 4, 1, 4", run, users, communities, members)
		}
		for i, a := range demoAccounts {
			if run == 2 && i == 3 { // its password was changed after run 1
				if !strings.Contains(out.String(), a.email+" ") || strings.Contains(out.String(), a.password) ||
					!strings.Contains(out.String(), "changed since the demo began") {
					t.Fatalf("run %d: a changed password is not said so:\n%s", run, out.String())
				}
				continue
			}
			if !strings.Contains(out.String(), a.email) || !strings.Contains(out.String(), a.password) {
				t.Fatalf("run %d: credentials for %s not printed:\n%s", run, a.email, out.String())
			}
		}
		if run == 1 {
			// A demo member chooses another password (account page or reset link): the demo
			// still starts, and says so instead of printing the old one.
			db, err := postgres.Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			svc := casestudy.NewService(db, casestudy.WithSecretKey(testSecretKey))
			_, token, err := svc.SignIn(context.Background(), demoAccounts[3].email, demoAccounts[3].password)
			if err == nil {
				err = svc.ChangePassword(context.Background(), token, demoAccounts[3].password, "a password of their own choosing")
			}
			svc.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Close stops Main's jobs and waits for them, and a second Close (a test's cleanup after a
// signal, say) returns the first's result instead of panicking.
func TestMainCloseIsIdempotent(t *testing.T) {
	url, _ := pgtest.NewDatabaseURL(t)
	m := mustRun(t, Config{Addr: "127.0.0.1:0", DatabaseURL: url, LogFormat: "text"})
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	select {
	case err := <-m.ServeErr():
		if err != nil {
			t.Fatalf("serving ended with %v", err)
		}
	default:
		t.Fatal("Close returned before the HTTP server had stopped")
	}
}
