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
	err = fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := fs.ReadFile(static, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(content)
		hash := hex.EncodeToString(sum[:])[:12]
		ext := path.Ext(name)
		fingerprinted := strings.TrimSuffix(name, ext) + "." + hash + ext
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		a.byName[name] = "/static/" + fingerprinted
		a.byFingerprint[fingerprinted] = asset{content: content, contentType: ctype, etag: `"` + hash + `"`}
		return nil
	})
	return a, err
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
