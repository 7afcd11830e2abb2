// Package scheduler owns when probes run: it probes every job at its check's
// interval on an injected clock and hands each result on as a
// model.Observation from this vantage point. It decides nothing about
// health; whatever Emit feeds (the health engine, via the cluster) does.
//
// Timing. Each job's first probe starts at a random offset in [0, interval)
// from the moment Run starts, so a thousand endpoints are not probed in
// lockstep (a burst every second would skew latencies and look like an
// attack to the endpoints' firewalls). After that a job runs at a fixed
// rate, at offset + k*interval: the next slot is computed from the previous
// slot, not from when the probe finished, so slow probes do not make the
// schedule drift. Probes of one job never overlap. A probe that runs past
// its slot (only possible if the process stalls, since timeouts are at most
// the interval) starts the next probe at once and drops the slots it missed
// instead of bursting to catch up.
//
// Concurrency. There is one goroutine per job, sleeping on its own timer and
// running its own probe. A single timer heap feeding a bounded worker pool
// was the alternative, and was rejected: Go's runtime already keeps timers
// in per-P heaps, so the goroutines cost a few KiB of stack each and no CPU
// while they sleep; in-flight probes are already bounded by the number of
// jobs (one each); and probes spend their time waiting on the network, not
// on CPU. A pool smaller than the number of endpoints that hang at once
// would queue the probes of healthy endpoints behind hung ones for up to a
// timeout each, exactly during a regional outage, when fresh observations
// matter most. At 10,000 jobs the real limit is file descriptors (one socket
// per in-flight probe), not goroutines.
package scheduler
