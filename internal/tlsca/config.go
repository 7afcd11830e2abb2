package tlsca

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
)

// ServerConfig returns the configuration for accepting node connections. It
// requires a client certificate from the cluster CA, and each handshake
// takes the latest good material, so a replaced file applies to the next
// connection without a restart. NextProtos set on the returned config are
// kept; the certificate and CA fields are filled per handshake.
func (r *Reloader) ServerConfig() *tls.Config {
	// ClientAuth on the base says, to anyone inspecting it, what every
	// per-handshake config below enforces.
	base := &tls.Config{MinVersion: tls.VersionTLS13, ClientAuth: tls.RequireAndVerifyClientCert}
	base.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		m := r.maybeReload()
		return &tls.Config{
			MinVersion:   tls.VersionTLS13,
			Certificates: []tls.Certificate{m.cert},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    m.pool,
			NextProtos:   base.NextProtos,
			Time:         r.clock.Now,
			// A resumed session skips certificate verification, which
			// would let a peer of a CA removed since keep coming back.
			SessionTicketsDisabled: true,
		}, nil
	}
	return base
}

// ClientConfig returns the configuration for dialling another node. The
// server must present a certificate from the cluster CA; with a non-empty
// serverName (the peer's node name, or an address in its certificate) it
// must also be for that name. An empty serverName accepts any node of the
// cluster, for callers that know an address but not who is behind it.
//
// crypto/tls reads RootCAs once per config, so the chain is verified here
// in VerifyConnection against the CAs of the moment instead;
// InsecureSkipVerify only turns off the built-in check this one replaces.
func (r *Reloader) ClientConfig(serverName string) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		ServerName:         serverName,
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			m := r.maybeReload()
			if err := verifyCerts(m.pool, cs.PeerCertificates, serverName, x509.ExtKeyUsageServerAuth, r.clock.Now()); err != nil {
				return fmt.Errorf("tlsca: refusing server %s: %w", describePeer(cs, serverName), err)
			}
			return nil
		},
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert := r.maybeReload().cert
			return &cert, nil
		},
		Time: r.clock.Now,
	}
}

// HTTPSConfig returns the configuration for the node's HTTP listener (API,
// status page, metrics): the node certificate, rotated like the rest, and no
// client certificate asked for — operators and Prometheus authenticate with
// tokens or not at all. TLS 1.2 is allowed for older scrapers.
func (r *Reloader) HTTPSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			cert := r.maybeReload().cert
			return &cert, nil
		},
	}
}

func describePeer(cs tls.ConnectionState, serverName string) string {
	if len(cs.PeerCertificates) > 0 {
		return fmt.Sprintf("%q (certificate for %q)", serverName, cs.PeerCertificates[0].Subject.CommonName)
	}
	return fmt.Sprintf("%q", serverName)
}

// PeerName returns the common name of the peer's certificate on a
// connection made with a Reloader's configuration: the node on the other
// end. On the server side it comes from the chain crypto/tls verified; on
// the client side from the certificate ClientConfig's VerifyConnection
// verified (crypto/tls records no chain there). Empty before the handshake.
func PeerName(cs tls.ConnectionState) string {
	if len(cs.VerifiedChains) > 0 && len(cs.VerifiedChains[0]) > 0 {
		return cs.VerifiedChains[0][0].Subject.CommonName
	}
	if cs.HandshakeComplete && len(cs.PeerCertificates) > 0 {
		return cs.PeerCertificates[0].Subject.CommonName
	}
	return ""
}
