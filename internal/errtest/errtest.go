// Package errtest holds what tests need to check errors that have no
// sentinel: the wording an operator reads. Only tests import it.
package errtest

import (
	"strings"
	"testing"
)

// WantMessage checks what an error tells the person who reads it (an
// operator, a log): that err is not nil and its text says each of says
// (the file to look at, the command to run). It reports a failure and
// returns false when not. It is for wording with no sentinel error behind
// it; a test that can tell errors apart with errors.Is or errors.As does
// that, and code never tells them apart by their text.
func WantMessage(t testing.TB, err error, says ...string) bool {
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
