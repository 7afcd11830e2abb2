package tlsca

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"outlast/internal/clock"
)

// Options tune a Reloader; the zero value is what production wants.
type Options struct {
	// CheckEvery is the least time between two looks at the files'
	// modification time and size, taken on the handshake path (default 1s).
	CheckEvery time.Duration
	// Clock tells time for CheckEvery and for certificate validity
	// (default: the wall clock).
	Clock clock.Clock
	// Logger gets one line per reload, good or refused (default: none).
	Logger *slog.Logger
}

// Status describes the material a Reloader uses now.
type Status struct {
	Serial   *big.Int  // this node's certificate serial
	NotAfter time.Time // when this node's certificate expires
	CAs      int       // how many CA certificates are trusted
	LoadedAt time.Time
	// Err is why the files on disk were refused at the last look, nil when
	// they are what is in use. While set, the previous material serves.
	Err error
}

// Reloader holds a node's certificate, key and trusted CAs and hands out
// TLS configurations that always use the latest good copy of the files.
type Reloader struct {
	files Files
	name  string
	// serverOnly: a certificate from outside the cluster's CA (LoadServer).
	serverOnly bool
	every      time.Duration
	clock      clock.Clock
	log        *slog.Logger

	cur atomic.Pointer[material]

	mu      sync.Mutex // serialises looks at the files; guards the fields below
	checked time.Time
	stamps  [3]stamp
	lastErr error
}

// material is one consistent, verified set of the three files.
type material struct {
	cert     tls.Certificate // Leaf set
	pool     *x509.CertPool
	cas      int
	loadedAt time.Time
}

// stamp is what a look at a file compares: the same file (inode), the same
// modification time and size, or the same error.
type stamp struct {
	info os.FileInfo
	err  string
}

// Load reads files and checks that they fit together: the key matches the
// certificate, the certificate's common name is nodeName (unless empty) and
// it chains to a CA in files.CA for both server and client use.
func Load(files Files, nodeName string) (*Reloader, error) {
	return LoadWithOptions(files, nodeName, Options{})
}

// LoadWithOptions is Load with tuning, for tests and logging.
func LoadWithOptions(files Files, nodeName string, opts Options) (*Reloader, error) {
	return start(&Reloader{files: files, name: nodeName, every: opts.CheckEvery, clock: opts.Clock, log: opts.Logger})
}

// LoadServer loads a server certificate from outside the cluster's CA (a
// public CA's, for the HTTP proxy's clients) and its key, reloaded like a
// node's: only the key and the validity dates are checked, and only
// HTTPSConfig makes sense of it.
func LoadServer(cert, key string, opts Options) (*Reloader, error) {
	return start(&Reloader{files: Files{Cert: cert, Key: key}, serverOnly: true, every: opts.CheckEvery, clock: opts.Clock, log: opts.Logger})
}

func start(r *Reloader) (*Reloader, error) {
	if r.every <= 0 {
		r.every = time.Second
	}
	if r.clock == nil {
		r.clock = clock.Real{}
	}
	if r.log == nil {
		r.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r.stamps = stampAll(r.files)
	m, err := r.loadFiles()
	if err != nil {
		return nil, err
	}
	r.cur.Store(m)
	r.checked = r.clock.Now()
	return r, nil
}

// Reload re-reads the files now, whether they look changed or not (for
// SIGHUP). On error the previous material stays in use.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checked = r.clock.Now()
	r.stamps = stampAll(r.files)
	return r.reloadLocked()
}

// Status reports the material in use and the last refusal, if any.
func (r *Reloader) Status() Status {
	m := r.cur.Load()
	r.mu.Lock()
	err := r.lastErr
	r.mu.Unlock()
	return Status{Serial: m.cert.Leaf.SerialNumber, NotAfter: m.cert.Leaf.NotAfter, CAs: m.cas, LoadedAt: m.loadedAt, Err: err}
}

// maybeReload looks at the files at most once per r.every and reloads them
// when they changed. It runs inside handshakes, which then use whatever
// material it leaves in place.
func (r *Reloader) maybeReload() *material {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock.Now()
	if now.Sub(r.checked) < r.every {
		return r.cur.Load()
	}
	r.checked = now
	stamps := stampAll(r.files)
	if equalStamps(stamps, r.stamps) {
		return r.cur.Load()
	}
	// Remembered even when the reload fails, so a broken file is reported
	// once rather than every second; fixing it changes the stamp again.
	r.stamps = stamps
	_ = r.reloadLocked()
	return r.cur.Load()
}

