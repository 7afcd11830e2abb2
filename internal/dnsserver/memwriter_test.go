package dnsserver

import (
	"net"

	"github.com/miekg/dns"
)

// memWriter is an in-memory dns.ResponseWriter that keeps the last reply.
// Only the fuzz test and the handler benchmark use it; every behaviour test
// goes through a real server on loopback.
type memWriter struct {
	remote net.Addr
	out    []byte
	writes int
}

func newMemWriter(tcp bool) *memWriter {
	if tcp {
		return &memWriter{remote: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}}
	}
	return &memWriter{remote: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}}
}

func (w *memWriter) LocalAddr() net.Addr  { return w.remote }
func (w *memWriter) RemoteAddr() net.Addr { return w.remote }
func (w *memWriter) Network() string      { return w.remote.Network() }
func (w *memWriter) Write(b []byte) (int, error) {
	w.out = append(w.out[:0], b...)
	w.writes++
	return len(b), nil
}

func (w *memWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
func (w *memWriter) Close() error        { return nil }
func (w *memWriter) TsigStatus() error   { return nil }
func (w *memWriter) TsigTimersOnly(bool) {}
func (w *memWriter) Hijack()             {}
