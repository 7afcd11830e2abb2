package tlsca

import (
	"strings"
	"testing"
)

// wantMessage checks what an error tells the operator who reads it: that
// err is not nil and its text says each of says (the file to look at, the
// command to run). It is for wording with no sentinel error behind it; a
// test that can tell the error apart by errors.Is or errors.As does that
// first.
func wantMessage(t *testing.T, err error, says ...string) bool {
	t.Helper()
	if err == nil {
		t.Errorf("no error, want one saying %q", says)
		return false
	}
	text := err.Error()
	for _, s := range says {
		if !strings.Contains(text, s) {
			t.Errorf("the error %q does not say %q", text, s)
			return false
		}
	}
	return true
}
