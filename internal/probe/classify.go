package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"

	"outlast/internal/model"
)

// classify turns an error from a dial, handshake or exchange into a Reason.
// Order matters: a TLS handshake that ran out of time is a timeout, not a
// TLS failure, because the endpoint never answered.
func classify(err error) model.Reason {
	switch {
	case err == nil:
		return model.ReasonOK
	case isTimeout(err):
		return model.ReasonTimeout
	case errors.Is(err, context.Canceled):
		return model.ReasonError
	case errors.Is(err, syscall.ECONNREFUSED):
		return model.ReasonRefused
	case isReset(err):
		return model.ReasonReset
	case isTLS(err):
		return model.ReasonTLS
	case isNetwork(err):
		return model.ReasonNetwork
	case isProtocol(err):
		return model.ReasonProtocol
	default:
		return model.ReasonError
	}
}

// isProtocol reports a peer that answered with something other than the
// protocol the probe speaks; the probe marks that where it reads the answer.
func isProtocol(err error) bool {
	var pe *protocolError
	return errors.As(err, &pe)
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isReset covers a peer that went away mid-exchange: an RST, or a clean
// close before the answer was complete.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func isTLS(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		record    tls.RecordHeaderError
		authority x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		hostname  x509.HostnameError
		roots     x509.SystemRootsError
		op        *net.OpError
	)
	switch {
	case errors.As(err, &verify), errors.As(err, &record), errors.As(err, &authority),
		errors.As(err, &invalid), errors.As(err, &hostname), errors.As(err, &roots):
		return true
	case errors.As(err, &op) && op.Op == "remote error":
		// crypto/tls reports an alert from the peer this way.
		return true
	}
	// crypto/tls reports its own handshake failures as plain errors, and
	// net/http replaces the record header error of a plain-HTTP peer.
	msg := innermost(err).Error()
	return strings.HasPrefix(msg, "tls: ") || strings.Contains(msg, "server gave HTTP response to HTTPS client")
}

func isNetwork(err error) bool {
	for _, errno := range []syscall.Errno{syscall.ENETUNREACH, syscall.EHOSTUNREACH,
		syscall.ENETDOWN, syscall.EHOSTDOWN, syscall.EADDRNOTAVAIL} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var (
		dnsErr  *net.DNSError
		addrErr *net.AddrError
		op      *net.OpError
	)
	return errors.As(err, &dnsErr) || errors.As(err, &addrErr) || (errors.As(err, &op) && op.Op == "dial")
}

// innermost follows the single-error Unwrap chain to its end.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// errDetail drops net/http's `Get "http://...": ` prefix, which repeats what
// the observation already says.
func errDetail(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
