package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"outlast/internal/statuspage/statuspagetest"
)

type size struct{ W, H float64 }

// TestHTMLInChromium opens the report in a real browser: one chart per
// scenario, each actually laid out, and nothing fetched from outside the
// file. It saves a full-page screenshot to $OUTLAST_SCREENSHOT (default: a
// temporary directory) and a phone-width one beside it, for a person to look at.
func TestHTMLInChromium(t *testing.T) {
	bin := statuspagetest.Chromium()
	if bin == "" {
		t.Skip("no Chromium found (tried $OUTLAST_CHROMIUM, then chromium and google-chrome on PATH); run .ci/install-chromium")
	}
	r := sampleReport()
	file := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := HTML(f, r); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	shot := os.Getenv("OUTLAST_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "report.png")
	}

	bctx, requested := openBrowser(t, bin)
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate("file://"+file)); err != nil {
		t.Fatalf("opening the report in %s: %v", bin, err)
	}
	checkTimelines(t, bctx, len(r.Scenarios))
	saveScreenshot(t, bctx, shot)

	phone := strings.TrimSuffix(shot, ".png") + "-phone.png"
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatalf("phone viewport: %v", err)
	}
	checkTimelines(t, bctx, len(r.Scenarios))
	saveScreenshot(t, bctx, phone)

	for _, u := range requested() {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the report fetched %s; it must be self-contained", u)
		}
	}
}

// openBrowser starts Chromium for one test, all of it bounded by a minute,
// and records every URL the page requests.
func openBrowser(t *testing.T, bin string) (context.Context, func() []string) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, statuspagetest.Options(bin, t.TempDir())...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)

	var mu sync.Mutex
	var urls []string
	if err := chromedp.Listen(bctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			urls = append(urls, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	return bctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), urls...)
	}
}

// checkTimelines wants one laid-out svg.timeline per scenario.
func checkTimelines(t *testing.T, ctx context.Context, want int) {
	t.Helper()
	boxes, err := chromedp.Run(ctx, chromedp.Evaluate[[]size](`[...document.querySelectorAll("svg.timeline")]
		.map(e => { const r = e.getBoundingClientRect(); return {W: r.width, H: r.height}; })`))
	if err != nil {
		t.Fatalf("counting charts: %v", err)
	}
	if len(boxes) != want {
		t.Fatalf("the browser shows %d svg.timeline charts, want %d (one per scenario)", len(boxes), want)
	}
	for i, b := range boxes {
		if b.W <= 0 || b.H <= 0 {
			t.Errorf("chart %d is laid out as %.0fx%.0f, want a non-empty box", i, b.W, b.H)
		}
	}
}

func saveScreenshot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
