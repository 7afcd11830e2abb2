package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
)

// runAs is the account PostgreSQL's programs run as: the "postgres" system
// user when the test runs as root (initdb and postgres refuse root), the
// current user otherwise.
type runAs struct {
	name     string
	uid, gid uint32
	switched bool // true when the programs run as another user than the test
}

func currentRunAs() (runAs, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return runAs{}, fmt.Errorf("pgtest: who am I: %w", err)
		}
		return runAs{name: u.Username, uid: uint32(os.Geteuid()), gid: uint32(os.Getegid())}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return runAs{}, fmt.Errorf("pgtest: running as root needs the postgres system user (Debian's postgresql package creates it): %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return runAs{}, fmt.Errorf("pgtest: postgres user has uid %q gid %q, want numbers", u.Uid, u.Gid)
	}
	return runAs{name: u.Username, uid: uint32(uid), gid: uint32(gid), switched: true}, nil
}

// command builds cmd to run as r in dir (a directory r can enter: initdb
// fails when it cannot read its working directory) with a clean
// environment, so PGHOST, PGPORT or PGDATA in the test's own environment
// cannot point a tool at another server.
func (r runAs) command(ctx context.Context, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"}
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if r.switched {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: r.uid, Gid: r.gid, Groups: []uint32{}}
	}
	return cmd
}

// own gives path to r, so PostgreSQL's programs can write there.
func (r runAs) own(path string) error {
	if !r.switched {
		return nil
	}
	if err := os.Chown(path, int(r.uid), int(r.gid)); err != nil {
		return fmt.Errorf("pgtest: giving %s to %s: %w", path, r.name, err)
	}
	return nil
}
