package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/frontend"
)

// assets serves the embedded static files under content-hashed names ("app.3f2a9c1b0d.css"), so
// browsers may cache them for a year: a changed file gets a new name.
type assets struct {
	byName        map[string]string // "app.css" → "/static/app.3f2a9c1b0d.css"
	byFingerprint map[string]asset  // "app.3f2a9c1b0d.css" → content
}

type asset struct {
	content     []byte
	contentType string
	etag        string
}

// buildTime stands in for the files' modification time, which embed does not keep.
var buildTime = time.Now()

func newAssets() (*assets, error) {
	a := &assets{byName: map[string]string{}, byFingerprint: map[string]asset{}}
	static, err := fs.Sub(frontend.Static, "static")
	if err != nil {
		return nil, err
	}
	raw := map[string][]byte{}
	err = fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw[name], err = fs.ReadFile(static, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	for name := range raw {
		if _, err := a.add(name, raw, nil); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// moduleImport matches a relative ES module import: from './room-client.js'.
var moduleImport = regexp.MustCompile(`(from\s+|import\s*\(\s*)'\./([A-Za-z0-9_.-]+\.js)'`)

// add fingerprints one file. A module's relative imports are first rewritten to the
// fingerprinted names of what they import, so a changed dependency changes its importers'
// names too, and every module stays cacheable forever.
func (a *assets) add(name string, raw map[string][]byte, visiting []string) (string, error) {
	if u, ok := a.byName[name]; ok {
		return u, nil
	}
	if slices.Contains(visiting, name) {
		return "", fmt.Errorf("static modules import each other in a cycle: %v", append(visiting, name))
	}
	content, ok := raw[name]
	if !ok {
		return "", fmt.Errorf("static asset %v imports missing %q", visiting, name)
	}
	ext := path.Ext(name)
	if ext == ".js" {
		var failed error
		content = moduleImport.ReplaceAllFunc(content, func(m []byte) []byte {
			sub := moduleImport.FindSubmatch(m)
			u, err := a.add(string(sub[2]), raw, append(visiting, name))
			if err != nil {
				failed = err
				return m
			}
			return []byte(string(sub[1]) + "'" + u + "'")
		})
		if failed != nil {
			return "", failed
		}
	}
	sum := sha256.Sum256(content)
	hash := hex.EncodeToString(sum[:])[:12]
	fingerprinted := strings.TrimSuffix(name, ext) + "." + hash + ext
	ctype := mime.TypeByExtension(ext)
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	a.byName[name] = "/static/" + fingerprinted
	a.byFingerprint[fingerprinted] = asset{content: content, contentType: ctype, etag: `"` + hash + `"`}
	return a.byName[name], nil
}

// url is the fingerprinted URL of a static file, for templates.
func (a *assets) url(name string) (string, error) {
	u, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("no static asset %q", name)
	}
	return u, nil
}

func (s *Server) registerAssetRoutes(e *echo.Echo) {
	e.GET("/static/*", s.handleAsset)
	e.GET("/sw.js", s.handleServiceWorker)
}

// handleServiceWorker serves the web push service worker at the root, so that its scope is
// the whole site; it is fetched again on every check (browsers look for updates).
func (s *Server) handleServiceWorker(c echo.Context) error {
	u, err := s.assets.url("sw.js")
	if err != nil {
		return echo.ErrNotFound
	}
	f := s.assets.byFingerprint[strings.TrimPrefix(u, "/static/")]
	h := c.Response().Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, f.contentType, f.content)
}

func (s *Server) handleAsset(c echo.Context) error {
	f, ok := s.assets.byFingerprint[c.Param("*")]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", f.etag)
	http.ServeContent(c.Response(), c.Request(), "", buildTime, bytes.NewReader(f.content))
	return nil
}
