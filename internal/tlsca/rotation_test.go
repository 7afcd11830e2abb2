package tlsca

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"outlast/internal/errtest"
)

// Node a's certificate is replaced in place, key first, while b holds a
// connection open: new connections see the new serial, the open one keeps
// working, and the moment between key and certificate costs no handshake.
func TestTLSNodeCertRotationInPlace(t *testing.T) {
	p := newPair(t)
	sa := serve(t, p.ra.ServerConfig())
	oldSerial := serialOf(t, p.fa.Cert)
	long, _ := mustConnect(t, "before rotation", sa, p.rb.ClientConfig("a"))
	if got := peerSerial(long); got.Cmp(oldSerial) != 0 {
		t.Fatalf("before rotation: server serial %x, want %x", got, oldSerial)
	}

	issue(t, p.caDir, "a", NodeOptions{Force: true})
	newFiles := NodeFiles(p.caDir, "a")
	newSerial := serialOf(t, newFiles.Cert)
	install(t, newFiles.Key, p.fa.Key)
	p.clk.Advance(time.Second)
	c, _ := mustConnect(t, "new key, old certificate", sa, p.rb.ClientConfig("a"))
	if got := peerSerial(c); got.Cmp(oldSerial) != 0 {
		t.Errorf("with a key that fits no certificate yet: serial %x, want the old %x", got, oldSerial)
	}
	if err := p.ra.Status().Err; !errtest.WantMessage(t, err, "does not match") {
		t.Errorf("Status().Err = %v, want the key mismatch reported", err)
	}

	install(t, newFiles.Cert, p.fa.Cert)
	p.clk.Advance(time.Second)
	c, _ = mustConnect(t, "after rotation", sa, p.rb.ClientConfig("a"))
	if got := peerSerial(c); got.Cmp(newSerial) != 0 {
		t.Errorf("after rotation: serial %x, want the new %x", got, newSerial)
	}
	if st := p.ra.Status(); st.Err != nil || st.Serial.Cmp(newSerial) != 0 {
		t.Errorf("Status() = serial %x err %v, want serial %x and no error", st.Serial, st.Err, newSerial)
	}
	if err := roundTrip(long); err != nil {
		t.Fatalf("connection opened before the rotation: %v, want it still working", err)
	}
	if got := peerSerial(long); got.Cmp(oldSerial) != 0 {
		t.Errorf("connection opened before the rotation now shows serial %x, want %x", got, oldSerial)
	}
}

// The client side's certificate rotates the same way: the server sees the
// new serial of b on the next connection.
func TestTLSClientCertRotationInPlace(t *testing.T) {
	p := newPair(t)
	sa := serve(t, p.ra.ServerConfig())
	_, res := mustConnect(t, "before rotation", sa, p.rb.ClientConfig("a"))
	if res.serial.Cmp(serialOf(t, p.fb.Cert)) != 0 {
		t.Fatalf("server saw client serial %x, want b's %x", res.serial, serialOf(t, p.fb.Cert))
	}
	issue(t, p.caDir, "b", NodeOptions{Force: true})
	install(t, NodeFiles(p.caDir, "b").Cert, p.fb.Cert)
	install(t, NodeFiles(p.caDir, "b").Key, p.fb.Key)
	p.clk.Advance(time.Second)
	_, res = mustConnect(t, "after rotation", sa, p.rb.ClientConfig("a"))
	if want := serialOf(t, p.fb.Cert); res.serial.Cmp(want) != 0 {
		t.Fatalf("after rotation: server saw client serial %x, want the new %x", res.serial, want)
	}
}

// The files are looked at no more than once per CheckEvery, whatever the
// number of handshakes.
func TestTLSFilesAreLookedAtOncePerInterval(t *testing.T) {
	p := newPair(t)
	sa := serve(t, p.ra.ServerConfig())
	oldSerial := serialOf(t, p.fa.Cert)
	issue(t, p.caDir, "a", NodeOptions{Force: true})
	install(t, NodeFiles(p.caDir, "a").Key, p.fa.Key)
	install(t, NodeFiles(p.caDir, "a").Cert, p.fa.Cert)
	p.clk.Advance(999 * time.Millisecond)
	if c, _ := mustConnect(t, "within the interval", sa, p.rb.ClientConfig("a")); peerSerial(c).Cmp(oldSerial) != 0 {
		t.Fatalf("files re-read before the interval passed: serial %x, want the old %x", peerSerial(c), oldSerial)
	}
	p.clk.Advance(time.Millisecond)
	if c, _ := mustConnect(t, "after the interval", sa, p.rb.ClientConfig("a")); peerSerial(c).Cmp(oldSerial) == 0 {
		t.Fatal("files not re-read once the interval passed")
	}
}

