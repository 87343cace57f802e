package embeddedpg

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// ErrNoBinaries means no PostgreSQL server binaries could be found on this machine.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries found (looked on PATH, in `pg_config --bindir` and /usr/lib/postgresql/*/bin): " +
	"install them (Debian/Ubuntu: `sudo apt-get install postgresql`; macOS: `brew install postgresql`) " +
	"or set DATABASE_URL to use an existing PostgreSQL server")

// Binaries is one installation of the PostgreSQL server programs.
type Binaries struct {
	Dir     string // directory holding initdb and postgres
	Version string // e.g. "15.18"
	Major   int    // e.g. 15
	minor   int
}

// Initdb is the path of the initdb program.
func (b Binaries) Initdb() string { return filepath.Join(b.Dir, "initdb") }

// Postgres is the path of the server program.
func (b Binaries) Postgres() string { return filepath.Join(b.Dir, "postgres") }

// FindBinaries returns the newest PostgreSQL installation on this machine. When wantMajor is
// non-zero only that major version qualifies, because a cluster can only be opened by the major
// version that created it.
func FindBinaries(wantMajor int) (Binaries, error) {
	var found []Binaries
	seen := map[string]bool{}
	for _, dir := range candidateDirs() {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		b, err := inspect(dir)
		if err != nil {
			continue
		}
		found = append(found, b)
	}
	if len(found) == 0 {
		return Binaries{}, ErrNoBinaries
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].Major != found[j].Major {
			return found[i].Major > found[j].Major
		}
		return found[i].minor > found[j].minor
	})
	if wantMajor == 0 {
		return found[0], nil
	}
	for _, b := range found {
		if b.Major == wantMajor {
			return b, nil
		}
	}
	return Binaries{}, fmt.Errorf("this cluster was created by PostgreSQL %d but only PostgreSQL %s is installed: "+
		"install version %d (Debian/Ubuntu: `sudo apt-get install postgresql-%d`) or choose a new --data-dir",
		wantMajor, found[0].Version, wantMajor, wantMajor)
}

// candidateDirs lists every place the server programs commonly live, in no particular order:
// the newest version wins later, whatever its source.
func candidateDirs() []string {
	var dirs []string
	if p, err := exec.LookPath("postgres"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	for _, pattern := range []string{
		"/usr/lib/postgresql/*/bin",         // Debian, Ubuntu
		"/usr/pgsql-*/bin",                  // RHEL family (PGDG)
		"/opt/homebrew/opt/postgresql*/bin", // macOS, Apple silicon
		"/usr/local/opt/postgresql*/bin",    // macOS, Intel
	} {
		matches, _ := filepath.Glob(pattern)
		dirs = append(dirs, matches...)
	}
	return dirs
}

var versionPattern = regexp.MustCompile(`\(PostgreSQL\) (\d+)(?:\.(\d+))?`)

func inspect(dir string) (Binaries, error) {
	b := Binaries{Dir: dir}
	for _, prog := range []string{b.Initdb(), b.Postgres()} {
		if info, err := os.Stat(prog); err != nil || info.Mode()&0o111 == 0 {
			return b, fmt.Errorf("%s is not executable", prog)
		}
	}
	out, err := exec.Command(b.Postgres(), "--version").Output()
	if err != nil {
		return b, err
	}
	m := versionPattern.FindStringSubmatch(string(out))
	if m == nil {
		return b, fmt.Errorf("unrecognised version output %q", out)
	}
	b.Major, _ = strconv.Atoi(m[1])
	b.Version = m[1]
	if m[2] != "" {
		b.minor, _ = strconv.Atoi(m[2])
		b.Version += "." + m[2]
	}
	return b, nil
}
