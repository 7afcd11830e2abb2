package ociimage

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxBlob bounds what Read keeps of one tar entry: a layer holding a
// static binary of some tens of megabytes.
const maxBlob = 512 << 20

// Loaded is an image tar as Read finds it.
type Loaded struct {
	Config Config
	// Layer maps each layer path ("usr/bin/outlast") to its header.
	Layer map[string]*tar.Header
	// Data holds the layer's regular files' contents, by path.
	Data map[string][]byte
}

// Read opens an image tar written by Write (or docker save), following
// index.json to its one manifest, the config and the layer, and checking
// every digest on the way.
func Read(r io.Reader) (*Loaded, error) {
	blobs, err := readAll(r)
	if err != nil {
		return nil, err
	}
	var idx index
	if err := unmarshal(blobs, "index.json", &idx); err != nil {
		return nil, err
	}
	if len(idx.Manifests) != 1 {
		return nil, fmt.Errorf("ociimage: index.json lists %d manifests, want 1", len(idx.Manifests))
	}
	var man manifest
	if err := blob(blobs, idx.Manifests[0], &man); err != nil {
		return nil, err
	}
	var l Loaded
	if err := blob(blobs, man.Config, &l.Config); err != nil {
		return nil, err
	}
	if len(man.Layers) != 1 {
		return nil, fmt.Errorf("ociimage: the manifest lists %d layers, want 1", len(man.Layers))
	}
	layer, err := verified(blobs, man.Layers[0])
	if err != nil {
		return nil, err
	}
	l.Layer, l.Data = map[string]*tar.Header{}, map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(layer))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return &l, nil
		}
		if err != nil {
			return nil, fmt.Errorf("ociimage: layer: %w", err)
		}
		l.Layer[h.Name] = h
		if h.Typeflag == tar.TypeReg {
			if l.Data[h.Name], err = io.ReadAll(tr); err != nil {
				return nil, err
			}
		}
	}
}

func readAll(r io.Reader) (map[string][]byte, error) {
	blobs := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return blobs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("ociimage: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > maxBlob {
			return nil, fmt.Errorf("ociimage: %s is %d bytes, more than the %d this reader takes", h.Name, h.Size, maxBlob)
		}
		if blobs[h.Name], err = io.ReadAll(tr); err != nil {
			return nil, err
		}
	}
}

func unmarshal(blobs map[string][]byte, name string, v any) error {
	b, ok := blobs[name]
	if !ok {
		return fmt.Errorf("ociimage: no %s in the image tar", name)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("ociimage: %s: %w", name, err)
	}
	return nil
}

func verified(blobs map[string][]byte, d descriptor) ([]byte, error) {
	b, ok := blobs[blobPath(d.Digest)]
	if !ok {
		return nil, fmt.Errorf("ociimage: no blob %s", d.Digest)
	}
	if got := digest(b); got != d.Digest || len(b) != d.Size {
		return nil, fmt.Errorf("ociimage: blob %s holds %s (%d bytes, want %d)", d.Digest, got, len(b), d.Size)
	}
	return b, nil
}

func blob(blobs map[string][]byte, d descriptor, v any) error {
	b, err := verified(blobs, d)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("ociimage: %s: %w", d.Digest, err)
	}
	return nil
}
