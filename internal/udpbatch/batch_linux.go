//go:build linux && (amd64 || arm64)

package udpbatch

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// batched: recvmmsg and sendmmsg are used here.
const batched = true

// Conn reads and writes batches on one UDP socket. Reads and writes each
// keep their own system call arguments, so one goroutine may read while
// another writes, but two may not read (or write) at once.
type Conn struct {
	rc     syscall.RawConn
	family uint16 // the socket's: the family of every address written
	rd, wr *headers
}

// headers are the recvmmsg or sendmmsg arguments of one batch, kept to be
// reused: they point into the caller's buffers only during a call.
type headers struct {
	trap  uintptr // SYS_RECVMMSG or SYS_SENDMMSG
	mm    []unix.Mmsghdr
	iov   []unix.Iovec
	names []unix.RawSockaddrInet6
	// try's argument and results, kept here rather than captured by a
	// closure, which would be allocated on every call.
	count int
	done  int
	errno syscall.Errno
	try   func(fd uintptr) bool
}

// New prepares c for batches of at most size datagrams.
func New(c *net.UDPConn, size int) (*Conn, error) {
	if size < 1 {
		return nil, fmt.Errorf("udpbatch: batch size %d, want at least 1", size)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("udpbatch: %w", err)
	}
	family := uint16(unix.AF_INET6)
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() != nil {
		family = unix.AF_INET
	}
	return &Conn{rc: rc, family: family, rd: newHeaders(size, unix.SYS_RECVMMSG), wr: newHeaders(size, unix.SYS_SENDMMSG)}, nil
}

func newHeaders(size int, trap uintptr) *headers {
	h := &headers{
		trap:  trap,
		mm:    make([]unix.Mmsghdr, size),
		iov:   make([]unix.Iovec, size),
		names: make([]unix.RawSockaddrInet6, size),
	}
	h.try = h.attempt
	return h
}

// Read waits for at least one datagram and reads as many as are waiting,
// up to len(ms) and the batch size. It returns how many were read; after
// net.ErrClosed the socket is closed.
func (c *Conn) Read(ms []Message) (int, error) {
	h := c.rd
	n := min(len(ms), len(h.mm))
	if n == 0 {
		return 0, nil
	}
	for i := range n {
		h.point(i, &ms[i], int(unsafe.Sizeof(h.names[i])))
	}
	got, err := h.call(c.rc.Read, n)
	for i := range got {
		m := &ms[i]
		m.N, m.NN = int(h.mm[i].Len), int(h.mm[i].Hdr.Controllen)
		m.Addr = h.addr(i)
	}
	h.release(n)
	return got, err
}

// Write sends ms[i].Buf[:N] to ms[i].Addr for every message, a batch at a
// time, and returns how many were sent. It stops at the first datagram the
// kernel refuses: ms[n] is that one, and err says why.
func (c *Conn) Write(ms []Message) (int, error) {
	h := c.wr
	sent := 0
	for sent < len(ms) {
		batch := ms[sent:]
		n := min(len(batch), len(h.mm))
		for i := range n {
			namelen := h.setAddr(i, batch[i].Addr, c.family)
			if namelen == 0 {
				// Before the call, so the earlier datagrams go out.
				n = i
				break
			}
			h.point(i, &batch[i], namelen)
			h.iov[i].SetLen(batch[i].N)
			h.mm[i].Hdr.SetControllen(batch[i].NN)
		}
		if n == 0 {
			return sent, fmt.Errorf("udpbatch: cannot send to %s from an IPv4 socket", batch[0].Addr)
		}
		got, err := h.call(c.rc.Write, n)
		h.release(n)
		sent += got
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// call makes one recvmmsg or sendmmsg of h's first n headers through the
// network poller: when the socket is not ready it waits, then tries again.
func (h *headers) call(wait func(func(fd uintptr) bool) error, n int) (int, error) {
	h.count = n
	if err := wait(h.try); err != nil {
		return 0, err
	}
	if h.errno != 0 {
		return 0, fmt.Errorf("udpbatch: %w", h.errno)
	}
	return h.done, nil
}

// attempt is one try; it reports whether the call is over. Raw: the
// socket is non-blocking, so the call cannot block and the scheduler need
// not hear of it (see the package doc).
func (h *headers) attempt(fd uintptr) bool {
	r, _, e := unix.RawSyscall6(h.trap, fd, uintptr(unsafe.Pointer(&h.mm[0])), uintptr(h.count), 0, 0, 0)
	h.done, h.errno = int(r), e
	return e != unix.EAGAIN && e != unix.EWOULDBLOCK && e != unix.EINTR
}

// point aims header i at m's buffers and at its own address slot.
func (h *headers) point(i int, m *Message, namelen int) {
	hdr := &h.mm[i].Hdr
	h.iov[i] = unix.Iovec{Base: unsafe.SliceData(m.Buf[:cap(m.Buf)])}
	h.iov[i].SetLen(len(m.Buf))
	*hdr = unix.Msghdr{
		Name:    (*byte)(unsafe.Pointer(&h.names[i])),
		Namelen: uint32(namelen),
		Iov:     &h.iov[i],
	}
	hdr.SetIovlen(1)
	if cap(m.OOB) > 0 {
		hdr.Control = unsafe.SliceData(m.OOB[:cap(m.OOB)])
		hdr.SetControllen(len(m.OOB))
	}
}

// release drops the headers' pointers to the caller's buffers, so they do
// not keep them alive after the call.
func (h *headers) release(n int) {
	for i := range n {
		h.iov[i].Base = nil
		h.mm[i].Hdr.Control = nil
	}
}

// addr decodes the sender address the kernel wrote into slot i.
func (h *headers) addr(i int) netip.AddrPort {
	sa := &h.names[i]
	port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
	switch sa.Family {
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), port)
	case unix.AF_INET:
		in4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(in4.Addr), port)
	}
	return netip.AddrPort{}
}

// setAddr writes to into slot i in the socket's family (an IPv4 address
// mapped into IPv6 on an IPv6 socket) and returns its length; 0 when an
// IPv6 address is to go out of an IPv4 socket.
func (h *headers) setAddr(i int, to netip.AddrPort, family uint16) int {
	sa := &h.names[i]
	*sa = unix.RawSockaddrInet6{Family: family}
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:], to.Port())
	if family == unix.AF_INET {
		a := to.Addr().Unmap()
		if !a.Is4() {
			return 0
		}
		in4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		in4.Addr = a.As4()
		return unix.SizeofSockaddrInet4
	}
	sa.Addr = to.Addr().As16()
	return unix.SizeofSockaddrInet6
}