func (r *Reloader) reloadLocked() error {
	m, err := r.loadFiles()
	if err != nil {
		r.lastErr = err
		r.log.Error("TLS files changed but cannot be used; keeping the previous certificate", "err", err)
		return err
	}
	r.lastErr = nil
	r.cur.Store(m)
	r.log.Info("TLS files reloaded", "serial", m.cert.Leaf.SerialNumber.Text(16),
		"not_after", m.cert.Leaf.NotAfter.UTC().Format(time.RFC3339), "cas", m.cas)
	return nil
}

func stampAll(files Files) [3]stamp {
	var out [3]stamp
	for i, p := range []string{files.CA, files.Cert, files.Key} {
		info, err := os.Stat(p)
		if err != nil {
			out[i] = stamp{err: err.Error()}
			continue
		}
		out[i] = stamp{info: info}
	}
	return out
}

func equalStamps(a, b [3]stamp) bool {
	for i := range a {
		if (a[i].info == nil) != (b[i].info == nil) || a[i].err != b[i].err {
			return false
		}
		if a[i].info == nil {
			continue
		}
		if !os.SameFile(a[i].info, b[i].info) || a[i].info.Size() != b[i].info.Size() ||
			!a[i].info.ModTime().Equal(b[i].info.ModTime()) {
			return false
		}
	}
	return true
}

// loadFiles loads r's files as its kind says.
func (r *Reloader) loadFiles() (*material, error) {
	if r.serverOnly {
		return loadServerOnly(r.files, r.clock.Now())
	}
	return loadMaterial(r.files, r.name, r.clock.Now())
}

func loadMaterial(files Files, nodeName string, now time.Time) (*material, error) {
	cas, err := ReadCertificates(files.CA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range cas {
		if !c.IsCA {
			return nil, fmt.Errorf("tlsca: %s: certificate %q is not a CA", files.CA, c.Subject.CommonName)
		}
		pool.AddCert(c)
	}
	cert, err := loadKeyPair(files)
	if err != nil {
		return nil, err
	}
	leaf := cert.Leaf
	if nodeName != "" && leaf.Subject.CommonName != nodeName {
		return nil, fmt.Errorf("tlsca: %s is for %q, this node is %q", files.Cert, leaf.Subject.CommonName, nodeName)
	}
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if err := verifyChain(pool, cert.Certificate, "", usage, now); err != nil {
			return nil, fmt.Errorf("tlsca: %s does not fit %s: %w", files.Cert, files.CA, err)
		}
	}
	return &material{cert: cert, pool: pool, cas: len(cas), loadedAt: now}, nil
}

// loadServerOnly loads a certificate from outside the cluster's CA (a
// public one, for the HTTP proxy's clients): the key must match it and it
// must be valid now; who issued it is the clients' business.
func loadServerOnly(files Files, now time.Time) (*material, error) {
	cert, err := loadKeyPair(files)
	if err != nil {
		return nil, err
	}
	if leaf := cert.Leaf; now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("tlsca: %s is valid from %s to %s, not now", files.Cert,
			leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return &material{cert: cert, loadedAt: now}, nil
}

func loadKeyPair(files Files) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(files.Cert)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsca: %w", err)
	}
	if _, err := parseCertificates(certPEM); err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsca: %s: %w", files.Cert, err)
	}
	keyPEM, err := os.ReadFile(files.Key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsca: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsca: %s with %s: %w", files.Cert, files.Key, err)
	}
	return cert, nil
}

// verifyChain checks that chain (leaf first, DER) leads to a CA in pool and
// allows usage; with a non-empty name, that the leaf is for that name.
func verifyChain(pool *x509.CertPool, chain [][]byte, name string, usage x509.ExtKeyUsage, now time.Time) error {
	if len(chain) == 0 {
		return errors.New("no certificate")
	}
	certs := make([]*x509.Certificate, len(chain))
	for i, der := range chain {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return err
		}
		certs[i] = c
	}
	return verifyCerts(pool, certs, name, usage, now)
}

func verifyCerts(pool *x509.CertPool, certs []*x509.Certificate, name string, usage x509.ExtKeyUsage, now time.Time) error {
	if len(certs) == 0 {
		return errors.New("no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{
		Roots:         pool,
		Intermediates: inter,
		DNSName:       name,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{usage},
	})
	return err
}
