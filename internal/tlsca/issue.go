package tlsca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CAOptions shapes the cluster CA made by InitCA.
type CAOptions struct {
	// Name identifies the cluster in the CA's subject and in every node
	// certificate it issues (default "outlast").
	Name string
	// Validity is how long the CA certificate is valid (default 10 years).
	Validity time.Duration
}

// NodeOptions shapes a node certificate made by IssueNode.
type NodeOptions struct {
	// Hosts are extra names and addresses the node is reached at: IP
	// addresses go into IP SANs, anything else into DNS SANs. The node name,
	// "localhost", 127.0.0.1 and ::1 are always included, so tools on the
	// node itself can connect over loopback.
	Hosts []string
	// Validity is how long the certificate is valid (default 1 year), cut
	// short to the CA's own expiry.
	Validity time.Duration
	// Force replaces an existing certificate and key of the same name, as a
	// rotation does (default false: refuse).
	Force bool
}

const (
	caCommonName    = "outlast cluster CA"
	defaultCluster  = "outlast"
	defaultCAValid  = 10 * 365 * 24 * time.Hour
	defaultNodeLife = 365 * 24 * time.Hour
	// backdate covers clocks of other nodes that run a little behind the
	// clock of the machine that signs.
	backdate = time.Hour
)

// InitCA makes a new cluster CA in dir (created 0700 if missing): ca.pem and
// ca-key.pem (0600). It refuses, with an error wrapping fs.ErrExist, when
// either file exists: a CA is rotated by making a new one in another
// directory, never by overwriting the one the nodes trust.
func InitCA(dir string, opts CAOptions) error {
	if opts.Name == "" {
		opts.Name = defaultCluster
	}
	if opts.Validity <= 0 {
		opts.Validity = defaultCAValid
	}
	certPath, keyPath := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	if err := refuseExisting(certPath, keyPath); err != nil {
		return fmt.Errorf("tlsca: init CA: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("tlsca: init CA: %w", err)
	}
	key, serial, err := newKeyAndSerial()
	if err != nil {
		return fmt.Errorf("tlsca: init CA: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		// The serial in the subject tells an old CA from its successor
		// when both sit in one ca.pem during a rotation.
		Subject: pkix.Name{
			CommonName:   caCommonName,
			Organization: []string{opts.Name},
			SerialNumber: serial.Text(16),
		},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(opts.Validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return fmt.Errorf("tlsca: init CA: %w", err)
	}
	if err := writePair(certPath, keyPath, der, key, false); err != nil {
		return fmt.Errorf("tlsca: init CA: %w", err)
	}
	return nil
}

// IssueNode signs a certificate for node name with the CA in dir and writes
// <name>.pem and <name>-key.pem (0600) next to it. The certificate serves
// both ends of a connection (server and client auth), since every node
// dials and is dialled. Without opts.Force it refuses, wrapping
// fs.ErrExist, when either file exists.
func IssueNode(dir, name string, opts NodeOptions) error {
	if err := checkNodeName(name); err != nil {
		return fmt.Errorf("tlsca: issue node: %w", err)
	}
	if opts.Validity <= 0 {
		opts.Validity = defaultNodeLife
	}
	files := NodeFiles(dir, name)
	if !opts.Force {
		if err := refuseExisting(files.Cert, files.Key); err != nil {
			return fmt.Errorf("tlsca: issue node %s: %w", name, err)
		}
	}
	ca, caKey, err := readCA(dir)
	if err != nil {
		return fmt.Errorf("tlsca: issue node %s: %w", name, err)
	}
	tmpl, err := nodeTemplate(name, opts, ca)
	if err != nil {
		return fmt.Errorf("tlsca: issue node %s: %w", name, err)
	}
	key, serial, err := newKeyAndSerial()
	if err != nil {
		return fmt.Errorf("tlsca: issue node %s: %w", name, err)
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return fmt.Errorf("tlsca: issue node %s: %w", name, err)
	}
	if err := writePair(files.Cert, files.Key, der, key, opts.Force); err != nil {
		return fmt.Errorf("tlsca: issue node %s: %w", name, err)
	}
	return nil
}

func nodeTemplate(name string, opts NodeOptions, ca *x509.Certificate) (*x509.Certificate, error) {
	now := time.Now()
	if !now.Before(ca.NotAfter) {
		return nil, fmt.Errorf("the CA expired on %s", ca.NotAfter.Format(time.DateOnly))
	}
	dns, ips, err := sans(name, opts.Hosts)
	if err != nil {
		return nil, err
	}
	notAfter := now.Add(opts.Validity)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: name, Organization: ca.Subject.Organization},
		NotBefore:   now.Add(-backdate),
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    dns,
		IPAddresses: ips,
	}, nil
}

// sans sorts hosts into DNS names and IP addresses, name and the loopback
// defaults first, without duplicates.
func sans(name string, hosts []string) (dns []string, ips []net.IP, err error) {
	seen := map[string]bool{}
	for _, h := range append([]string{name, "localhost", "127.0.0.1", "::1"}, hosts...) {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if addr, perr := netip.ParseAddr(h); perr == nil {
			if addr.Zone() != "" {
				return nil, nil, fmt.Errorf("host %q: an IP SAN cannot carry a zone", h)
			}
			if key := addr.Unmap().String(); !seen[key] {
				seen[key] = true
				ips = append(ips, addr.Unmap().AsSlice())
			}
			continue
		}
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		if err := checkHostName(h); err != nil {
			return nil, nil, fmt.Errorf("host %q: %w", h, err)
		}
		if !seen[h] {
			seen[h] = true
			dns = append(dns, h)
		}
	}
	return dns, ips, nil
}

// checkNodeName keeps node names usable both as a DNS SAN and as a file
// name next to the CA, without colliding with ca.pem or another node's key.
func checkNodeName(name string) error {
	if err := checkHostName(name); err != nil {
		return fmt.Errorf("node name %q: %w", name, err)
	}
	if name == "ca" || strings.HasSuffix(name, "-key") {
		return fmt.Errorf("node name %q would collide with the CA or a key file name", name)
	}
	return nil
}

func checkHostName(h string) error {
	if h == "" || len(h) > 253 {
		return errors.New("want 1 to 253 characters")
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("want dot-separated labels of 1 to 63 letters, digits or inner hyphens")
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("character %q is not allowed", c)
			}
		}
	}
	return nil
}

