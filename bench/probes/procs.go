//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"outlast/bench/internal/benchkit"
)

// startServer starts this program again in --serve mode and waits for the
// ports it bound.
func startServer(ctx context.Context, dir string, o options) (*benchkit.Proc, []int, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	p, ready, err := benchkit.StartReady(ctx, "server", filepath.Join(dir, "server.log"), time.Minute, self, "--serve",
		"--addr-base", o.addrBase, "--addrs", strconv.Itoa(o.perService),
		"--port-base", strconv.Itoa(o.portBase), "--ports", strconv.Itoa(o.services))
	if err != nil {
		return nil, nil, err
	}
	ports, err := parsePorts(ready)
	if err != nil {
		p.Stop(time.Second)
		return nil, nil, fmt.Errorf("server: %w", err)
	}
	return p, ports, nil
}

// parsePorts reads what follows "ready" in the server's first line:
// "P1,P2,...".
func parsePorts(ready string) ([]int, error) {
	var ports []int
	for _, f := range strings.Split(ready, ",") {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("ready line %q: %w", ready, err)
		}
		ports = append(ports, n)
	}
	return ports, nil
}

// freePort asks the kernel for a free loopback port; it can be taken by
// someone else before outlast binds it, and outlast then fails to start,
// which the bench reports.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
