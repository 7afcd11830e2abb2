package auditreport

import (
	"bytes"
	"strings"
	"testing"

	"outlast/internal/audit"
)

func TestText(t *testing.T) {
	r := quorumTrap()
	var b bytes.Buffer
	if err := Text(&b, r, audit.Warning); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"What one failure does (N-1):",
		"What two failures at once do (N-2):",
		"outlast quorum", // the matrix's outlast columns
		"LOST",
		"why: ", "fix: ",
		"FAIL: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the text report lacks %q:\n%s", want, out)
		}
	}
	// Info findings are one line each, without why and fix.
	for _, f := range r.Findings {
		if f.Severity == audit.Info && !strings.Contains(out, "  - ["+string(f.Check)+"] "+f.Summary+"\n") {
			t.Errorf("the info finding %q is not listed on one line", f.Summary)
		}
	}
	b.Reset()
	if err := Text(&b, &audit.Report{Source: "x"}, audit.Info); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "PASS: no finding at or above info") || strings.Contains(b.String(), "N-1") {
		t.Errorf("an empty report should pass and show no matrix:\n%s", b.String())
	}
}
