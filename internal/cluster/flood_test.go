package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingLog is a log destination that keeps what was written.
type countingLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *countingLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *countingLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestRefusedConnectionsLogBounded is issue 12's defect 5: every refused
// handshake on the cluster port logged ~212 bytes, so anyone who could
// reach the port could fill the disk (50,000 in 4 s wrote 10.6 MB). 5,000
// refused connections of three sorts (not TLS at all, a certificate from a
// foreign CA, a member's connection of an unknown kind) must cost a few
// lines, each counted in Refused and in the summaries.
func TestRefusedConnectionsLogBounded(t *testing.T) {
	const (
		garbage, foreign, unknownKind = 4700, 200, 100
		total                         = garbage + foreign + unknownKind
		bound                         = 4 << 10 // bytes logged for the whole flood
	)
	ca := newTestCA(t, "cluster")
	ln := listenLoopback(t)
	addr := ln.Addr().String()
	server, client := ca.tlsFor(t, "n1")
	var logs countingLog
	c, err := New(Options{
		NodeID: "n1", Listener: ln, Bootstrap: []Peer{{ID: "n1", Address: addr}},
		ServerTLS: server, ClientTLS: client, Machine: &logMachine{},
		Logger:   slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		logEvery: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	waitFor(t, "n1 leading", func() (bool, string) { return c.IsLeader(), c.Status().State })
	before := len(logs.String())

	mallory := newTestCA(t, "other").node(t, "mallory")
	stranger := &dialer{
		clientTLS: func(string) *tls.Config {
			return &tls.Config{
				// Sent even though the server asks for the cluster CA's.
				GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &mallory, nil },
				RootCAs:              ca.pool,
				ServerName:           "n1",
			}
		},
		serverName: func(string) string { return "n1" },
		conns:      newConnSet(),
	}
	member := &dialer{clientTLS: client, serverName: func(string) string { return "n1" }, conns: newConnSet()}

	start := time.Now()
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range jobs {
				if err := refusedOnce(addr, i, garbage, foreign, stranger, member); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for i := range total {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	waitFor(t, fmt.Sprintf("%d connections refused", total), func() (bool, string) {
		return c.Refused() == total, fmt.Sprint(c.Refused())
	})
	elapsed := time.Since(start)
	if err := c.Shutdown(); err != nil { // reports the counts not yet summarized
		t.Fatal(err)
	}

	flood := logs.String()[before:]
	t.Logf("%d refused connections in %v: %d bytes logged:\n%s", total, elapsed.Round(time.Millisecond), len(flood), flood)
	if len(flood) > bound {
		t.Fatalf("%d refused connections logged %d bytes, want at most %d", total, len(flood), bound)
	}
	// Every refusal is accounted for: a first line per event, the rest in
	// summaries.
	firsts := 0
	for _, line := range strings.Split(flood, "\n") {
		if strings.Contains(line, "cluster: refused connection") || strings.Contains(line, "cluster: unknown connection kind") {
			if !strings.Contains(line, "more=") {
				firsts++
			}
		}
	}
	more := 0
	for _, m := range regexp.MustCompile(`more=(\d+)`).FindAllStringSubmatch(flood, -1) {
		n, _ := strconv.Atoi(m[1])
		more += n
	}
	if firsts != 2 || firsts+more != total {
		t.Errorf("log accounts for %d first lines and %d in summaries, want 2 and %d in all", firsts, more, total)
	}
}

// refusedOnce makes connection i of the flood: garbage bytes, a stranger's
// TLS handshake, or a member's connection of an unknown kind.
func refusedOnce(addr string, i, garbage, foreign int, stranger, member *dialer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch {
	case i < garbage:
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		_, err = conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		return err
	case i < garbage+foreign:
		if conn, err := stranger.dial(ctx, addr, kindHTTP); err == nil {
			conn.Close()
			return fmt.Errorf("a certificate of a foreign CA: connected, want refused")
		}
		return nil
	default:
		conn, err := member.dial(ctx, addr, 'X')
		if err != nil {
			return fmt.Errorf("a member's connection of kind X: %v", err)
		}
		return conn.Close()
	}
}
