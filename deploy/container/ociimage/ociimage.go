// Package ociimage writes a container image without pulling a base image:
// one layer holding the given files, an image config, and both the OCI
// image layout (index.json, blobs/sha256/...) and Docker's archive manifest
// (manifest.json) in a single tar, which `docker load`, `podman load` and
// `skopeo copy oci-archive:` read. Read opens such a tar again, for tests.
//
// It is what FROM scratch plus COPY would make, built with the standard
// library only, so the release is built offline and bit for bit the same
// from the same inputs (every timestamp is the given one).
package ociimage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"
)

// Media types of the OCI image specification.
const (
	MediaManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaConfig   = "application/vnd.oci.image.config.v1+json"
	MediaLayer    = "application/vnd.oci.image.layer.v1.tar"
	MediaIndex    = "application/vnd.oci.image.index.v1+json"
)

// File is one entry of the image's only layer.
type File struct {
	Path     string // absolute, such as /usr/bin/outlast
	Mode     int64  // permission bits
	UID, GID int
	Dir      bool   // a directory; Data is ignored
	Data     []byte // the contents of a regular file
}

// Image is what the layer holds and how it runs.
type Image struct {
	Files        []File
	Arch         string // GOARCH: amd64, arm64
	User         string // "65532:65532"
	Entrypoint   []string
	WorkingDir   string
	ExposedPorts []string // "53/udp"
	Volumes      []string
	Labels       map[string]string
	RepoTag      string    // the name docker load gives it, such as outlast:v1.2.0
	Created      time.Time // every timestamp in the image
}

// Config is the image configuration (OCI image-spec config.md), the part
// Read gives back.
type Config struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Created      string `json:"created"`
	Config       struct {
		User         string              `json:"User"`
		Entrypoint   []string            `json:"Entrypoint"`
		WorkingDir   string              `json:"WorkingDir,omitempty"`
		ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
		Volumes      map[string]struct{} `json:"Volumes,omitempty"`
		Labels       map[string]string   `json:"Labels,omitempty"`
	} `json:"config"`
	RootFS struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int               `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        descriptor   `json:"config"`
	Layers        []descriptor `json:"layers"`
}

type index struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Manifests     []descriptor `json:"manifests"`
}

// dockerManifest is one entry of Docker's manifest.json (docker save).
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func blobPath(d string) string { return "blobs/sha256/" + strings.TrimPrefix(d, "sha256:") }

// Write writes img as an image tar to w.
func Write(w io.Writer, img Image) error {
	layer, err := layerTar(img.Files, img.Created)
	if err != nil {
		return err
	}
	cfg, err := json.Marshal(configOf(img, digest(layer)))
	if err != nil {
		return err
	}
	man, err := json.Marshal(manifest{SchemaVersion: 2, MediaType: MediaManifest,
		Config: descriptor{MediaType: MediaConfig, Digest: digest(cfg), Size: len(cfg)},
		Layers: []descriptor{{MediaType: MediaLayer, Digest: digest(layer), Size: len(layer)}}})
	if err != nil {
		return err
	}
	idx, err := json.Marshal(index{SchemaVersion: 2, MediaType: MediaIndex, Manifests: []descriptor{{
		MediaType: MediaManifest, Digest: digest(man), Size: len(man),
		Annotations: map[string]string{"io.containerd.image.name": img.RepoTag, "org.opencontainers.image.ref.name": refName(img.RepoTag)},
	}}})
	if err != nil {
		return err
	}
	docker, err := json.Marshal([]dockerManifest{{Config: blobPath(digest(cfg)), RepoTags: []string{img.RepoTag}, Layers: []string{blobPath(digest(layer))}}})
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	entries := []struct {
		name string
		data []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", idx},
		{"manifest.json", docker},
		{blobPath(digest(layer)), layer},
		{blobPath(digest(cfg)), cfg},
		{blobPath(digest(man)), man},
	}
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: img.Created}); err != nil {
			return err
		}
	}
	for _, e := range entries {
		if err := writeFile(tw, &tar.Header{Name: e.name, Mode: 0o644, ModTime: img.Created}, e.data); err != nil {
			return err
		}
	}
	return tw.Close()
}

// refName is the tag part of a repository:tag name, as the OCI layout's
// ref.name annotation wants it.
func refName(repoTag string) string {
	if i := strings.LastIndex(repoTag, ":"); i >= 0 && !strings.Contains(repoTag[i:], "/") {
		return repoTag[i+1:]
	}
	return "latest"
}

func configOf(img Image, layerDigest string) Config {
	var c Config
	c.Architecture, c.OS, c.Created = img.Arch, "linux", img.Created.UTC().Format(time.RFC3339)
	c.Config.User, c.Config.Entrypoint, c.Config.WorkingDir, c.Config.Labels = img.User, img.Entrypoint, img.WorkingDir, img.Labels
	c.Config.ExposedPorts = set(img.ExposedPorts)
	c.Config.Volumes = set(img.Volumes)
	c.RootFS.Type = "layers"
	c.RootFS.DiffIDs = []string{layerDigest} // an uncompressed layer is its own diff
	return c
}

func set(keys []string) map[string]struct{} {
	if len(keys) == 0 {
		return nil
	}
	m := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		m[k] = struct{}{}
	}
	return m
}

// layerTar is the layer: files in path order, each directory before what
// it holds, so the same files make the same digest.
func layerTar(files []File, mtime time.Time) ([]byte, error) {
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range sorted {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path {
			return nil, fmt.Errorf("ociimage: %q is not a clean absolute path", f.Path)
		}
		h := &tar.Header{Name: strings.TrimPrefix(f.Path, "/"), Mode: f.Mode, Uid: f.UID, Gid: f.GID, ModTime: mtime, Format: tar.FormatPAX}
		if f.Dir {
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
			if err := tw.WriteHeader(h); err != nil {
				return nil, err
			}
			continue
		}
		if err := writeFile(tw, h, f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeFile(tw *tar.Writer, h *tar.Header, data []byte) error {
	h.Typeflag, h.Size = tar.TypeReg, int64(len(data))
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}
