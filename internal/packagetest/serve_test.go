package packagetest

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// netBindService is CAP_NET_BIND_SERVICE's bit in /proc/PID/status.
const netBindService = 1 << 10

// serveAsPackageUser starts the installed binary as the unit would: the
// user outlast, only CAP_NET_BIND_SERVICE (ambient), the installed
// configuration on 127.0.0.1:53, a NOTIFY_SOCKET to report to. READY=1 must
// come, a DNS answer must follow, SIGTERM must end it with STOPPING=1.
func serveAsPackageUser(t *testing.T) {
	notify, socket := notifySocket(t)
	var logs bytes.Buffer
	cmd := exec.Command("setpriv", "--reuid", "outlast", "--regid", "outlast", "--init-groups",
		"--inh-caps", "-all,+net_bind_service", "--ambient-caps", "+net_bind_service", "--bounding-set", "-all,+net_bind_service",
		"--no-new-privs", "/usr/bin/outlast", "serve", "--config", "/etc/outlast/outlast.yaml")
	cmd.Dir, cmd.Stdout, cmd.Stderr = "/var/lib/outlast", &logs, &logs
	cmd.Env = []string{"PATH=/usr/bin:/bin", "NOTIFY_SOCKET=" + socket}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start outlast as the user outlast: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("outlast's log:\n%s", logs.String())
		}
	}()

	if got := receive(t, notify, 60*time.Second); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", got)
	}
	checkIdentity(t, cmd.Process.Pid)
	checkAnswer(t)

	_ = cmd.Process.Signal(syscall.SIGTERM)
	if got := receive(t, notify, 15*time.Second); got != "STOPPING=1" {
		t.Errorf("notification at SIGTERM %q, want STOPPING=1", got)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("outlast serve ended with %v after SIGTERM, want exit 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("outlast serve still running 30s after SIGTERM")
	}
}

// notifySocket is the service manager's end of NOTIFY_SOCKET, in a
// directory the user outlast may reach.
func notifySocket(t *testing.T) (*net.UnixConn, string) {
	dir, err := os.MkdirTemp("", "outlast-notify-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	return conn, path
}

func receive(t *testing.T, conn *net.UnixConn, within time.Duration) string {
	t.Helper()
	buf := make([]byte, 4096)
	_ = conn.SetReadDeadline(time.Now().Add(within))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no notification from outlast serve within %s: %v", within, err)
	}
	return string(buf[:n])
}

// checkIdentity reads the running process's user and capabilities: the
// package's user, and CAP_NET_BIND_SERVICE alone.
func checkIdentity(t *testing.T, setprivPID int) {
	u, _ := user.Lookup("outlast")
	status, err := os.ReadFile("/proc/" + strconv.Itoa(setprivPID) + "/status")
	if err != nil {
		t.Fatalf("read the process's status: %v", err)
	}
	fields := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	if uids := strings.Fields(fields["Uid"]); len(uids) == 0 || uids[0] != u.Uid || uids[1] != u.Uid {
		t.Errorf("outlast serve runs as uid %q, want outlast's %s", fields["Uid"], u.Uid)
	}
	for _, set := range []string{"CapEff", "CapPrm", "CapBnd"} {
		if v, err := strconv.ParseUint(fields[set], 16, 64); err != nil || v != netBindService {
			t.Errorf("%s = %s, want CAP_NET_BIND_SERVICE alone (%016x)", set, fields[set], netBindService)
		}
	}
}

// checkAnswer asks the installed configuration's record on port 53.
func checkAnswer(t *testing.T) {
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	q := new(dns.Msg)
	q.SetQuestion("www.example.test.", dns.TypeA)
	r, _, err := c.Exchange(q, "127.0.0.1:53")
	if err != nil {
		t.Fatalf("no DNS answer from 127.0.0.1:53: %v", err)
	}
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Fatalf("www.example.test A: %s", r)
	}
	if a, ok := r.Answer[0].(*dns.A); !ok || !a.A.Equal(net.IPv4(127, 0, 0, 1)) || !r.Authoritative {
		t.Errorf("www.example.test A: %s, want an authoritative 127.0.0.1", r.Answer[0])
	}
}

// purge removes the package as an operator would, and checks nothing is left.
func purge(t *testing.T) {
	run(t, "dpkg", "--purge", "outlast")
	for _, f := range append(installed, struct {
		path string
		mode os.FileMode
	}{"/var/lib/outlast", 0}, struct {
		path string
		mode os.FileMode
	}{"/etc/outlast", 0}) {
		if _, err := os.Lstat(f.path); err == nil {
			t.Errorf("%s is still there after dpkg --purge", f.path)
		}
	}
	if _, err := user.Lookup("outlast"); err == nil {
		t.Error("the user outlast is still there after dpkg --purge")
	}
	if _, err := user.LookupGroup("outlast"); err == nil {
		t.Error("the group outlast is still there after dpkg --purge")
	}
}
