package main

import (
	"strings"
	"testing"
)

// wantMessage checks what an error tells the operator who reads it: that
// err is not nil and its text says each of says. It is for wording with
// no sentinel error behind it; code never tells errors apart by their text.
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
