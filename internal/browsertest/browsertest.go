// Package browsertest drives the Debian Chromium headless with chromedp for end-to-end tests.
//
// Each Browser is its own Chromium process with its own profile (cookies, storage), so two
// Browsers are two independent people. Profiles and Chromium's temporary files live under the
// test's temp dir and vanish with it.
package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package installs the browser.
const ChromiumPath = "/usr/bin/chromium"

// StepTimeout bounds one Run of actions, so a broken page fails the test instead of hanging it.
const StepTimeout = 20 * time.Second

// Browser is one headless Chromium.
type Browser struct {
	ctx context.Context
	t   testing.TB
	// leaveWarnings counts "leave this page?" (beforeunload) dialogs, each accepted at once.
	leaveWarnings atomic.Int64
	dialogsDone   chan struct{}
}

// New starts a headless Chromium for t, closed when t ends. Without Chromium the test fails
// under CI=true and is skipped, loudly, elsewhere.
func New(t testing.TB) *Browser {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		msg := "browsertest: " + ChromiumPath + " not found; install it with `apt-get install -y chromium` (make test does)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPING BROWSER TEST: " + msg)
	}
	dir := t.TempDir()
	profile := filepath.Join(dir, "profile")
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(profile),
		chromedp.Env("TMPDIR=" + tmp),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	// The first Run starts the browser. Its context must carry no timeout: when that context
	// ends, chromedp closes the browser.
	if err := chromedp.Do(ctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("browsertest: starting Chromium: %v", err)
	}
	b := &Browser{ctx: ctx, t: t, dialogsDone: make(chan struct{})}
	// The page's "leave with unsaved changes?" prompts are answered (leave) and counted, so
	// that a test can navigate away and say whether it was warned. This goroutine ends with the
	// browser's context.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		defer close(b.dialogsDone)
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			if ev.Type == page.DialogTypeBeforeunload {
				b.leaveWarnings.Add(1)
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}
		}
	}()
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		<-b.dialogsDone
	})
	return b
}

// SetTimezone makes the tab's clock read in the IANA zone id ("Europe/Berlin"), as a reader
// there would see it.
func (b *Browser) SetTimezone(id string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: id}); err != nil {
		b.t.Fatalf("browsertest: setting the time zone: %v", err)
	}
}

// LeaveWarnings is how many times a page asked before being left (beforeunload).
func (b *Browser) LeaveWarnings() int { return int(b.leaveWarnings.Load()) }

// Do performs actions in the browser's tab, in order, within StepTimeout, failing the test on
// error.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fail(err)
	}
}

// fail reports where the page was and what it said, which is usually the whole story.
func (b *Browser) fail(err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	location, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	b.t.Fatalf("browser: %v\nat %s, the page reads:\n%s", err, location, text)
}

// Get runs one action that yields a value (Text, Title, Evaluate, …) within StepTimeout.
func Get[T any](b *Browser, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.fail(err)
	}
	return v
}

// Screenshot saves a full-page PNG of the current page as name.png in the directory named by
// CASECIRCLE_SCREENSHOTS, when that is set, so a person can look at what the test saw.
func (b *Browser) Screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("CASECIRCLE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := Get(b, chromedp.FullScreenshot(100)) // quality 100 means PNG
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// SaveDownloadsIn makes the browser save downloads in dir, under the names the server suggests.
func (b *Browser) SaveDownloadsIn(dir string) {
	b.t.Helper()
	b.Do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	}))
}

// Downloaded waits up to StepTimeout for a finished download in dir whose name matches pattern
// (filepath.Match) and returns its content.
func (b *Browser) Downloaded(dir, pattern string) []byte {
	b.t.Helper()
	deadline := time.Now().Add(StepTimeout)
	for {
		matches, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, m := range matches {
			if filepath.Ext(m) == ".crdownload" {
				continue
			}
			if body, err := os.ReadFile(m); err == nil && len(body) > 0 {
				return body
			}
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(dir)
			b.t.Fatalf("browsertest: no download matching %s in %s (it holds %v)", pattern, dir, entries)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
