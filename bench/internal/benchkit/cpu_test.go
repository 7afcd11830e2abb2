//go:build linux

package benchkit

import (
	"os"
	"testing"
	"time"
)

// TestProcReadingsOfThisProcess reads this test's own /proc entries
// through procfs: CPU it burnt, memory it holds, threads it runs.
func TestProcReadingsOfThisProcess(t *testing.T) {
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	user, sys, err := ProcCPU(os.Getpid())
	if err != nil || user+sys <= 0 {
		t.Errorf("ProcCPU: %v + %v, %v; want some CPU after 50 ms of spinning", user, sys, err)
	}
	m, err := ProcMemory(os.Getpid())
	if err != nil || m.RSS == 0 || m.PeakRSS < m.RSS || m.Threads < 1 {
		t.Errorf("ProcMemory: %+v, %v; want RSS, a peak at least as high, threads", m, err)
	}
	busy, total, err := MachineCPU()
	if err != nil || busy <= 0 || total < busy {
		t.Errorf("MachineCPU: busy %v of %v, %v", busy, total, err)
	}
	if _, _, err := ProcCPU(-1); err == nil {
		t.Error("ProcCPU of no process: want an error")
	}
}
