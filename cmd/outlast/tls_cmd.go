package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"outlast/internal/tlsca"
)

const tlsUsage = `Usage:
  outlast tls init [--dir DIR] [--name CLUSTER]               make the cluster CA, once per cluster
  outlast tls node NAME [--dir DIR] [--host H]... [--force]   make the certificate of node NAME

DIR defaults to ./outlast-tls. NAME is the node's node.name. See docs/tls.md.
`

const defaultTLSDir = "./outlast-tls"

func tlsCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, tlsUsage)
		return exitUsage
	}
	switch args[0] {
	case "init":
		return tlsInit(args[1:], stdout, stderr)
	case "node":
		return tlsNode(args[1:], stdout, stderr)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, tlsUsage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "outlast tls: unknown command %q\n\n%s", args[0], tlsUsage)
		return exitUsage
	}
}

func tlsInit(args []string, stdout, stderr io.Writer) int {
	flags := newFlags("tls init", stderr)
	dir := flags.String("dir", defaultTLSDir, "`directory` for ca.pem and ca-key.pem (made 0700 if missing)")
	name := flags.String("name", "outlast", "`cluster` name written into the CA's subject")
	if code, ok := parseFlags(flags, args, 0); !ok {
		return code
	}
	err := tlsca.InitCA(*dir, tlsca.CAOptions{Name: *name})
	if errors.Is(err, fs.ErrExist) {
		fmt.Fprintf(stderr, "outlast tls init: %v\n"+
			"A cluster keeps its CA. To rotate it, make the new one in another directory\n"+
			"(outlast tls init --dir NEWDIR) and follow the three steps in docs/tls.md.\n", err)
		return exitFailure
	}
	if err != nil {
		fmt.Fprintf(stderr, "outlast tls init: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "wrote %s  the cluster CA certificate; every node trusts it (cluster.tls.ca_file)\n", filepath.Join(*dir, tlsca.CACertFile))
	fmt.Fprintf(stdout, "wrote %s  the CA private key (0600); keep it here, off the nodes\n", filepath.Join(*dir, tlsca.CAKeyFile))
	fmt.Fprintf(stdout, "next: outlast tls node NAME --dir %s --host ADDRESS, once per node (NAME is its node.name)\n", *dir)
	return exitOK
}

func tlsNode(args []string, stdout, stderr io.Writer) int {
	flags := newFlags("tls node", stderr)
	dir := flags.String("dir", defaultTLSDir, "`directory` holding the CA made by tls init")
	var hosts listFlag
	flags.Var(&hosts, "host", "an address or DNS `name` the node is reached at (repeat, or separate with commas)")
	force := flags.Bool("force", false, "replace an existing certificate and key of this node (rotation)")
	names, err := parseInterleaved(flags, args)
	if err != nil {
		return exitUsage
	}
	if len(names) != 1 {
		fmt.Fprintf(stderr, "outlast tls node: want exactly one node NAME, got %d\n\n%s", len(names), tlsUsage)
		return exitUsage
	}
	name := names[0]
	err = tlsca.IssueNode(*dir, name, tlsca.NodeOptions{Hosts: hosts, Force: *force})
	if errors.Is(err, fs.ErrExist) {
		fmt.Fprintf(stderr, "outlast tls node: %v\nAdd --force to replace the node's certificate and key (a rotation, see docs/tls.md).\n", err)
		return exitFailure
	}
	if err != nil {
		fmt.Fprintf(stderr, "outlast tls node: %v\n", err)
		return exitFailure
	}
	printNode(stdout, *dir, name, *force)
	return exitOK
}

func printNode(stdout io.Writer, dir, name string, replaced bool) {
	files := tlsca.NodeFiles(dir, name)
	detail := ""
	if certs, err := tlsca.ReadCertificates(files.Cert); err == nil {
		c := certs[0]
		names := append([]string{}, c.DNSNames...)
		for _, ip := range c.IPAddresses {
			names = append(names, ip.String())
		}
		detail = fmt.Sprintf(", valid until %s, for %s", c.NotAfter.UTC().Format(time.DateOnly), strings.Join(names, " "))
	}
	fmt.Fprintf(stdout, "wrote %s  certificate of node %s%s\n", files.Cert, name, detail)
	fmt.Fprintf(stdout, "wrote %s  its private key (0600)\n", files.Key)
	fmt.Fprintf(stdout, "next: copy %s, %s and %s to node %s (key mode 0600) and set in its configuration:\n",
		files.CA, files.Cert, files.Key, name)
	fmt.Fprintf(stdout, "  cluster:\n    tls:\n      ca_file: /etc/outlast/tls/%s\n      cert_file: /etc/outlast/tls/%s\n      key_file: /etc/outlast/tls/%s\n",
		tlsca.CACertFile, filepath.Base(files.Cert), filepath.Base(files.Key))
	if replaced {
		fmt.Fprintln(stdout, "A running node picks up replaced files within a second, no restart needed (docs/tls.md).")
	}
}

// parseInterleaved parses flags placed before, between or after positional
// arguments (outlast tls node NAME --host H), which package flag alone stops
// at, and returns the positional arguments.
func parseInterleaved(flags *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := flags.Parse(args); err != nil {
			return nil, err
		}
		rest := flags.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// listFlag is a repeatable flag that also takes comma-separated lists
// (--host, --ip-ranges); empty items are skipped.
type listFlag []string

func (h *listFlag) String() string { return strings.Join(*h, ",") }

func (h *listFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*h = append(*h, part)
		}
	}
	return nil
}
