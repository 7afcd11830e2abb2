// Package proxy is outlast's HTTP failover proxy: an optional data plane
// on each node that forwards requests to a healthy endpoint of a service
// and, when that endpoint fails the request, tries another failure domain
// within the same request, so clients see no error while DNS answers are
// still cached for a failed region.
//
// Where a request goes is decided from the agreed state, as DNS answers
// are: the node gives the proxy a Plan (per service and client area, the
// endpoints in tiers of preference from steer.Ranked, with when each came
// back up) whenever the state changes, and the proxy swaps it in
// atomically. Within a tier an endpoint is picked by weight, scaled down
// while it returns from an outage (slow start, package balance). Beside
// the agreed state the proxy keeps its own, local and fast, judgement:
// an endpoint that fails consecutive requests is ejected for a growing
// time (package outlier), and the node hears of it as evidence.
//
// Retries follow Envoy and HAProxy: on a connect failure, a reset, a
// per-try timeout or a retryable status, an idempotent request whose body
// is small enough to replay is sent again to an endpoint in another
// failure domain, at most Retries times, while the retry budget (package
// retrybudget) admits it, so a retry storm cannot double the load on the
// endpoints that survive. Forwarding itself, hop-by-hop headers, upgrades
// (WebSocket) and streaming are net/http/httputil's ReverseProxy; this
// package supplies the transport that chooses, retries and judges.
package proxy