// readCA finds, among the certificates in dir's ca.pem (several during a
// rotation), the one that belongs to ca-key.pem.
func readCA(dir string) (*x509.Certificate, crypto.Signer, error) {
	keyPath := filepath.Join(dir, CAKeyFile)
	data, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("read the CA key (make a CA with tls init first): %w", err)
	}
	key, err := parsePrivateKey(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	certs, err := ReadCertificates(filepath.Join(dir, CACertFile))
	if err != nil {
		return nil, nil, err
	}
	for _, c := range certs {
		if c.IsCA && publicKeyEqual(c.PublicKey, key.Public()) {
			return c, key, nil
		}
	}
	return nil, nil, fmt.Errorf("no CA certificate in %s matches %s", filepath.Join(dir, CACertFile), keyPath)
}

func newKeyAndSerial() (*ecdsa.PrivateKey, *big.Int, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	return key, serial.Add(serial, big.NewInt(1)), nil // never zero
}

// writePair writes the key before the certificate: a reader that finds the
// certificate then finds its key, and a failed certificate write takes the
// fresh key away again.
func writePair(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey, replace bool) error {
	keyPEM, err := encodeKey(key)
	if err != nil {
		return err
	}
	if err := writeFile(keyPath, keyPEM, 0o600, replace); err != nil {
		return err
	}
	if err := writeFile(certPath, encodeCert(der), 0o644, replace); err != nil {
		if !replace {
			_ = os.Remove(keyPath)
		}
		return err
	}
	return nil
}
