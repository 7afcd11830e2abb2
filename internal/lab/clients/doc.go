// Package clients owns the lab's simulated client devices: a population of
// phones and doorbells that, during an outage, behave as real ones do. Each
// device resolves the service name the way a stub resolver does (its own
// nameserver rotation, a per-query timeout, the answer cached for its TTL),
// then calls the service over HTTP at a steady rate, and every outcome goes
// to a Recorder that keeps only per-second aggregates.
//
// Devices are open-loop: a device starts a request on every tick of its
// steady rate whether or not its previous one has finished, as a fleet of
// real devices does, so the request count per second stays steady through
// an outage and failures show up as failures rather than as missing traffic.
//
// Each device keeps its own small keep-alive connection pool (one
// http.Transport), as an app on a phone does. A fresh connection per request
// would cost 200 TCP handshakes a second through the lab's fault proxies and
// leave about 12,000 sockets in TIME_WAIT on loopback at any moment, without
// making the measurement more true: a device still connects to whichever
// address its latest answer gave, and a request that hangs on a pooled
// connection is cut by its timeout, which closes that connection.
package clients
