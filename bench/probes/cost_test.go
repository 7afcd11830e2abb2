//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"outlast/internal/config"
	"outlast/internal/probe"
)

// The cost benchmarks say where a probe's CPU goes on the prober's side
// only: the server is a separate process (this test binary again, in
// --serve mode), and the figure reported is this process's own CPU per
// probe from getrusage, user and kernel, next to the usual ns/op.
//
//	go test -run '^$' -bench . -benchtime 20000x ./bench/probes

const serveEnv = "OUTLAST_PROBES_SERVE"

func TestMain(m *testing.M) {
	if args := os.Getenv(serveEnv); args != "" {
		if err := serveMode(strings.Fields(args)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	stopCostServer()
	os.Exit(code)
}

var (
	costOnce   sync.Once
	costCmd    *exec.Cmd
	costStdin  io.Closer
	costPorts  []int
	costErr    error
	costAddrs  = 10
	costPrefix = "127.0.4."
)

// costServer starts the server process once for every benchmark: 10
// addresses × 10 ports, so successive probes go to different targets.
func costServer(b *testing.B) []probe.Target {
	costOnce.Do(func() {
		costCmd = exec.Command(os.Args[0])
		costCmd.Env = append(os.Environ(), fmt.Sprintf("%s=--addr-base %s --addrs %d --port-base 24000 --ports 10",
			serveEnv, costPrefix, costAddrs))
		costCmd.Stderr = os.Stderr
		costCmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		stdin, err := costCmd.StdinPipe()
		if err != nil {
			costErr = err
			return
		}
		costStdin = stdin
		out, err := costCmd.StdoutPipe()
		if err != nil {
			costErr = err
			return
		}
		if costErr = costCmd.Start(); costErr != nil {
			return
		}
		costPorts, costErr = readPorts(out)
	})
	if costErr != nil {
		b.Fatalf("server: %v", costErr)
	}
	var ts []probe.Target
	for a := 1; a <= costAddrs; a++ {
		for _, p := range costPorts {
			ts = append(ts, probe.Target{Addr: netip.MustParseAddr(fmt.Sprintf("%s%d", costPrefix, a)), Port: p})
		}
	}
	return ts
}

func readPorts(r io.Reader) ([]int, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		return nil, err
	}
	return parsePorts(strings.TrimPrefix(strings.TrimSpace(line), "ready "))
}

func stopCostServer() {
	if costCmd == nil || costCmd.Process == nil {
		return
	}
	costCmd.Process.Signal(syscall.SIGTERM)
	costStdin.Close()
	costCmd.Wait()
}

func httpCheck(t config.CheckType) config.Check {
	return config.Check{Type: t, Interval: time.Second, Timeout: time.Second,
		HTTP: config.HTTPCheck{Method: http.MethodGet, Path: "/healthz", ExpectStatus: config.StatusRange{Min: 200, Max: 299}}}
}

// benchCost runs probe on targets in turn from GOMAXPROCS goroutines and
// reports this process's CPU per probe.
func benchCost(b *testing.B, probeOnce func(probe.Target) error) {
	ts := costServer(b)
	var next atomic.Uint64
	user0, sys0 := rusage(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := probeOnce(ts[next.Add(1)%uint64(len(ts))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	user1, sys1 := rusage(b)
	n := float64(b.N)
	b.ReportMetric(float64(user1-user0+sys1-sys0)/float64(time.Microsecond)/n, "cpu-µs/probe")
	b.ReportMetric(float64(sys1-sys0)/float64(time.Microsecond)/n, "sys-µs/probe")
}

func rusage(b *testing.B) (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// BenchmarkProbeHTTP is outlast's HTTP probe as the scheduler runs it.
func BenchmarkProbeHTTP(b *testing.B) { benchProbe(b, config.CheckHTTP) }

// BenchmarkProbeTCP is outlast's TCP probe: a connect and a close.
func BenchmarkProbeTCP(b *testing.B) { benchProbe(b, config.CheckTCP) }

// benchProbe measures outlast's own probe of the given type.
func benchProbe(b *testing.B, typ config.CheckType) {
	c := httpCheck(typ)
	benchCost(b, func(t probe.Target) error {
		if res := probe.Run(context.Background(), t, c); !res.Up {
			return fmt.Errorf("probe %s: %s %s", t.AddrPort(), res.Reason, res.Detail)
		}
		return nil
	})
}

// BenchmarkLeanHTTP is the same HTTP/1.1 exchange written by hand on the
// connection — no http.Transport, no per-connection read and write
// goroutines: a floor for what an HTTP probe can cost.
func BenchmarkLeanHTTP(b *testing.B) {
	benchCost(b, leanHTTP)
}

func leanHTTP(t probe.Target) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", t.AddrPort().String())
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	req := "GET /healthz HTTP/1.1\r\nHost: " + t.AddrPort().String() +
		"\r\nUser-Agent: outlast-probe\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 1024), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
