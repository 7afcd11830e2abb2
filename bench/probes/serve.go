//go:build linux

package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// serveMode is the separate process that answers every probe: its CPU is
// not outlast's. It binds nports ports on each of naddrs addresses, skipping
// any port that is busy on one of them, prints "ready P1,P2,..." on stdout
// and answers 200 "ok" until SIGTERM, SIGINT or its stdin closes (the
// parent died).
func serveMode(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	base := fs.String("addr-base", "127.0.3.", "address prefix; addresses are BASE1..BASEn")
	naddrs := fs.Int("addrs", 100, "number of addresses")
	portBase := fs.Int("port-base", 23000, "first port tried")
	nports := fs.Int("ports", 100, "number of ports per address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	addrs := make([]string, *naddrs)
	for i := range addrs {
		addrs[i] = *base + strconv.Itoa(i+1)
	}
	listeners, ports, err := bindAll(addrs, *portBase, *nports)
	if err != nil {
		return err
	}
	for _, l := range listeners {
		go acceptLoop(l)
	}
	fmt.Printf("ready %s\n", joinInts(ports))
	waitForEnd()
	closeAll(listeners)
	return nil
}

// response is the whole answer to every request: the server is a load
// generator's counterpart and must cost little, so it skips net/http.
const response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"

func acceptLoop(l net.Listener) {
	for {
		conn, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // EMFILE and the like: back off
			continue
		}
		go answer(conn)
	}
}

// answer reads one request head (up to 4 KiB, within 5 s), answers 200 "ok"
// and closes: probes ask for Connection: close, so nothing is kept open.
func answer(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n := 0
	for !bytes.Contains(buf[:n], []byte("\r\n\r\n")) {
		if n == len(buf) {
			return
		}
		m, err := conn.Read(buf[n:])
		if err != nil {
			return
		}
		n += m
	}
	conn.Write([]byte(response))
}

// bindAll finds n ports free on every address, from portBase up, and
// returns their listeners.
func bindAll(addrs []string, portBase, n int) ([]net.Listener, []int, error) {
	var all []net.Listener
	var ports []int
	for p := portBase; len(ports) < n; p++ {
		if p > portBase+20*n || p > 65535 {
			closeAll(all)
			return nil, nil, fmt.Errorf("serve: found only %d of %d ports free on all of %s..%s from %d",
				len(ports), n, addrs[0], addrs[len(addrs)-1], portBase)
		}
		ls, err := bindPort(addrs, p)
		if errors.Is(err, syscall.EADDRINUSE) {
			continue
		}
		if err != nil {
			closeAll(all)
			return nil, nil, err
		}
		all = append(all, ls...)
		ports = append(ports, p)
	}
	return all, ports, nil
}

// bindPort listens on port p of every address, or on none of them.
func bindPort(addrs []string, p int) ([]net.Listener, error) {
	ls := make([]net.Listener, 0, len(addrs))
	for _, a := range addrs {
		l, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(p)))
		if err != nil {
			closeAll(ls)
			return nil, fmt.Errorf("serve: %w", err)
		}
		ls = append(ls, l)
	}
	return ls, nil
}

func closeAll(ls []net.Listener) {
	for _, l := range ls {
		l.Close()
	}
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// waitForEnd returns on SIGINT or SIGTERM, or when stdin reaches EOF, which
// is how a parent that was killed outright still stops this process.
func waitForEnd() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	eof := make(chan struct{})
	go func() {
		r := bufio.NewReader(os.Stdin)
		for {
			if _, err := r.ReadByte(); err != nil {
				close(eof)
				return
			}
		}
	}()
	select {
	case <-sig:
	case <-eof:
	}
}
