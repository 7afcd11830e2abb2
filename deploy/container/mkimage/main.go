// Command mkimage builds outlast's container image from a static binary,
// without pulling a base image or needing a container daemon: the binary,
// this machine's CA certificates, /etc/passwd and /etc/group naming the
// non-root user nonroot (65532), a default configuration and a data
// directory, run as that user. deploy/package calls it; the Dockerfile
// beside it builds the same image with docker.
//
//	go run ./deploy/container/mkimage --binary outlast-linux-amd64 --arch amd64 --version v1.2.0 --out image.tar
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"outlast/deploy/container/ociimage"
)

// The image's non-root user, as distroless images number it.
const (
	uid = 65532
	gid = 65532
)

func main() {
	binary := flag.String("binary", "", "the static outlast `file` for linux/ARCH (required)")
	arch := flag.String("arch", "amd64", "the binary's GOARCH")
	version := flag.String("version", "dev", "the version the image is tagged and labelled with")
	config := flag.String("config", "deploy/container/outlast.yaml", "the default configuration `file`, /etc/outlast/outlast.yaml in the image")
	ca := flag.String("ca", "/etc/ssl/certs/ca-certificates.crt", "the CA certificates `file` probes of HTTPS endpoints trust")
	out := flag.String("out", "", "the image tar to write (required)")
	flag.Parse()
	if *binary == "" || *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "mkimage: --binary and --out are required, and nothing else (-h lists the flags)")
		os.Exit(2)
	}
	if err := run(*binary, *arch, *version, *config, *ca, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(binary, arch, version, config, ca, out string) error {
	var in inputs
	var err error
	if in.binary, err = os.ReadFile(binary); err != nil {
		return err
	}
	if in.config, err = os.ReadFile(config); err != nil {
		return err
	}
	if in.ca, err = os.ReadFile(ca); err != nil {
		return fmt.Errorf("%w (install the ca-certificates package, or give --ca)", err)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := ociimage.Write(w, outlastImage(in, arch, version, created())); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// created is SOURCE_DATE_EPOCH when set (deploy/package sets the commit's
// time), so the same commit gives the same image digest.
func created() time.Time {
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		return time.Unix(s, 0).UTC()
	}
	return time.Unix(0, 0).UTC()
}

// inputs are the files the image is made of.
type inputs struct {
	binary, config, ca []byte
}

// outlastImage is the image: what the Dockerfile's COPY lines make.
func outlastImage(in inputs, arch, version string, at time.Time) ociimage.Image {
	dir := func(p string, mode int64, owner int) ociimage.File {
		return ociimage.File{Path: p, Dir: true, Mode: mode, UID: owner, GID: owner}
	}
	file := func(p string, mode int64, data []byte) ociimage.File {
		return ociimage.File{Path: p, Mode: mode, Data: data}
	}
	return ociimage.Image{
		Files: []ociimage.File{
			dir("/etc", 0o755, 0), dir("/etc/ssl", 0o755, 0), dir("/etc/ssl/certs", 0o755, 0),
			dir("/etc/outlast", 0o755, 0), dir("/usr", 0o755, 0), dir("/usr/bin", 0o755, 0),
			dir("/var", 0o755, 0), dir("/var/lib", 0o755, 0), dir("/var/lib/outlast", 0o750, uid),
			dir("/tmp", 0o1777, 0),
			file("/usr/bin/outlast", 0o755, in.binary),
			file("/etc/ssl/certs/ca-certificates.crt", 0o644, in.ca),
			file("/etc/outlast/outlast.yaml", 0o644, in.config),
			file("/etc/passwd", 0o644, []byte(fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/var/lib/outlast:/sbin/nologin\n", uid, gid))),
			file("/etc/group", 0o644, []byte(fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", gid))),
		},
		Arch:         arch,
		User:         fmt.Sprintf("%d:%d", uid, gid),
		Entrypoint:   []string{"/usr/bin/outlast", "serve", "--config", "/etc/outlast/outlast.yaml"},
		WorkingDir:   "/var/lib/outlast",
		ExposedPorts: []string{"53/udp", "53/tcp", "8080/tcp"},
		Volumes:      []string{"/var/lib/outlast"},
		Labels: map[string]string{
			"org.opencontainers.image.title":   "outlast",
			"org.opencontainers.image.version": version,
		},
		RepoTag: "outlast:" + version,
		Created: at,
	}
}
