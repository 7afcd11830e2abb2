package udpbatch

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

func listen(t *testing.T, addr string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	if err != nil {
		t.Skipf("cannot listen on %s here: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func messages(n, size int) []Message {
	ms := make([]Message, n)
	for i := range ms {
		ms[i].Buf = make([]byte, size)
		ms[i].OOB = make([]byte, 128)
	}
	return ms
}

func local(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }

// readAll reads until want datagrams have arrived (a batch may hold fewer
// than were sent when the first arrives alone), or fails after 5 s.
func readAll(t *testing.T, c *net.UDPConn, bc *Conn, want int) []Message {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []Message
	for len(got) < want {
		ms := messages(want-len(got), 64)
		n, err := bc.Read(ms)
		if err != nil {
			t.Fatalf("after %d of %d datagrams: %v", len(got), want, err)
		}
		got = append(got, ms[:n]...)
	}
	return got
}

// TestReadBatch: datagrams from several senders arrive in one or more
// batches, each with its bytes and its sender's address and port.
func TestReadBatch(t *testing.T) {
	for _, family := range []struct{ server, client string }{
		{"127.0.0.1:0", "127.0.0.1:0"},
		{"[::1]:0", "[::1]:0"},
	} {
		t.Run(family.server, func(t *testing.T) {
			srv := listen(t, family.server)
			bc, err := New(srv, 8)
			if err != nil {
				t.Fatal(err)
			}
			want := map[netip.AddrPort]string{}
			for i := range 5 {
				cl := listen(t, family.client)
				text := fmt.Sprintf("datagram %d", i)
				if _, err := cl.WriteToUDPAddrPort([]byte(text), local(srv)); err != nil {
					t.Fatal(err)
				}
				want[local(cl)] = text
			}
			for _, m := range readAll(t, srv, bc, len(want)) {
				if got := string(m.Buf[:m.N]); want[m.Addr] != got {
					t.Errorf("from %v: %q, want %q (senders %v)", m.Addr, got, want[m.Addr], want)
				}
				delete(want, m.Addr)
			}
		})
	}
}

// TestWriteBatch: each datagram of a batch reaches its own receiver, from
// an IPv4 socket and, to an IPv4 receiver as a mapped address, from a
// dual-stack one.
func TestWriteBatch(t *testing.T) {
	for _, server := range []string{"127.0.0.1:0", "[::]:0"} {
		t.Run(server, func(t *testing.T) {
			srv := listen(t, server)
			bc, err := New(srv, 2) // smaller than the batch: Write loops
			if err != nil {
				t.Fatal(err)
			}
			var receivers []*net.UDPConn
			var out []Message
			for i := range 5 {
				r := listen(t, "127.0.0.1:0")
				receivers = append(receivers, r)
				text := fmt.Sprintf("reply %d", i)
				out = append(out, Message{Buf: []byte(text), N: len(text), Addr: local(r)})
			}
			if n, err := bc.Write(out); n != len(out) || err != nil {
				t.Fatalf("Write: %d sent, %v; want %d", n, err, len(out))
			}
			for i, r := range receivers {
				buf := make([]byte, 64)
				_ = r.SetReadDeadline(time.Now().Add(5 * time.Second))
				n, err := r.Read(buf)
				if want := fmt.Sprintf("reply %d", i); err != nil || string(buf[:n]) != want {
					t.Errorf("receiver %d: %q, %v; want %q", i, buf[:n], err, want)
				}
			}
		})
	}
}

// TestWriteStopsAtRefused: the kernel refuses a datagram to port 0; Write
// reports the ones before it as sent and says which failed.
func TestWriteStopsAtRefused(t *testing.T) {
	srv := listen(t, "127.0.0.1:0")
	bc, err := New(srv, 8)
	if err != nil {
		t.Fatal(err)
	}
	r := listen(t, "127.0.0.1:0")
	out := []Message{
		{Buf: []byte("ok"), N: 2, Addr: local(r)},
		{Buf: []byte("no"), N: 2, Addr: netip.MustParseAddrPort("127.0.0.1:0")},
		{Buf: []byte("after"), N: 5, Addr: local(r)},
	}
	if n, err := bc.Write(out); n != 1 || err == nil {
		t.Fatalf("Write: %d sent, %v; want 1 sent and an error for the datagram to port 0", n, err)
	}
	six := []Message{{Buf: []byte("x"), N: 1, Addr: netip.MustParseAddrPort("[2001:db8::1]:53")}}
	if n, err := bc.Write(six); n != 0 || err == nil {
		t.Fatalf("IPv6 address from an IPv4 socket: %d sent, %v; want an error", n, err)
	}
}

// TestClosed: a read waiting when the socket is closed returns
// net.ErrClosed, as the serving loops expect.
func TestClosed(t *testing.T) {
	srv := listen(t, "127.0.0.1:0")
	bc, err := New(srv, 4)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := bc.Read(messages(4, 64))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	srv.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still waiting 5 s after Close")
	}
	if _, err := New(srv, 0); err == nil {
		t.Fatal("New with batch size 0: no error")
	}
}

// TestNoAllocations: a read and a write of a batch allocate nothing, which
// is why this package exists.
func TestNoAllocations(t *testing.T) {
	if !batched {
		t.Skip("no recvmmsg here: the net package's single-datagram calls are used")
	}
	srv := listen(t, "127.0.0.1:0")
	cl := listen(t, "127.0.0.1:0")
	bc, err := New(srv, 8)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := New(cl, 8)
	if err != nil {
		t.Fatal(err)
	}
	in := messages(8, 64)
	out := []Message{{Buf: []byte("ping"), N: 4, Addr: local(srv)}, {Buf: []byte("pong"), N: 4, Addr: local(srv)}}
	_ = srv.SetReadDeadline(time.Now().Add(10 * time.Second))
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := cb.Write(out); err != nil {
			t.Fatal(err)
		}
		for got := 0; got < len(out); {
			n, err := bc.Read(in)
			if err != nil {
				t.Fatal(err)
			}
			got += n
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per write and read of a batch, want 0", allocs)
	}
}
