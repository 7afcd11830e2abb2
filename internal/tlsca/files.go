package tlsca

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File names inside a directory made by InitCA and IssueNode.
const (
	CACertFile = "ca.pem"     // the cluster CA certificate(s)
	CAKeyFile  = "ca-key.pem" // the CA private key (0600)
)

// Files names the three files a node needs for mutual TLS.
type Files struct {
	CA   string // the cluster CA certificate(s), PEM; several during a CA rotation
	Cert string // this node's certificate, PEM
	Key  string // this node's private key, PEM
}

// NodeFiles returns the paths IssueNode writes for node name in dir.
func NodeFiles(dir, name string) Files {
	return Files{
		CA:   filepath.Join(dir, CACertFile),
		Cert: filepath.Join(dir, name+".pem"),
		Key:  filepath.Join(dir, name+"-key.pem"),
	}
}

// ReadCertificates returns every certificate in a PEM file. A file with
// anything but whole CERTIFICATE blocks (a half-written file, a key in the
// wrong place) is an error rather than a shorter list.
func ReadCertificates(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tlsca: %w", err)
	}
	certs, err := parseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("tlsca: %s: %w", path, err)
	}
	return certs, nil
}

func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("holds a %q block, want only CERTIFICATE", block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, cert)
	}
	// pem.Decode skips a truncated block without a word, which would
	// silently drop the CA that an operator is still writing.
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("has data that is not a whole PEM block (half-written?)")
	}
	if len(certs) == 0 {
		return nil, errors.New("holds no certificate")
	}
	return certs, nil
}

func parsePrivateKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("holds no PEM block")
	}
	if key, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if signer, ok := key.(crypto.Signer); ok {
			return signer, nil
		}
		return nil, fmt.Errorf("key of type %T cannot sign", key)
	}
	if key, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return key, nil
	}
	if key, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return key, nil
	}
	return nil, fmt.Errorf("holds a %q block that is no private key outlast can read", block.Type)
}

// encodeKey writes PKCS#8, which every TLS stack reads.
func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func encodeCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// publicKeyEqual holds when a and b are the same key; every public key type
// in the standard library has an Equal method.
func publicKeyEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// refuseExisting fails with fs.ErrExist naming the first path that exists,
// before anything is written, so a refused command leaves no partial state.
func refuseExisting(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%w: %s", fs.ErrExist, p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// writeFile writes data with mode perm whatever the umask. With replace it
// goes through a temporary file and a rename, so a node re-reading the file
// sees the old or the new content and never half of one; without, it
// refuses to replace an existing file.
func writeFile(path string, data []byte, perm os.FileMode, replace bool) (err error) {
	if !replace {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err != nil {
			return err
		}
		if err := finish(f, data, perm); err != nil {
			_ = os.Remove(path)
			return err
		}
		return nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if err := finish(f, data, perm); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func finish(f *os.File, data []byte, perm os.FileMode) error {
	err := f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
