package main

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"outlast/deploy/container/ociimage"
)

// TestImageRunsOutlastAsNonRoot writes the image and reads it back as a
// container runtime would: the user is not root, the entrypoint serves the
// default configuration, and the layer holds the binary, the machine's CA
// certificates and a passwd naming the user.
func TestImageRunsOutlastAsNonRoot(t *testing.T) {
	ca, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		t.Skipf("no CA bundle on this machine: %v", err)
	}
	config, err := os.ReadFile("../outlast.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := inputs{binary: []byte("\x7fELF a stand-in for the binary"), config: config, ca: ca}
	var buf bytes.Buffer
	if err := ociimage.Write(&buf, outlastImage(in, "arm64", "v9.9.9", time.Unix(1700000000, 0))); err != nil {
		t.Fatal(err)
	}
	img, err := ociimage.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	c := img.Config.Config
	if c.User == "" || c.User == "0" || strings.HasPrefix(c.User, "0:") || strings.HasPrefix(c.User, "root") {
		t.Errorf("User = %q, want a non-root uid", c.User)
	}
	want := []string{"/usr/bin/outlast", "serve", "--config", "/etc/outlast/outlast.yaml"}
	if !slices.Equal(c.Entrypoint, want) {
		t.Errorf("Entrypoint = %q, want %q", c.Entrypoint, want)
	}
	for _, port := range []string{"53/udp", "53/tcp", "8080/tcp"} {
		if _, ok := c.ExposedPorts[port]; !ok {
			t.Errorf("port %s not exposed (%v)", port, c.ExposedPorts)
		}
	}
	if img.Config.Architecture != "arm64" || img.Config.OS != "linux" {
		t.Errorf("platform %s/%s, want linux/arm64", img.Config.OS, img.Config.Architecture)
	}
	checkFile(t, img, "usr/bin/outlast", in.binary, 0o755)
	checkFile(t, img, "etc/ssl/certs/ca-certificates.crt", ca, 0o644)
	checkFile(t, img, "etc/outlast/outlast.yaml", config, 0o644)
	if !strings.Contains(string(img.Data["etc/passwd"]), ":65532:65532:") || c.User != "65532:65532" {
		t.Errorf("user %q and /etc/passwd %q do not name the same non-root user", c.User, img.Data["etc/passwd"])
	}
	if h := img.Layer["var/lib/outlast/"]; h == nil || h.Uid != 65532 {
		t.Errorf("the data directory is missing or not the user's: %+v", h)
	}
}

func TestImageIsReproducible(t *testing.T) {
	in := inputs{binary: []byte("bin"), config: []byte("cfg"), ca: []byte("ca")}
	at := time.Unix(1700000000, 0)
	var a, b bytes.Buffer
	if err := ociimage.Write(&a, outlastImage(in, "amd64", "v1", at)); err != nil {
		t.Fatal(err)
	}
	if err := ociimage.Write(&b, outlastImage(in, "amd64", "v1", at)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same inputs made two different image tars")
	}
}

func checkFile(t *testing.T, img *ociimage.Loaded, path string, want []byte, mode int64) {
	t.Helper()
	h := img.Layer[path]
	if h == nil {
		t.Errorf("%s is not in the layer", path)
		return
	}
	if !bytes.Equal(img.Data[path], want) {
		t.Errorf("%s holds %d bytes, not the %d given", path, len(img.Data[path]), len(want))
	}
	if h.Mode != mode {
		t.Errorf("%s has mode %o, want %o", path, h.Mode, mode)
	}
}
