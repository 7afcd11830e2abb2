// Package lab reproduces the seed's outages on one machine: simulated
// providers and regions running the sample service, a three-node outlast
// cluster using the real serve code, fault injection, simulated client
// devices, and the measurements `outlast demo` reports.
package lab

import (
	"time"

	"outlast/internal/lab/measure"
)

// Report is one run of the demo: every scenario that ran.
type Report struct {
	Started   time.Time `json:"started"`
	Machine   string    `json:"machine"` // e.g. "linux/amd64, 2 CPUs"
	Version   string    `json:"version"`
	Scenarios []Result  `json:"scenarios"`
}

// The result model lives in package measure, which lab and the simulated
// clients both import; lab names it here.
type (
	Result       = measure.Result
	Second       = measure.Second
	Marker       = measure.Marker
	LeaderChange = measure.LeaderChange
	Outvote      = measure.Outvote
)
