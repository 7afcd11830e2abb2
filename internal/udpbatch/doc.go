// Package udpbatch moves UDP datagrams in batches: on Linux one recvmmsg
// or sendmmsg system call carries many datagrams, and neither allocates.
//
// It exists for the DNS server's read loops. golang.org/x/net's batch
// calls do the same system calls but allocate a net.UDPAddr for every
// datagram read, and enter them through syscall.Syscall, which tells the
// scheduler a call may block: under load the runtime's monitor then hands
// the processor to another thread during a long sendmmsg and wakes
// threads that find nothing to do. A batch call on a non-blocking socket
// never blocks, so it is made as a raw system call, and waiting for
// datagrams is left to the runtime's network poller as for any socket.
//
// Elsewhere than on 64-bit Linux a batch is one datagram, read and written
// with the net package's calls.
package udpbatch

import "net/netip"

// Message is one datagram of a batch. For a read, Buf and OOB are the
// buffers to fill (their lengths are the room) and N, NN and Addr say what
// arrived; for a write, Buf[:N] is sent to Addr with the control messages
// OOB[:NN].
type Message struct {
	Buf  []byte
	N    int
	OOB  []byte
	NN   int
	Addr netip.AddrPort
}
