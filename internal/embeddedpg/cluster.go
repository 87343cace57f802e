// Package embeddedpg runs a private PostgreSQL cluster from the machine's own PostgreSQL
// binaries, so that casecircle (and its tests) need no database server set up by hand.
//
// The cluster listens only on a Unix socket inside its own directory, never on TCP. When the
// process is root it runs as the "postgres" OS user, because initdb and postgres refuse root.
// It is stopped cleanly by Stop and, should this process die without calling Stop, the kernel
// tells postgres to shut down (parent-death signal), so no orphan is ever left behind.
package embeddedpg

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"
)

// SuperUser is the name of the cluster's superuser role.
const SuperUser = "postgres"

// port only names the socket file (.s.PGSQL.<port>); there is no TCP listener, so it never clashes.
const port = 5432

// maxSocketPath is the kernel's limit on a Unix socket path (sun_path) less the terminating NUL.
const maxSocketPath = 107

// Config says where and how to run a cluster.
type Config struct {
	// Dir is the cluster's data directory (PGDATA). It is created, and initialised, when missing.
	Dir string
	// Logger receives a few lines about what the cluster does; nil means slog.Default().
	Logger *slog.Logger
	// Ephemeral trades durability for speed (no fsync): for throwaway test clusters only.
	Ephemeral bool
}

// Cluster is a running private PostgreSQL server.
type Cluster struct {
	dir     string
	bin     Binaries
	log     *slog.Logger
	logPath string
	cmd     *exec.Cmd
	done    chan struct{} // closed when the postmaster has exited
	waitErr error
	reused  bool
}

// Start initialises the cluster on first use (or reuses the existing one) and starts it,
// returning once it accepts connections.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if n := len(filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(port))); n > maxSocketPath {
		return nil, fmt.Errorf("the data directory path %s is too long for a Unix socket (%d bytes, at most %d): choose a shorter --data-dir", dir, n, maxSocketPath)
	}
	owner, err := clusterOwner()
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, log: cfg.Logger, logPath: dir + ".log", done: make(chan struct{})}

	existingMajor, err := existingVersion(dir)
	if err != nil {
		return nil, err
	}
	if c.bin, err = FindBinaries(existingMajor); err != nil {
		return nil, err
	}
	if err := prepareDir(dir, owner); err != nil {
		return nil, err
	}
	if existingMajor == 0 {
		if err := c.initdb(ctx, owner, cfg.Ephemeral); err != nil {
			return nil, err
		}
	} else {
		c.reused = true
		if err := removeStaleLocks(dir, c.log); err != nil {
			return nil, err
		}
	}
	if err := c.start(owner, cfg.Ephemeral); err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx); err != nil {
		_ = c.Stop(context.Background())
		return nil, err
	}
	c.log.Info("embedded PostgreSQL running", "version", c.bin.Version, "dir", dir, "reused", c.reused)
	return c, nil
}

// Dir is the cluster's data directory.
func (c *Cluster) Dir() string { return c.dir }

// Version is the PostgreSQL version running the cluster, e.g. "15.18".
func (c *Cluster) Version() string { return c.bin.Version }

// Reused says whether Start found an existing cluster rather than creating one.
func (c *Cluster) Reused() bool { return c.reused }

// PID is the postmaster's process id.
func (c *Cluster) PID() int { return c.cmd.Process.Pid }

// Done is closed when the server process has exited, for whatever reason.
func (c *Cluster) Done() <-chan struct{} { return c.done }

// URL is a libpq connection URL for the named database, over the cluster's private socket.
func (c *Cluster) URL(database string) string {
	q := url.Values{"host": {c.dir}, "user": {SuperUser}, "sslmode": {"disable"}}
	return (&url.URL{Scheme: "postgres", Path: "/" + database, RawQuery: q.Encode()}).String()
}

// CreateDatabase creates the named database unless it exists already.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	db, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("looking for database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return fmt.Errorf("creating database %s: %w", name, err)
	}
	return nil
}

