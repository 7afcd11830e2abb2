//go:build !(linux && (amd64 || arm64))

package udpbatch

import (
	"fmt"
	"net"
)

// batched: not here, one datagram a call.
const batched = false

// Conn reads and writes one datagram at a time with the net package's
// calls, where recvmmsg and sendmmsg are not used.
type Conn struct {
	c *net.UDPConn
}

// New prepares c; size is ignored.
func New(c *net.UDPConn, size int) (*Conn, error) {
	if size < 1 {
		return nil, fmt.Errorf("udpbatch: batch size %d, want at least 1", size)
	}
	return &Conn{c: c}, nil
}

// Read waits for one datagram and reads it into ms[0].
func (c *Conn) Read(ms []Message) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	m := &ms[0]
	n, nn, _, addr, err := c.c.ReadMsgUDPAddrPort(m.Buf, m.OOB)
	if err != nil {
		return 0, err
	}
	m.N, m.NN, m.Addr = n, nn, addr
	return 1, nil
}

// Write sends each message in turn and stops at the first that fails.
func (c *Conn) Write(ms []Message) (int, error) {
	for i := range ms {
		m := &ms[i]
		if _, _, err := c.c.WriteMsgUDPAddrPort(m.Buf[:m.N], m.OOB[:m.NN], m.Addr); err != nil {
			return i, err
		}
	}
	return len(ms), nil
}
