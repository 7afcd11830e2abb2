// Package tlsca owns the certificates that outlast nodes use to talk to each
// other over mutual TLS: it makes the cluster CA and node certificates
// (ECDSA P-256) and turns a node's files into server and client TLS
// configurations that refuse any peer not certified by the cluster CA.
//
// The configurations re-read the files when they change, so an operator
// rotates a node certificate, or the CA itself, by replacing files on disk:
// new connections use the new material, open connections are left alone, and
// a broken replacement is reported and ignored. docs/tls.md has the steps.
package tlsca