// Stop shuts the server down ("fast" shutdown: open sessions are ended, then a checkpoint),
// escalating to an immediate shutdown and finally SIGKILL if ctx ends first.
func (c *Cluster) Stop(ctx context.Context) error {
	select {
	case <-c.done:
		return nil
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
		c.log.Info("embedded PostgreSQL stopped", "dir", c.dir)
		return nil
	case <-ctx.Done():
	}
	_ = c.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-c.done:
		return errors.New("embedded PostgreSQL needed an immediate shutdown")
	case <-time.After(5 * time.Second):
	}
	_ = c.cmd.Process.Kill()
	<-c.done
	return errors.New("embedded PostgreSQL had to be killed")
}

// owner is the OS account the cluster runs as: this process's own, or "postgres" when root.
type owner struct {
	uid, gid int
	name     string
	switchTo bool // run children with these credentials
}

func clusterOwner() (owner, error) {
	if os.Geteuid() != 0 {
		return owner{uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return owner{}, errors.New("running as root, but PostgreSQL refuses to run as root and there is no \"postgres\" OS user to run it as: " +
			"install PostgreSQL from your distribution (it creates that user), run casecircle as a normal user, or set DATABASE_URL")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return owner{uid: uid, gid: gid, name: "postgres", switchTo: true}, nil
}

func (o owner) sysProcAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{}
	if o.switchTo {
		attr.Credential = &syscall.Credential{Uid: uint32(o.uid), Gid: uint32(o.gid)}
	}
	return attr
}

// existingVersion returns the major version of the cluster in dir, or 0 when there is none yet.
func existingVersion(dir string) (int, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if errors.Is(err, os.ErrNotExist) {
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			return 0, fmt.Errorf("%s is neither empty nor a PostgreSQL cluster: choose another --data-dir", dir)
		}
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	major, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return 0, fmt.Errorf("%s/PG_VERSION is unreadable: %q", dir, raw)
	}
	return major, nil
}

// prepareDir creates the data directory with the private mode PostgreSQL insists on, owned by
// the account that will run the server, and checks that account can reach it at all.
func prepareDir(dir string, o owner) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	if o.switchTo {
		info, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != o.uid {
			if err := chownTree(dir, o.uid, o.gid); err != nil {
				return err
			}
		}
		if err := checkTraversable(filepath.Dir(dir), o); err != nil {
			return err
		}
	}
	return os.Chmod(dir, 0o700)
}

func chownTree(dir string, uid, gid int) error {
	return filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
}

