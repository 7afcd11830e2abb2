package tlsca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"outlast/internal/errtest"
)

func TestTLSInitCAWritesCertAndPrivateKey(t *testing.T) {
	dir := makeCA(t, "prod")
	certs, err := ReadCertificates(filepath.Join(dir, CACertFile))
	if err != nil {
		t.Fatal(err)
	}
	ca := certs[0]
	if !ca.IsCA || ca.Subject.CommonName != "outlast cluster CA" || !slices.Equal(ca.Subject.Organization, []string{"prod"}) {
		t.Errorf("CA subject %v IsCA %v, want CN outlast cluster CA, O prod, a CA", ca.Subject, ca.IsCA)
	}
	if life := ca.NotAfter.Sub(time.Now()); life < 9*365*24*time.Hour {
		t.Errorf("CA valid for %v more, want about 10 years", life)
	}
	if pub, ok := ca.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("CA key %T, want ECDSA P-256", ca.PublicKey)
	}
	assertMode(t, filepath.Join(dir, CAKeyFile), 0o600)
	assertMode(t, filepath.Join(dir, CACertFile), 0o644)
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("CA directory: %v %v, want mode 0700", info.Mode(), err)
	}
}

func TestTLSInitCAGivesEachCAItsOwnSerialAndSubject(t *testing.T) {
	a, b := makeCA(t, ""), makeCA(t, "")
	ca, cb := serialOf(t, filepath.Join(a, CACertFile)), serialOf(t, filepath.Join(b, CACertFile))
	if ca.Cmp(cb) == 0 {
		t.Fatalf("two CAs share serial %v", ca)
	}
	certs, _ := ReadCertificates(filepath.Join(a, CACertFile))
	if got := certs[0].Subject.Organization; !slices.Equal(got, []string{"outlast"}) {
		t.Errorf("default cluster name in subject: %v, want [outlast]", got)
	}
}

func TestTLSInitCARefusesToOverwrite(t *testing.T) {
	dir := makeCA(t, "")
	before, _ := os.ReadFile(filepath.Join(dir, CAKeyFile))
	err := InitCA(dir, CAOptions{})
	if !errors.Is(err, fs.ErrExist) || !errtest.WantMessage(t, err, CACertFile) {
		t.Fatalf("second InitCA: %v, want fs.ErrExist naming %s", err, CACertFile)
	}
	after, _ := os.ReadFile(filepath.Join(dir, CAKeyFile))
	if string(before) != string(after) {
		t.Fatal("refused InitCA changed the CA key")
	}
	// A lone key (a half-copied directory) is refused too.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, CAKeyFile), before, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := InitCA(other, CAOptions{}); !errors.Is(err, fs.ErrExist) || !errtest.WantMessage(t, err, CAKeyFile) {
		t.Fatalf("InitCA over a lone key: %v, want fs.ErrExist naming %s", err, CAKeyFile)
	}
	if _, err := os.Stat(filepath.Join(other, CACertFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("refused InitCA wrote %s anyway", CACertFile)
	}
}

func TestTLSIssueNodeCertificate(t *testing.T) {
	dir := makeCA(t, "prod")
	issue(t, dir, "aws-use1", NodeOptions{Hosts: []string{"10.0.0.7", "ns1.example.com.", "2001:db8::7", "127.0.0.1"}})
	files := NodeFiles(dir, "aws-use1")
	assertMode(t, files.Key, 0o600)
	assertMode(t, files.Cert, 0o644)
	certs, err := ReadCertificates(files.Cert)
	if err != nil {
		t.Fatal(err)
	}
	c := certs[0]
	if c.Subject.CommonName != "aws-use1" || !slices.Equal(c.Subject.Organization, []string{"prod"}) {
		t.Errorf("subject %v, want CN aws-use1, O prod", c.Subject)
	}
	if want := []string{"aws-use1", "localhost", "ns1.example.com"}; !slices.Equal(c.DNSNames, want) {
		t.Errorf("DNS SANs %v, want %v", c.DNSNames, want)
	}
	var ips []string
	for _, ip := range c.IPAddresses {
		ips = append(ips, ip.String())
	}
	if want := []string{"127.0.0.1", "::1", "10.0.0.7", "2001:db8::7"}; !slices.Equal(ips, want) {
		t.Errorf("IP SANs %v, want %v", ips, want)
	}
	wantEKU := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	if !slices.Equal(c.ExtKeyUsage, wantEKU) || c.IsCA {
		t.Errorf("EKU %v IsCA %v, want server and client auth, not a CA", c.ExtKeyUsage, c.IsCA)
	}
	if life := c.NotAfter.Sub(time.Now()); life < 364*24*time.Hour || life > 366*24*time.Hour {
		t.Errorf("node certificate valid for %v more, want about a year", life)
	}
	if _, err := Load(files, "aws-use1"); err != nil {
		t.Fatalf("Load of freshly issued files: %v", err)
	}
}

