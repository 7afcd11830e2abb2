package auditresolve_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain holds that a Lookup leaves no resolver or query running.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