// checkTraversable fails early, with advice, where the postgres account could not even reach
// the data directory (a checkout under /root is the usual case).
func checkTraversable(dir string, o owner) error {
	for d := dir; ; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		if err != nil {
			return err
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if ok {
			mode := info.Mode().Perm()
			var allowed bool
			switch {
			case int(st.Uid) == o.uid:
				allowed = mode&0o100 != 0
			case int(st.Gid) == o.gid:
				allowed = mode&0o010 != 0
			default:
				allowed = mode&0o001 != 0
			}
			if !allowed {
				return fmt.Errorf("the %q OS user, which runs the embedded PostgreSQL when casecircle runs as root, cannot enter %s (mode %v): "+
					"choose a --data-dir it can reach (e.g. /var/lib/casecircle), run casecircle as a normal user, or set DATABASE_URL", o.name, d, mode)
			}
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// removeStaleLocks deletes lock files left by a server that is gone (a crash or a power cut).
// PostgreSQL itself refuses to start when the recorded PID now belongs to any live process,
// which after a reboot or in a container is common, so we decide ourselves: a lock is live only
// when its PID is a postgres process working in this very directory.
func removeStaleLocks(dir string, log *slog.Logger) error {
	pidFile := filepath.Join(dir, "postmaster.pid")
	raw, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	if pid > 0 && isPostgresIn(pid, dir) {
		return fmt.Errorf("PostgreSQL (pid %d) is already running on %s: is another casecircle using this --data-dir?", pid, dir)
	}
	log.Warn("removing stale lock files left by an earlier PostgreSQL that did not shut down cleanly", "dir", dir, "stale_pid", pid)
	for _, name := range []string{"postmaster.pid", ".s.PGSQL." + strconv.Itoa(port), ".s.PGSQL." + strconv.Itoa(port) + ".lock"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func isPostgresIn(pid int, dir string) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return true // no /proc (not Linux): trust the signal probe
	}
	if strings.TrimSpace(string(comm)) != "postgres" {
		return false
	}
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	return err != nil || sameDir(cwd, dir)
}

func sameDir(a, b string) bool {
	ra, errA := filepath.EvalSymlinks(a)
	rb, errB := filepath.EvalSymlinks(b)
	return errA == nil && errB == nil && ra == rb
}

// ProcessesUsing lists the PostgreSQL processes (postmaster and backends) whose working directory
// is dir. PostgreSQL chdirs into its data directory, so this finds every process of a cluster.
func ProcessesUsing(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); err == nil && sameDir(cwd, dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func (c *Cluster) initdb(ctx context.Context, o owner, ephemeral bool) error {
	args := []string{"-D", c.dir, "-U", SuperUser, "-E", "UTF8", "--locale=C",
		// Only this account (and root) can open the 0700 socket directory, so trusting local
		// connections gives no one else access; TCP is never enabled.
		"--auth-local=trust", "--auth-host=reject"}
	if ephemeral {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, c.bin.Initdb(), args...)
	cmd.Dir = c.dir
	cmd.Env = childEnv()
	cmd.SysProcAttr = o.sysProcAttr()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	c.log.Info("creating embedded PostgreSQL cluster", "version", c.bin.Version, "dir", c.dir)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb failed: %w\n%s", err, strings.TrimSpace(out.String()))
	}
	return nil
}

func (c *Cluster) start(o owner, ephemeral bool) error {
	args := []string{"-D", c.dir,
		"-c", "listen_addresses=",
		"-c", "unix_socket_directories=" + c.dir,
		"-c", "unix_socket_permissions=0700",
		"-p", strconv.Itoa(port),
	}
	if ephemeral {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	logFile, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child holds its own copy of the descriptor

	c.cmd = exec.Command(c.bin.Postgres(), args...)
	c.cmd.Dir = c.dir
	c.cmd.Env = childEnv()
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	c.cmd.SysProcAttr = o.sysProcAttr()
	// Its own process group keeps a terminal's Ctrl-C away from postgres: we stop it ourselves,
	// after the HTTP server has drained.
	c.cmd.SysProcAttr.Setpgid = true
	// If this process dies without stopping the cluster, the kernel asks postgres for a fast
	// shutdown. The signal fires when the *thread* that started the child exits, so the child is
	// started from a goroutine that stays locked to its thread until the child is gone.
	c.cmd.SysProcAttr.Pdeathsig = syscall.SIGINT

	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine, after Wait
		if err := c.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.waitErr = c.cmd.Wait()
		close(c.done)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	return nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	db, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	for {
		pingCtx, cancelPing := context.WithTimeout(ctx, time.Second)
		err := db.PingContext(pingCtx)
		cancelPing()
		if err == nil {
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("postgres exited during start-up (%v); its log %s ends:\n%s", c.waitErr, c.logPath, tail(c.logPath, 15))
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections in time (%v); its log %s ends:\n%s", err, c.logPath, tail(c.logPath, 15))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// childEnv keeps the parent's PG* variables (PGDATA, PGHOST, …) away from the cluster's programs.
func childEnv() []string {
	env := []string{"LC_ALL=C"}
	if p := os.Getenv("PATH"); p != "" {
		env = append(env, "PATH="+p)
	}
	return env
}

func tail(path string, lines int) string {
	f, err := os.Open(path)
	if err != nil {
		return "(no log)"
	}
	defer f.Close()
	raw, _ := io.ReadAll(f)
	all := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
