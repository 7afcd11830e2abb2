package auditreport

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"outlast/internal/statuspage/statuspagetest"
)

// matrixState is what the browser lays out of the matrix.
type matrixState struct {
	Rows, Cells  int
	W, H         float64
	Cell, CellBG string
	PageWidth    float64
}

// readMatrix counts the rows and cells the browser shows and reads the
// aws × www cell: its text without the screen-reader note, and its colour.
const readMatrix = `(() => {
	const m = document.getElementById("matrix");
	const box = m.getBoundingClientRect();
	const row = [...m.querySelectorAll("tr[data-domain]")].find(r => r.dataset.domain === "aws");
	const cell = row && [...row.querySelectorAll("td")].find(c => c.dataset.service === "www.example.com.");
	const text = cell ? [...cell.childNodes].filter(n => !(n.classList && n.classList.contains("sr")))
		.map(n => n.textContent).join("") : "";
	return {
		Rows: m.querySelectorAll("tbody tr[data-domain]").length,
		Cells: m.querySelectorAll("tbody tr[data-domain] td").length,
		W: box.width, H: box.height,
		Cell: text, CellBG: cell ? getComputedStyle(cell).backgroundColor : "",
		PageWidth: document.documentElement.scrollWidth,
	};
})()`

// TestHTMLInChromium opens the page in a real browser from a file: the
// matrix is laid out with every row and cell, a cell reads and looks as
// it should, nothing is fetched from outside the file, and on a phone the
// page itself does not scroll sideways (the matrix does, in its box).
// Screenshots go to $OUTLAST_SCREENSHOT_DIR, else a temporary directory.
func TestHTMLInChromium(t *testing.T) {
	file := filepath.Join(t.TempDir(), "audit.html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := HTML(f, quorumTrap()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	p := statuspagetest.Open(t, "file://"+file) // skips, saying why, without Chromium
	checkMatrix(t, p, "desktop", 1280)
	p.SaveScreenshot(t, "audit-report.png", 0)
	p.SaveScreenshot(t, "audit-report-phone.png", 390)
	checkMatrix(t, p, "phone", 390)
	p.WantSelfContained(t)
}

// checkMatrix reads the matrix as the browser lays it out on a screen
// width pixels wide.
func checkMatrix(t *testing.T, p *statuspagetest.Page, where string, width float64) {
	t.Helper()
	got, err := chromedp.Run(p.Context(), chromedp.Evaluate[matrixState](readMatrix))
	if err != nil {
		t.Fatalf("%s: reading the matrix: %v", where, err)
	}
	if got.Rows != 6 || got.Cells != 6*5 {
		t.Errorf("%s: the browser shows %d rows and %d cells, want 6 rows of 5 (2 services, 3 of outlast)", where, got.Rows, got.Cells)
	}
	if got.W <= 0 || got.H <= 0 {
		t.Errorf("%s: the matrix is laid out as %.0fx%.0f, want a visible box", where, got.W, got.H)
	}
	if want := "⚠ stuck · 50%"; got.Cell != want {
		t.Errorf("%s: the aws × www cell reads %q, want %q", where, got.Cell, want)
	}
	if want := "rgb(226, 112, 46)"; got.CellBG != want { // impactStyles' stuck, #e2702e
		t.Errorf("%s: the aws × www cell is coloured %s, want %s", where, got.CellBG, want)
	}
	// A mobile browser widens its layout to fit whatever sticks out, so
	// the page is compared with the screen rather than with innerWidth.
	if got.PageWidth > width {
		t.Errorf("%s: the page is %.0f pixels wide on a %.0f-pixel screen; only the matrix may scroll sideways", where, got.PageWidth, width)
	}
}

// geoState is what the browser lays out of the geo section.
type geoState struct {
	Moves, Past int
	W, H        float64
	PageWidth   float64
}

const readGeo = `(() => {
	const t = document.querySelector("table.moves");
	const box = t ? t.getBoundingClientRect() : {width: 0, height: 0};
	return {
		Moves: document.querySelectorAll("table.moves li").length,
		Past: document.querySelectorAll("table.moves li.past").length,
		W: box.width, H: box.height,
		PageWidth: document.documentElement.scrollWidth,
	};
})()`

// TestHTMLGeoInChromium: the areas' moves are laid out, every one, and on
// a phone they scroll in their box rather than widen the page.
func TestHTMLGeoInChromium(t *testing.T) {
	file := filepath.Join(t.TempDir(), "audit-geo.html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := HTML(f, twoAreas()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	p := statuspagetest.Open(t, "file://"+file) // skips, saying why, without Chromium
	p.SaveScreenshot(t, "audit-report-geo-phone.png", 390)
	got, err := chromedp.Run(p.Context(), chromedp.Evaluate[geoState](readGeo))
	if err != nil {
		t.Fatalf("reading the geo section: %v", err)
	}
	if got.Moves != 5 || got.Past != 2 {
		t.Errorf("the browser shows %d moves, %d past their order; want 5 and 2", got.Moves, got.Past)
	}
	if got.W <= 0 || got.H <= 0 {
		t.Errorf("the moves are laid out as %.0fx%.0f, want a visible box", got.W, got.H)
	}
	if got.PageWidth > 390 {
		t.Errorf("the page is %.0f pixels wide on a 390-pixel screen; only the tables may scroll sideways", got.PageWidth)
	}
	p.WantSelfContained(t)
}
