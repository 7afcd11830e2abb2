package cluster

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// net/http lingers half a second on a connection whose request body
	// passed its MaxBytesReader before it closes it (closeWriteAndWait),
	// after Server.Close has returned; it then ends on its own.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("net/http.(*conn).closeWriteAndWait"))
}
