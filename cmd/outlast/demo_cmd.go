package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// labMain is where the demo's own command lives in a source checkout.
const labMain = "cmd/outlast-lab/main.go"

// demoCmd runs the demo. The lab is its own command, so that this binary
// links none of it; in a source checkout (the working directory holds
// cmd/outlast-lab and go is on the PATH) `outlast demo ARGS` builds it and
// runs it with ARGS, its output and exit code passed through (go run would
// turn every failure into exit 1); elsewhere it says how to get it.
func demoCmd(args []string, stdout, stderr io.Writer) int {
	goBin, err := exec.LookPath("go")
	if _, statErr := os.Stat(labMain); err != nil || statErr != nil {
		fmt.Fprintln(stderr, "outlast: the demo is its own command; from a source checkout of outlast, with Go installed, run: go run ./cmd/outlast-lab")
		return exitUsage
	}
	dir, err := os.MkdirTemp("", "outlast-lab.")
	if err != nil {
		fmt.Fprintf(stderr, "outlast demo: %v\n", err)
		return exitFailure
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "outlast-lab")
	build := exec.Command(goBin, "build", "-o", bin, "./cmd/outlast-lab")
	build.Stdout, build.Stderr = stderr, stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(stderr, "outlast demo: building ./cmd/outlast-lab: %v\n", err)
		return exitFailure
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		fmt.Fprintf(stderr, "outlast demo: %v\n", err)
		return exitFailure
	}
	return exitOK
}
