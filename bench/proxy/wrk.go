//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what wrk printed for one pass.
type wrkResult struct {
	RPS       float64       // Requests/sec
	Requests  int64         // "N requests in ..."
	P50, P99  time.Duration // from --latency's distribution
	Non2xx    int64         // "Non-2xx or 3xx responses"
	SocketErr int64         // connect + read + write + timeout
}

// runWrk loads url with wrk over conns keep-alive connections and threads
// threads for d, every request with the Host header host.
func runWrk(ctx context.Context, url, host string, conns, threads int, d, timeout time.Duration) (wrkResult, error) {
	secs := max(int(d.Round(time.Second)/time.Second), 1)
	args := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns), "-d", strconv.Itoa(secs) + "s",
		"--timeout", strconv.Itoa(max(int(timeout/time.Second), 1)) + "s", "--latency", "-H", "Host: " + host, url}
	out, err := exec.CommandContext(ctx, "wrk", args...).CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return parseWrk(string(out))
}

// parseWrk reads wrk 4's report (with --latency).
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	var haveRPS, haveP50, haveP99 bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return r, fmt.Errorf("wrk: %q: %w", sc.Text(), err)
			}
			r.RPS, haveRPS = v, true
		case len(f) == 2 && (f[0] == "50%" || f[0] == "99%"):
			d, err := wrkDuration(f[1])
			if err != nil {
				return r, err
			}
			if f[0] == "50%" {
				r.P50, haveP50 = d, true
			} else {
				r.P99, haveP99 = d, true
			}
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			r.Requests, _ = strconv.ParseInt(f[0], 10, 64)
		case len(f) == 5 && f[0] == "Non-2xx":
			r.Non2xx, _ = strconv.ParseInt(f[4], 10, 64)
		case len(f) > 2 && f[0] == "Socket" && f[1] == "errors:":
			// "Socket errors: connect 0, read 0, write 0, timeout 0"
			for i := 3; i < len(f); i += 2 {
				n, _ := strconv.ParseInt(strings.TrimSuffix(f[i], ","), 10, 64)
				r.SocketErr += n
			}
		}
	}
	if !haveRPS || !haveP50 || !haveP99 {
		return r, fmt.Errorf("wrk: no Requests/sec or no 50%%/99%% latency in its report:\n%s", out)
	}
	return r, nil
}

// wrkDuration reads wrk's latencies: 812.00us, 1.25ms, 2.01s, 1.00m.
func wrkDuration(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, fmt.Errorf("wrk latency %q: %w", s, err)
			}
			return time.Duration(f * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("wrk latency %q: unknown unit", s)
}