func TestTLSIssueNodeValidityStopsAtTheCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	if err := InitCA(dir, CAOptions{Validity: 48 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	issue(t, dir, "n1", NodeOptions{})
	node, _ := ReadCertificates(NodeFiles(dir, "n1").Cert)
	ca, _ := ReadCertificates(filepath.Join(dir, CACertFile))
	if node[0].NotAfter.After(ca[0].NotAfter) {
		t.Fatalf("node certificate outlives its CA: %v > %v", node[0].NotAfter, ca[0].NotAfter)
	}
}

func TestTLSIssueNodeRefusesToOverwriteUnlessForced(t *testing.T) {
	dir := makeCA(t, "")
	issue(t, dir, "n1", NodeOptions{})
	files := NodeFiles(dir, "n1")
	first := serialOf(t, files.Cert)
	err := IssueNode(dir, "n1", NodeOptions{})
	if !errors.Is(err, fs.ErrExist) || !errtest.WantMessage(t, err, "n1.pem") {
		t.Fatalf("second IssueNode: %v, want fs.ErrExist naming n1.pem", err)
	}
	if got := serialOf(t, files.Cert); got.Cmp(first) != 0 {
		t.Fatal("refused IssueNode replaced the certificate")
	}
	issue(t, dir, "n1", NodeOptions{Force: true})
	if got := serialOf(t, files.Cert); got.Cmp(first) == 0 {
		t.Fatal("forced IssueNode kept the old certificate")
	}
	assertMode(t, files.Key, 0o600)
	if _, err := Load(files, "n1"); err != nil {
		t.Fatalf("Load after forced reissue: %v", err)
	}
}

func TestTLSIssueNodeRefusesBadNamesAndHosts(t *testing.T) {
	dir := makeCA(t, "")
	for _, name := range []string{"", "ca", "n1-key", "../n1", "a/b", "a b", "-n1", "n1..x"} {
		if err := IssueNode(dir, name, NodeOptions{}); err == nil {
			t.Errorf("IssueNode(%q) succeeded, want refused", name)
		}
	}
	for _, host := range []string{"fe80::1%eth0", "bad host", "a..b"} {
		if err := IssueNode(dir, "n1", NodeOptions{Hosts: []string{host}}); err == nil {
			t.Errorf("IssueNode with host %q succeeded, want refused", host)
		}
	}
	if err := IssueNode(t.TempDir(), "n1", NodeOptions{}); !errors.Is(err, fs.ErrNotExist) || !errtest.WantMessage(t, err, "tls init") {
		t.Errorf("IssueNode without a CA: %v, want fs.ErrNotExist and an error pointing at tls init", err)
	}
}

// During a CA rotation the CA directory's ca.pem may hold both CAs; the
// node certificate must come from the one whose key sits next to it.
func TestTLSIssueNodePicksTheCAThatMatchesTheKey(t *testing.T) {
	oldDir, newDir := makeCA(t, ""), makeCA(t, "")
	installData(t, filepath.Join(newDir, CACertFile), concat(t, filepath.Join(oldDir, CACertFile), filepath.Join(newDir, CACertFile)))
	issue(t, newDir, "n1", NodeOptions{})
	oldCA, _ := ReadCertificates(filepath.Join(oldDir, CACertFile))
	node, _ := ReadCertificates(NodeFiles(newDir, "n1").Cert)
	if err := node[0].CheckSignatureFrom(oldCA[0]); err == nil {
		t.Fatal("node certificate signed by the old CA, want the CA of ca-key.pem")
	}
	if _, err := Load(NodeFiles(newDir, "n1"), "n1"); err != nil {
		t.Fatal(err)
	}
}

func TestTLSReadCertificatesRefusesHalfAFile(t *testing.T) {
	dir := makeCA(t, "")
	data, _ := os.ReadFile(filepath.Join(dir, CACertFile))
	half := filepath.Join(t.TempDir(), "half.pem")
	two := append(append([]byte{}, data...), data[:len(data)/2]...)
	for name, content := range map[string][]byte{"empty": nil, "truncated second CA": two, "garbage": []byte("not pem")} {
		if err := os.WriteFile(half, content, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadCertificates(half); err == nil {
			t.Errorf("%s: ReadCertificates succeeded, want an error", name)
		}
	}
	if _, err := ReadCertificates(filepath.Join(dir, CAKeyFile)); err == nil {
		t.Error("ReadCertificates of a key succeeded, want an error")
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
	}
}
