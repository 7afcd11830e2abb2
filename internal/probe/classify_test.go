package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"net/url"
	"os"
	"syscall"
	"testing"

	"outlast/internal/model"
)

func TestClassify(t *testing.T) {
	syscallErr := func(call string, errno syscall.Errno) error { return os.NewSyscallError(call, errno) }
	dial := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	read := func(err error) error { return &net.OpError{Op: "read", Net: "tcp", Err: err} }
	get := func(err error) error { return &url.Error{Op: "Get", URL: "http://192.0.2.1/", Err: err} }

	tests := []struct {
		name string
		err  error
		want model.Reason
	}{
		{"nil", nil, model.ReasonOK},
		{"context deadline", context.DeadlineExceeded, model.ReasonTimeout},
		{"wrapped context deadline", get(fmt.Errorf("reading body: %w", context.DeadlineExceeded)), model.ReasonTimeout},
		{"conn deadline", read(os.ErrDeadlineExceeded), model.ReasonTimeout},
		{"dial timeout", dial(os.ErrDeadlineExceeded), model.ReasonTimeout},
		{"tls handshake timeout", get(fmt.Errorf("tls: handshake: %w", os.ErrDeadlineExceeded)), model.ReasonTimeout},
		{"canceled", get(context.Canceled), model.ReasonError},
		{"refused", get(dial(syscallErr("connect", syscall.ECONNREFUSED))), model.ReasonRefused},
		{"reset", read(syscallErr("read", syscall.ECONNRESET)), model.ReasonReset},
		{"aborted", read(syscallErr("read", syscall.ECONNABORTED)), model.ReasonReset},
		{"broken pipe", &net.OpError{Op: "write", Err: syscallErr("write", syscall.EPIPE)}, model.ReasonReset},
		{"eof", get(io.EOF), model.ReasonReset},
		{"unexpected eof", io.ErrUnexpectedEOF, model.ReasonReset},
		{"unknown authority", get(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), model.ReasonTLS},
		{"expired", x509.CertificateInvalidError{Reason: x509.Expired}, model.ReasonTLS},
		{"hostname", x509.HostnameError{Host: "a.test"}, model.ReasonTLS},
		{"not tls", get(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), model.ReasonTLS},
		{"alert from peer", &net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}, model.ReasonTLS},
		{"local handshake failure", handshakeFailed(errors.New("tls: server selected unsupported protocol version 300")), model.ReasonTLS},
		{"tls wording alone", get(errors.New("tls: server selected unsupported protocol version 300")), model.ReasonError},
		{"handshake cut by a timeout", handshakeFailed(fmt.Errorf("tls: handshake: %w", os.ErrDeadlineExceeded)), model.ReasonTimeout},
		{"net unreachable", dial(syscallErr("connect", syscall.ENETUNREACH)), model.ReasonNetwork},
		{"host unreachable", dial(syscallErr("connect", syscall.EHOSTUNREACH)), model.ReasonNetwork},
		{"no address", dial(syscallErr("connect", syscall.EADDRNOTAVAIL)), model.ReasonNetwork},
		{"name lookup", dial(&net.DNSError{Err: "no such host", Name: "x.test"}), model.ReasonNetwork},
		{"other dial error", dial(errors.New("something odd")), model.ReasonNetwork},
		{"not http", &protocolError{err: textproto.ProtocolError(`malformed HTTP response "SSH-2.0"`)}, model.ReasonProtocol},
		{"malformed http wording alone", errors.New(`malformed HTTP response "SSH-2.0"`), model.ReasonError},
		{"anything else", errors.New("boom"), model.ReasonError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify(%v) = %s, want %s", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrDetailDropsURLPrefix(t *testing.T) {
	err := &url.Error{Op: "Get", URL: "http://192.0.2.1/", Err: errors.New("connection refused")}
	if got := errDetail(err); got != "connection refused" {
		t.Errorf("errDetail = %q, want %q", got, "connection refused")
	}
}
