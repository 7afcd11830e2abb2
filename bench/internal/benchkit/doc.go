//go:build linux

// Package benchkit is what outlast's bench programs (bench/cluster,
// bench/probes, bench/proxy) share: the child processes they start and
// stop, building the outlast binary, reading a process's CPU from /proc,
// fetching over HTTP and reading a /metrics page — parsed with
// Prometheus's own expfmt, with the quantile of a histogram over the
// window between two scrapes — and the --duration flag that takes bare
// seconds.
//
// It is bench tooling, not part of outlast: it logs nothing and leaves
// the printing to the bench.
package benchkit
