// Package zonediff is test support for differential DNS tests: it serves a
// zone file from Knot DNS (knotd, Debian's knot) on loopback, asks Knot and
// another authoritative server the same questions over UDP and TCP, and
// reports every way their answers differ (rcode, the AA and TC flags, and the
// answer, authority and additional sections compared as sets, TTLs
// included) in one readable failure.
//
// Knot is the reference because it is a strict, widely deployed
// authoritative server that has nothing to do with outlast's code: where
// outlast answers as Knot does, it answers as an authoritative server
// should. A difference that is meant to be there is not hidden: a test
// lists it as an Allowance with its reason, and the Allowance rewrites both
// answers the same way before they are compared.
//
// Only tests use this package; the server binary never links it.
package zonediff
