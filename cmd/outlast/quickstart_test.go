package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/shiftwatch"
)

// TestQuickstart runs the README's quickstart with the real binary: two
// `outlast backend` processes, `outlast serve --config examples/single-node.yaml`,
// and dig (or, where dig is not installed, a DNS client) against 127.0.0.1:8053.
func TestQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	for _, addr := range []string{"127.0.0.1:8053", "127.0.0.1:8080", "127.0.0.11:8081", "127.0.0.12:8081"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("the quickstart needs %s free: %v", addr, err)
		}
		ln.Close()
	}
	bin := buildOutlast(t)
	primary, _ := startProcess(t, bin, "backend", "--listen", "127.0.0.11:8081")
	startProcess(t, bin, "backend", "--listen", "127.0.0.12:8081")
	example, err := os.ReadFile("../../examples/single-node.yaml")
	if err != nil {
		t.Fatal(err)
	}
	configFile := filepath.Join(t.TempDir(), "single-node.yaml")
	if err := os.WriteFile(configFile, example, 0o644); err != nil {
		t.Fatal(err)
	}
	serve, logs := startProcess(t, bin, "serve", "--config", configFile)

	waitDig(t, "api.example.test", "127.0.0.11", 10*time.Second)
	if got := nsid(t, "api.example.test"); got != "local" {
		t.Errorf("dig +nsid names %q, want the example's node, local", got)
	}
	time.Sleep(2 * time.Second) // let the primary be probed up, not merely unknown
	stopProcess(t, primary)
	took := waitDig(t, "api.example.test", "127.0.0.12", 10*time.Second)
	t.Logf("after the primary backend stopped, dig answered 127.0.0.12 within %s", took.Round(10*time.Millisecond))
	if bound := 4 * time.Second; took > bound {
		t.Errorf("failover took %s, want at most interval × fall + timeout + 1s = %s", took, bound)
	}

	// The example's status page is public: anyone may read, nobody may write without a token.
	publicReads(t, "127.0.0.1:8080")

	// SIGHUP reloads the file: a service added to it answers without a restart.
	added := string(example) + `
  - name: www.example.test
    check: {type: tcp, port: 8081}
    endpoints:
      - {name: www1, location: gcp/us-central1, addresses: [127.0.0.12]}
`
	if err := os.WriteFile(configFile, []byte(added), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := serve.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitDig(t, "www.example.test", "127.0.0.12", 10*time.Second)

	// Its whole run, stop included: a single node forming its cluster of one
	// warns of nothing.
	stopProcess(t, serve)
	noRaftWarning(t, logs.String())
}

// startProcess runs the binary with args until the test ends; it returns
// the process and its output so far, stdout and stderr together.
func startProcess(t *testing.T, bin string, args ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopProcess(t, cmd)
		if t.Failed() {
			t.Logf("outlast %s output:\n%s", strings.Join(args, " "), logs.String())
		}
	})
	return cmd, logs
}

// noRaftWarning fails the test for every warning raft logged (slog's text
// lines carry raft=NAME): a single node electing itself at its start is how
// it forms, not a fault to warn an operator of. Other warnings, such as an
// answer mode changing while backends are down, are the product's own.
func noRaftWarning(t *testing.T, logs string) {
	t.Helper()
	for line := range strings.Lines(logs) {
		if strings.Contains(line, "level=WARN") && strings.Contains(line, " raft=") {
			t.Errorf("a single node logged a raft warning: %s", strings.TrimSpace(line))
		}
	}
}

func stopProcess(t *testing.T, cmd *exec.Cmd) {
	if cmd.ProcessState != nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Errorf("%s did not stop within 10s of SIGTERM", cmd.Args)
	}
}

// waitDig asks for name A every 100 ms until the answer is want alone.
func waitDig(t *testing.T, name, want string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var got string
	for time.Since(start) < limit {
		if got = dig(name); got == want {
			return time.Since(start)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("after %s dig %s answers %q, want %q", limit, name, got, want)
	return 0
}

// dig asks the quickstart's node for name A as the README does, with dig;
// where dig is not installed, with shiftwatch.Ask. It returns the
// addresses, one a line, or what went wrong.
func dig(name string) string {
	if path, err := exec.LookPath("dig"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		out, _ := exec.CommandContext(ctx, path, "+short", "+tries=1", "+time=1", "@127.0.0.1", "-p", "8053", name, "A").Output()
		return strings.TrimSpace(string(out))
	}
	a := shiftwatch.Ask(context.Background(), "127.0.0.1:8053", shiftwatch.Query{Name: name})
	if a.Kind != shiftwatch.Answered {
		return "error: " + a.Err.Error()
	}
	var lines []string
	for _, ip := range a.Addrs {
		lines = append(lines, ip.String())
	}
	return strings.Join(lines, "\n")
}

// nsid asks the quickstart's node for name with the NSID option, as
// dig +nsid does (with dig where it is installed), and returns the
// identifier it answered.
func nsid(t *testing.T, name string) string {
	t.Helper()
	if path, err := exec.LookPath("dig"); err == nil {
		out, err := exec.Command(path, "+nsid", "+tries=1", "+time=2", "@127.0.0.1", "-p", "8053", name, "A").Output()
		if err != nil {
			t.Fatalf("dig +nsid: %v", err)
		}
		// ; NSID: 6c 6f 63 61 6c ("local")
		_, quoted, ok := strings.Cut(string(out), "; NSID: ")
		_, id, _ := strings.Cut(quoted, "(\"")
		id, _, _ = strings.Cut(id, "\")")
		if !ok {
			t.Fatalf("dig +nsid printed no NSID:\n%s", out)
		}
		return id
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	m.SetEdns0(1232, false)
	m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_NSID{Code: dns.EDNS0NSID})
	r, err := dns.Exchange(m, "127.0.0.1:8053")
	if err != nil {
		t.Fatalf("a query with NSID: %v", err)
	}
	for _, o := range r.IsEdns0().Option {
		if n, ok := o.(*dns.EDNS0_NSID); ok {
			b, _ := hex.DecodeString(n.Nsid)
			return string(b)
		}
	}
	return ""
}

// publicReads checks a node with api.public_status: every read endpoint and
// the status page answer without a token, a write is refused with 401, and
// the CLI reads with no OUTLAST_TOKEN.
func publicReads(t *testing.T, addr string) {
	t.Helper()
	for _, path := range []string{"/", "/api/v1/status", "/api/v1/services", "/api/v1/answers", "/api/v1/overrides",
		"/api/v1/events", "/api/v1/config"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s without a token on a public node: %d, want 200", path, resp.StatusCode)
		}
	}
	resp, err := http.Post("http://"+addr+"/api/v1/overrides", "application/json",
		strings.NewReader(`{"endpoint":"primary","kind":"drain","reason":"anonymous"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /api/v1/overrides without a token on a public node: %d, want 401", resp.StatusCode)
	}
	var stdout, stderr bytes.Buffer
	t.Setenv("OUTLAST_TOKEN", "")
	if code := run([]string{"endpoints", "--addr", addr}, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "primary") {
		t.Errorf("outlast endpoints without a token on a public node: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
}
