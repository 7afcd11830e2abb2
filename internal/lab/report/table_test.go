package report

import (
	"strings"
	"testing"
)

func TestTableHasOneAlignedRowPerScenario(t *testing.T) {
	var b strings.Builder
	if err := Table(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Logf("\n%s", out)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	want := map[string][]string{
		"region-outage": {"1.6 s", "2.1 s", "7.0 s", "812", "99.8%", "PASS"},
		"false-alarm":   {"-", "0.0 s", "100.0%", "PASS"},
		"recovery":      {"1.4 s", "2.3 s", "7.2 s", "790", "99.5%", "2.2 s", "FAIL"},
	}
	resultCol := strings.Index(lines[0], "result")
	if resultCol < 0 {
		t.Fatalf("no result column in header %q", lines[0])
	}
	for name, cells := range want {
		row := lineStarting(lines, name+" ")
		if row == "" {
			t.Fatalf("no row for %s in\n%s", name, out)
		}
		for _, c := range cells {
			if !strings.Contains(row, c) {
				t.Errorf("row %q lacks %q", row, c)
			}
		}
		if got := strings.LastIndex(row, " ") + 1; got != resultCol {
			t.Errorf("row %q: result at column %d, header at %d", row, got, resultCol)
		}
	}
	for _, l := range []string{"FAIL recovery: 1 flap > 0", "2 of 3 scenarios passed; failed: recovery"} {
		if lineStarting(lines, l) == "" {
			t.Errorf("missing line %q in\n%s", l, out)
		}
	}
}

func TestTableDashForNoHeal(t *testing.T) {
	var b strings.Builder
	if err := Table(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	row := lineStarting(strings.Split(b.String(), "\n"), "region-outage ")
	fields := strings.Fields(row)
	// scenario, detection (2 words), steering (2), recovery (2), errors,
	// success, false failovers, flaps, return, result
	if got := fields[len(fields)-2]; got != "-" {
		t.Errorf("return of a scenario without heal = %q, want -; row %q", got, row)
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{seconds(1.44), "1.4 s"}, {seconds(0), "0.0 s"}, {seconds(-1), "-"},
		{percent(99.95), "99.9%"}, {percent(100), "100.0%"}, {percent(-1), "-"},
		{verdict(true), "PASS"}, {verdict(false), "FAIL"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func lineStarting(lines []string, prefix string) string {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
