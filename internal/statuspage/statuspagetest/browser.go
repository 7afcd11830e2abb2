package statuspagetest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumNames are the binaries tried, in order, after $OUTLAST_CHROMIUM.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "/usr/bin/chromium"}

// Chromium returns the browser to run: $OUTLAST_CHROMIUM, else the first of
// the usual names on $PATH, else "".
func Chromium() string {
	if p := os.Getenv("OUTLAST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Page is one status page open in a headless Chromium.
type Page struct {
	ctx context.Context
	bin string

	mu          sync.Mutex
	navigations int // main-frame navigations since Open, the first included
	requested   []string
}

// Option adjusts how Open loads the page.
type Option func(network.Headers)

// WithHeader sends a header with every request of the page, its live
// updates included: an Authorization header for a page that is not public.
func WithHeader(key, value string) Option {
	return func(h network.Headers) { h[key] = value }
}

// Open starts a headless Chromium for t, bounded by two minutes and closed
// when t ends, and loads url in it. It skips t when there is no Chromium.
func Open(t testing.TB, url string, opts ...Option) *Page {
	t.Helper()
	bin := Chromium()
	if bin == "" {
		t.Skipf("no Chromium found (tried $OUTLAST_CHROMIUM and %s); install it (.ci/install-chromium) to run this test",
			strings.Join(chromiumNames, ", "))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	p := &Page{bin: bin}
	// Chromium now and then fails to start when another test starts one
	// at the same moment ("chrome failed to start"); a second start works.
	var err error
	for try := 1; try <= startTries; try++ {
		if p.ctx, err = start(t, ctx, bin, p.listen); err == nil {
			break
		}
		t.Logf("starting %s, try %d of %d: %v", bin, try, startTries, err)
		time.Sleep(time.Duration(try) * time.Second)
	}
	if err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	bctx := p.ctx
	headers := network.Headers{}
	for _, o := range opts {
		o(headers)
	}
	if len(headers) > 0 {
		if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
			t.Fatalf("enabling the network domain: %v", err)
		}
		if _, err := chromedp.Call(bctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: headers}); err != nil {
			t.Fatalf("setting headers: %v", err)
		}
	}
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(url)); err != nil {
		t.Fatalf("loading %s in %s: %v", url, bin, err)
	}
	// A mark in the page's JavaScript world: a reload would lose it.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[string](`window.__outlastMark = "kept"`)); err != nil {
		t.Fatalf("marking the page: %v", err)
	}
	return p
}

// startTries is how many times Open starts Chromium before it gives up.
const startTries = 3

// start runs a Chromium whose events go to listen and returns its
// context; a failed start leaves nothing running.
func start(t testing.TB, ctx context.Context, bin string, listen func(any)) (context.Context, error) {
	actx, acancel := chromedp.NewExecAllocator(ctx, Options(bin, t.TempDir())...)
	bctx, bcancel := chromedp.NewContext(actx)
	if err := chromedp.Listen(bctx, listen); err != nil {
		bcancel()
		acancel()
		return nil, err
	}
	t.Cleanup(func() { bcancel(); acancel() })
	return bctx, nil
}

// Options keep a headless Chromium from reaching for the internet (the test
// machines have none, and it would only slow the start) and give it a fresh
// profile. Every browser test of the project starts Chromium with them.
func Options(bin, profile string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
	)
}

func (p *Page) listen(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e := ev.(type) {
	case *page.EventFrameNavigated:
		if e.Frame.ParentID == "" {
			p.navigations++
		}
	case *network.EventRequestWillBeSent:
		p.requested = append(p.requested, e.Request.URL)
	}
}

// Context is the browser tab's context, for further chromedp actions.
func (p *Page) Context() context.Context { return p.ctx }

// Requested lists every URL the page asked for since Open.
func (p *Page) Requested() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requested...)
}