// A replacement that cannot be used is reported and ignored; the node goes
// on with what it had, and picks up the files once they are fixed.
func TestTLSBrokenReplacementKeepsOldMaterial(t *testing.T) {
	p := newPair(t)
	var logs bytes.Buffer
	ra, err := LoadWithOptions(p.fa, "a", Options{Clock: p.clk, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	sa := serve(t, ra.ServerConfig())
	oldSerial := serialOf(t, p.fa.Cert)
	good := map[string][]byte{p.fa.CA: readFile(t, p.fa.CA), p.fa.Cert: readFile(t, p.fa.Cert), p.fa.Key: readFile(t, p.fa.Key)}
	foreignDir := makeCA(t, "test")
	issue(t, foreignDir, "a", NodeOptions{})
	issue(t, p.caDir, "c", NodeOptions{})
	goodCA, goodCert := good[p.fa.CA], good[p.fa.Cert]
	mtime := time.Now()

	for _, tc := range []struct {
		name  string
		write map[string][]byte
		want  string
	}{
		{"half-written certificate", map[string][]byte{p.fa.Cert: goodCert[:len(goodCert)/2]}, "half-written"},
		{"empty CA file", map[string][]byte{p.fa.CA: nil}, "no certificate"},
		{"CA file half-written", map[string][]byte{p.fa.CA: append(append([]byte{}, goodCA...), goodCA[:40]...)}, "half-written"},
		{"CA file without the node's CA", map[string][]byte{p.fa.CA: readFile(t, filepath.Join(foreignDir, CACertFile))}, "unknown authority"},
		{"key of another certificate", map[string][]byte{p.fa.Key: readFile(t, NodeFiles(p.caDir, "c").Key)}, "does not match"},
		{"certificate of another node", map[string][]byte{
			p.fa.Cert: readFile(t, NodeFiles(p.caDir, "c").Cert), p.fa.Key: readFile(t, NodeFiles(p.caDir, "c").Key)}, `is for "c"`},
		{"certificate from another CA", map[string][]byte{
			p.fa.Cert: readFile(t, NodeFiles(foreignDir, "a").Cert), p.fa.Key: readFile(t, NodeFiles(foreignDir, "a").Key)}, "unknown authority"},
	} {
		for path, data := range tc.write {
			// Written in place, not renamed, as a careless copy would. A key
			// has the same size as the one it replaces and the kernel's file
			// times can be coarser than this test is fast, so the
			// modification time is moved on by hand, as a real edit would.
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			mtime = mtime.Add(time.Second)
			if err := os.Chtimes(path, mtime, mtime); err != nil {
				t.Fatal(err)
			}
		}
		p.clk.Advance(time.Second)
		c, _ := mustConnect(t, tc.name, sa, p.rb.ClientConfig("a"))
		if got := peerSerial(c); got.Cmp(oldSerial) != 0 {
			t.Errorf("%s: serial %x, want the old %x kept", tc.name, got, oldSerial)
		}
		if err := ra.Status().Err; !errtest.WantMessage(t, err, tc.want) {
			t.Errorf("%s: Status().Err = %v, want it to contain %q", tc.name, err, tc.want)
		}
		if err := ra.Reload(); err == nil {
			t.Errorf("%s: Reload() succeeded, want an error", tc.name)
		}
		for path, data := range good {
			installData(t, path, data)
		}
	}
	if !strings.Contains(logs.String(), "keeping the previous certificate") {
		t.Errorf("log %q, want the refusal logged", logs.String())
	}
	p.clk.Advance(time.Second)
	mustConnect(t, "fixed", sa, p.rb.ClientConfig("a"))
	if err := ra.Status().Err; err != nil {
		t.Errorf("after fixing the files: Status().Err = %v, want nil", err)
	}
}

// CA rotation in three steps, one node at a time, with a handshake in both
// directions between every pair after every file changed: (1) every node
// trusts old and new CA; (2) every node gets a certificate from the new CA;
// (3) every node drops the old CA. No handshake may fail on the way, and at
// the end a certificate from the old CA is refused.
func TestTLSCARotationInThreeSteps(t *testing.T) {
	p := newPair(t)
	oldDir, newDir := p.caDir, makeCA(t, "test")
	nodes := []struct {
		name  string
		files Files
		r     *Reloader
	}{{"a", p.fa, p.ra}, {"b", p.fb, p.rb}}
	servers := map[string]*echoServer{}
	for _, n := range nodes {
		servers[n.name] = serve(t, n.r.ServerConfig())
	}
	checkAll := func(step string) {
		t.Helper()
		p.clk.Advance(time.Second)
		for _, from := range nodes {
			for _, to := range nodes {
				if from.name != to.name {
					mustConnect(t, fmt.Sprintf("%s: %s dials %s", step, from.name, to.name), servers[to.name], from.r.ClientConfig(to.name))
				}
			}
		}
	}
	checkAll("before")

	bundle := concat(t, filepath.Join(oldDir, CACertFile), filepath.Join(newDir, CACertFile))
	for _, n := range nodes {
		installData(t, n.files.CA, bundle)
		checkAll("step 1, " + n.name + " trusts both CAs")
	}
	for _, n := range nodes {
		issue(t, newDir, n.name, NodeOptions{})
		install(t, NodeFiles(newDir, n.name).Key, n.files.Key)
		checkAll("step 2, " + n.name + " has its new key only")
		install(t, NodeFiles(newDir, n.name).Cert, n.files.Cert)
		checkAll("step 2, " + n.name + " has a certificate from the new CA")
	}
	for _, n := range nodes {
		install(t, filepath.Join(newDir, CACertFile), n.files.CA)
		checkAll("step 3, " + n.name + " trusts the new CA only")
	}
	for _, n := range nodes {
		if st := n.r.Status(); st.Err != nil || st.CAs != 1 {
			t.Errorf("%s after rotation: Status() = %d CAs, err %v; want 1 CA, no error", n.name, st.CAs, st.Err)
		}
	}

	// A node still on the old CA is now refused.
	issue(t, oldDir, "c", NodeOptions{})
	stale, err := LoadWithOptions(NodeFiles(oldDir, "c"), "c", Options{Clock: p.clk})
	if err != nil {
		t.Fatal(err)
	}
	_, cerr := dial(t, servers["a"].addr, stale.ClientConfig("a"))
	if res := servers["a"].next(t); res.err == nil || cerr == nil {
		t.Fatalf("node with an old-CA certificate: server saw %v, client saw %v; want refused", res.err, cerr)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
