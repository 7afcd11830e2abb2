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
		failed    *handshakeError
		verify    *tls.CertificateVerificationError
		record    tls.RecordHeaderError
		authority x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		hostname  x509.HostnameError
		roots     x509.SystemRootsError
		op        *net.OpError
	)
	switch {
	case errors.As(err, &failed), errors.As(err, &verify), errors.As(err, &record), errors.As(err, &authority),
		errors.As(err, &invalid), errors.As(err, &hostname), errors.As(err, &roots):
		return true
	case errors.As(err, &op) && op.Op == "remote error":
		// crypto/tls reports an alert from the peer this way.
		return true
	}
	return false
}

// handshakeError is a TLS handshake that failed for a reason of TLS's own.
// crypto/tls reports many of those as plain errors ("tls: server selected
// unsupported protocol version"), so the probe marks them where it knows
// what failed, the handshake, rather than reading their wording.
type handshakeError struct{ err error }

func (e *handshakeError) Error() string { return e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

// handshakeFailed marks err from a TLS handshake as TLS's own failure,
// unless the network failed under it: a timeout, a reset, a refusal or a
// cancel keeps its own reason.
func handshakeFailed(err error) error {
	if err == nil || isTimeout(err) || isReset(err) || isNetwork(err) ||
		errors.Is(err, context.Canceled) || errors.Is(err, syscall.ECONNREFUSED) {
		return err
	}
	return &handshakeError{err}
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

// errDetail drops net/http's `Get "http://...": ` prefix, which repeats what
// the observation already says.
func errDetail(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
