//go:build race

package lab

// raceDetector: the tests run under the race detector, whose slowdown on
// a loaded machine makes probes time out (see TestPrimaryRegionOutage).
const raceDetector = true
