package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"outlast/internal/wire"
)

// apiFlags are --addr, --token and --ca of the commands that talk to a
// node's API but write a file with -o rather than choose an output format.
func apiFlags(fs *flag.FlagSet) func() *wire.Client {
	addr := fs.String("addr", cmpOrEnv("OUTLAST_ADDR", "127.0.0.1:8080"), "node API `address` (env OUTLAST_ADDR)")
	token := fs.String("token", os.Getenv("OUTLAST_TOKEN"), "admin API `token` (env OUTLAST_TOKEN)")
	ca := caFlag(fs)
	return func() *wire.Client { return apiClient(*addr, *token, *ca) }
}

func cmpOrEnv(name, otherwise string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return otherwise
}

// backupCmd: outlast backup -o FILE. The node's replicated state at one
// applied index, checked against its hash before the file is written, and
// written whole or not at all (a temporary file renamed).
func backupCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("backup", stderr)
	client := apiFlags(fs)
	out := fs.String("o", "", "write the backup to `FILE` (- for stdout)")
	if code, ok := parseFlags(fs, args, 0); !ok {
		return code
	}
	if *out == "" {
		fmt.Fprintln(stderr, "outlast backup: -o FILE is required: where to write the backup")
		return exitUsage
	}
	ctx, cancel := opsContext()
	defer cancel()
	b, data, err := client().Backup(ctx)
	if err == nil {
		err = writeBackup(*out, data, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "outlast backup: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stderr, "backup of %s at index %d: configuration version %d (hash %s), %d bytes, state sha256 %s\n",
		b.Node, b.Index, b.ConfigVersion, b.ConfigHash, len(data), b.StateSHA256)
	return exitOK
}

// writeBackup writes data to path through a temporary file in the same
// directory, readable by its owner only (the state holds the whole
// replicated configuration), or to stdout for "-".
func writeBackup(path string, data []byte, stdout io.Writer) error {
	if path == "-" {
		_, err := stdout.Write(data)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".outlast-backup-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a rename, there is nothing left to remove
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return err
}

// restoreCmd: outlast restore --reason TEXT [--force] FILE. The file is
// checked here first, then proposed to the cluster, which applies it as one
// entry of its log on every member.
func restoreCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("restore", stderr)
	client := apiFlags(fs)
	why := fs.String("reason", "", "why you restore (required; recorded in the event history)")
	force := fs.Bool("force", false, "replace a cluster that has history of its own (overrides, configuration changes)")
	if code, ok := parseFlags(fs, args, 1); !ok {
		return code
	}
	if fs.NArg() != 1 || *why == "" {
		fmt.Fprintln(stderr, "usage: outlast restore --addr NODE --token ADMIN --reason TEXT [--force] FILE")
		return exitUsage
	}
	data, err := readBackupFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "outlast restore: %v\n", err)
		return exitFailure
	}
	ctx, cancel := opsContext()
	defer cancel()
	out, err := client().Restore(ctx, data, *why, *force)
	if err != nil {
		fmt.Fprintf(stderr, "outlast restore: %v\n", err)
		if errors.Is(err, wire.ErrHasHistory) {
			fmt.Fprintln(stderr, "outlast restore: restore into a new cluster, or add --force to replace this one's state")
		}
		return exitFailure
	}
	fmt.Fprintf(stdout, "restored at index %d: configuration version %d (hash %s), %d override(s), %d event(s)\n",
		out.Index, out.ConfigVersion, out.ConfigHash, out.Overrides, out.Events)
	return exitOK
}

// readBackupFile reads and checks a backup file of at most wire.MaxRestore
// bytes, the most a node accepts.
func readBackupFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, wire.MaxRestore+1))
	switch {
	case err != nil:
		return nil, err
	case len(data) > wire.MaxRestore:
		return nil, fmt.Errorf("%s: larger than %d bytes, the most a node restores", path, wire.MaxRestore)
	}
	if _, err := wire.ParseBackup(data); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}
