package statuspagetest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// SaveScreenshot saves the page, laid out width pixels wide (0 keeps the
// current width), as name in $OUTLAST_SCREENSHOT_DIR, else in a temporary
// directory, logs where, and returns the path: the screenshots are for a
// person to look at.
func (p *Page) SaveScreenshot(t testing.TB, name string, width int64) string {
	t.Helper()
	dir := os.Getenv("OUTLAST_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name)
	if err := p.Screenshot(path, width); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// WantSelfContained fails t for every URL the page asked for outside its
// own file: a report must open while half the internet is broken.
func (p *Page) WantSelfContained(t testing.TB) {
	t.Helper()
	for _, u := range p.Requested() {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page fetched %s; it must be self-contained", u)
		}
	}
}
