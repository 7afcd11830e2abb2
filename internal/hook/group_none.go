//go:build !unix

package hook

import (
	"context"
	"errors"
	"os/exec"
)

// runGroup refuses: without process groups a hook's children could outlive
// its attempt, and a hook that keeps running after it was given up is worse
// than none.
func runGroup(context.Context, *exec.Cmd) error {
	return errors.New("exec hooks need a Unix system (process groups); use an http hook")
}
