package probe

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// rootCAs verifies peer certificates; nil means the system roots. Tests
// point it at the CA they generate, since the check schema has no CA field.
var rootCAs *x509.CertPool

// tlsConfig is the client side of a probe's handshake. Session tickets are
// off so each probe does a full handshake and sees the certificate the
// server serves now, not the one of a resumed session.
func tlsConfig(serverName string, c config.Check, nextProtos ...string) *tls.Config {
	return &tls.Config{
		ServerName:             serverName,
		InsecureSkipVerify:     c.TLS.InsecureSkipVerify,
		RootCAs:                rootCAs,
		SessionTicketsDisabled: true,
		NextProtos:             nextProtos,
	}
}

// serverName is what SNI and verification use: the configured name, else
// the check's HTTP Host (without a port), else the target's hostname, else
// the probed address, which verifies against an IP SAN.
func serverName(t Target, c config.Check) string {
	if c.TLS.ServerName != "" {
		return c.TLS.ServerName
	}
	if host := c.HTTP.Host; host != "" && (c.Type == config.CheckHTTP || c.Type == config.CheckHTTPS) {
		if h, _, err := net.SplitHostPort(host); err == nil {
			return h
		}
		return host
	}
	if t.Host != "" {
		return t.Host
	}
	return t.Addr.WithZone("").String()
}

// addCertInfo records the earliest expiry of the peer's chain and warns when
// it is near. It never fails the probe: an expired chain under verification
// has already failed the handshake, and without verification the operator
// asked not to be failed for it.
func addCertInfo(res *model.Result, certs []*x509.Certificate, c config.Check, now time.Time) {
	expiry := earliestExpiry(certs)
	res.CertExpiry = expiry
	if w := expiryWarning(expiry, now, c.TLS.ExpiryWarning); w != "" {
		res.Warning = w
	}
}

// addFailedCertInfo records the expiry of a chain that failed verification,
// so an operator sees "expired yesterday" next to the TLS failure.
func addFailedCertInfo(res *model.Result, err error) {
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) {
		res.CertExpiry = earliestExpiry(verr.UnverifiedCertificates)
	}
}

func earliestExpiry(certs []*x509.Certificate) time.Time {
	var earliest time.Time
	for _, cert := range certs {
		if earliest.IsZero() || cert.NotAfter.Before(earliest) {
			earliest = cert.NotAfter
		}
	}
	return earliest
}

// expiryWarning says how soon expiry comes when that is within the window.
func expiryWarning(expiry, now time.Time, window time.Duration) string {
	if expiry.IsZero() || window <= 0 {
		return ""
	}
	left := expiry.Sub(now)
	switch {
	case left <= 0:
		return fmt.Sprintf("certificate expired %s ago (%s)", (-left).Round(time.Second), expiry.UTC().Format(time.RFC3339))
	case left < window:
		return fmt.Sprintf("certificate expires in %s (%s)", left.Round(time.Second), expiry.UTC().Format(time.RFC3339))
	default:
		return ""
	}
}
