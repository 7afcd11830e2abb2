// Package probe owns talking to endpoints: one probe of one endpoint, over
// HTTP, HTTPS, TCP, DNS or gRPC health, returning a model.Result. Each probe
// type lives in its own file with the same signature (HTTP, TCP, DNS, GRPC);
// Run picks one by the check's type.
//
// A probe only reports what it saw. It never decides a verdict, never retries
// and never touches metrics; the health engine judges results across vantage
// points and time. Failures carry a classified model.Reason (classify.go) so
// a hung endpoint (timeout) is told apart from a dead one (refused) or a
// broken one (status, body, rcode, not-serving).
//
// Every probe is bounded by the check's timeout: it derives a context with
// that deadline and puts the same deadline on its connections, so a server
// that accepts and never answers costs at most one timeout. Probes never
// reuse connections, because a pooled connection to a backend that has since
// died would hide the failure.
//
// A probe never resolves a name. A hostname endpoint (an ALB, a CDN) comes
// as a Target with its Host and the addresses the caller's resolver holds
// for it now; the probe connects to the first that accepts (at most
// MaxAddrs, addrs.go) and sends the hostname as HTTP Host and TLS SNI.
package probe
