package packagetest

import (
	"context"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// root is the repository root, seen from this package's directory.
const root = "../.."

// maxExposure is the most systemd-analyze security may score the unit
// (0 is best, 10 worst; "OK" ends at 2.0). docs/operations.md records the
// figure measured.
const maxExposure = 2.0

// The installed files the package promises.
var installed = []struct {
	path string
	mode os.FileMode
}{
	{"/usr/bin/outlast", 0o755},
	{"/lib/systemd/system/outlast.service", 0o644},
	{"/etc/outlast/outlast.yaml", 0o640},
	{"/usr/share/doc/outlast/help.txt", 0o644},
}

// TestDebInstallsAndServes is issue 19's first done-when line: build the
// .deb for this machine, install it, check it, run it as its user, get a DNS
// answer, purge it. OUTLAST_DEB names a .deb already built, to skip the
// build.
func TestDebInstallsAndServes(t *testing.T) {
	requireMachine(t)
	deb := buildDeb(t)
	install(t, deb)
	checkFiles(t)
	checkUser(t)
	checkUnit(t)
	serveAsPackageUser(t)
	purge(t)
}

// requireMachine skips unless this test may install a package here and
// leave the machine as it found it.
func requireMachine(t *testing.T) {
	if testing.Short() {
		t.Skip("installs a package: not in -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to install a package (dpkg -i) and start outlast as the user outlast")
	}
	for _, tool := range []string{"dpkg", "dpkg-deb", "systemd-analyze", "setpriv", "adduser"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s: %v", tool, err)
		}
	}
	if err := exec.Command("dpkg-query", "-W", "outlast").Run(); err == nil {
		t.Skip("the package outlast is installed on this machine already: this test would remove it")
	}
	if _, err := user.Lookup("outlast"); err == nil {
		t.Skip("a user outlast exists already: this test would delete it")
	}
	for _, network := range []string{"udp", "tcp"} {
		if err := free(network, "127.0.0.1:53"); err != nil {
			t.Skipf("127.0.0.1:53/%s is taken (%v): the installed configuration listens there", network, err)
		}
	}
}

func free(network, addr string) error {
	if network == "udp" {
		c, err := net.ListenPacket(network, addr)
		if err == nil {
			c.Close()
		}
		return err
	}
	l, err := net.Listen(network, addr)
	if err == nil {
		l.Close()
	}
	return err
}

func buildDeb(t *testing.T) string {
	if deb := os.Getenv("OUTLAST_DEB"); deb != "" {
		return deb
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "deploy/package"), "--out", out,
		"--platforms", "linux/"+runtime.GOARCH, "--no-image")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("deploy/package: %v\n%s", err, b)
	}
	debs, _ := filepath.Glob(filepath.Join(out, "outlast_*_"+runtime.GOARCH+".deb"))
	if len(debs) != 1 {
		t.Fatalf("deploy/package made %d .deb files for %s, want 1: %v", len(debs), runtime.GOARCH, debs)
	}
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil || !strings.Contains(string(sums), filepath.Base(debs[0])) {
		t.Errorf("SHA256SUMS does not list %s (%v):\n%s", filepath.Base(debs[0]), err, sums)
	}
	return debs[0]
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
	return string(b)
}

func install(t *testing.T, deb string) {
	run(t, "dpkg", "-i", deb)
	t.Cleanup(func() {
		// Whatever failed, the machine is left without the package, its
		// user or its data.
		if exec.Command("dpkg-query", "-W", "outlast").Run() == nil {
			_ = exec.Command("dpkg", "--purge", "outlast").Run()
		}
	})
}

func checkFiles(t *testing.T) {
	for _, f := range installed {
		fi, err := os.Stat(f.path)
		if err != nil {
			t.Errorf("not installed: %v", err)
			continue
		}
		if fi.Mode().Perm() != f.mode {
			t.Errorf("%s has mode %o, want %o", f.path, fi.Mode().Perm(), f.mode)
		}
	}
	conffiles := run(t, "dpkg-query", "-W", "-f=${Conffiles}", "outlast")
	if !strings.Contains(conffiles, "/etc/outlast/outlast.yaml") {
		t.Errorf("/etc/outlast/outlast.yaml is not a conffile (an upgrade would overwrite the operator's edits): %q", conffiles)
	}
	help := run(t, "/usr/bin/outlast", "help")
	doc, _ := os.ReadFile("/usr/share/doc/outlast/help.txt")
	if string(doc) != help {
		t.Error("/usr/share/doc/outlast/help.txt is not the installed binary's `outlast help`")
	}
	if v := run(t, "/usr/bin/outlast", "version"); !regexp.MustCompile(`(?m)^outlast \S+\ncommit: \S+.*\ngo: go1\.`).MatchString(v) {
		t.Errorf("outlast version printed %q, want the version, commit and Go release", v)
	}
	if out := run(t, "/usr/bin/outlast", "config", "check", "/etc/outlast/outlast.yaml"); !strings.HasSuffix(out, ": ok\n") {
		t.Errorf("the installed configuration does not check: %s", out)
	}
}

func checkUser(t *testing.T) {
	u, err := user.Lookup("outlast")
	if err != nil {
		t.Fatalf("postinst made no user outlast: %v", err)
	}
	if uid, _ := strconv.Atoi(u.Uid); uid == 0 || uid >= 1000 {
		t.Errorf("user outlast has uid %s, want a system uid (1-999)", u.Uid)
	}
	if u.HomeDir != "/var/lib/outlast" {
		t.Errorf("user outlast's home is %s, want /var/lib/outlast", u.HomeDir)
	}
	fi, err := os.Stat("/var/lib/outlast")
	if err != nil {
		t.Fatalf("no data directory: %v", err)
	}
	if st := fi.Sys().(*syscall.Stat_t); strconv.Itoa(int(st.Uid)) != u.Uid {
		t.Errorf("/var/lib/outlast belongs to uid %d, not outlast (%s)", st.Uid, u.Uid)
	}
	cfg, _ := os.Stat("/etc/outlast/outlast.yaml")
	if st := cfg.Sys().(*syscall.Stat_t); strconv.Itoa(int(st.Gid)) != u.Gid {
		t.Errorf("/etc/outlast/outlast.yaml's group is %d, not outlast's (%s): the service cannot read it", st.Gid, u.Gid)
	}
}

var exposureLine = regexp.MustCompile(`Overall exposure level for outlast\.service: ([0-9.]+) (\S+)`)

func checkUnit(t *testing.T) {
	unit := "/lib/systemd/system/outlast.service"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if b, err := exec.CommandContext(ctx, "systemd-analyze", "verify", unit).CombinedOutput(); err != nil || len(b) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unit, err, b)
	}
	out := run(t, "systemd-analyze", "security", "--offline=true", "--no-pager", unit)
	m := exposureLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in systemd-analyze security's output:\n%s", out)
	}
	exposure, _ := strconv.ParseFloat(m[1], 64)
	t.Logf("systemd-analyze security --offline=true %s: exposure %s %s", unit, m[1], m[2])
	if exposure > maxExposure {
		t.Errorf("exposure %.1f (%s), want at most %.1f: the unit lost some hardening\n%s", exposure, m[2], maxExposure, out)
	}
}
