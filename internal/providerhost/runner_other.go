//go:build !linux

package providerhost

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin/runner"
)

// credential is the account a provider process runs as.
type credential struct {
	Uid, Gid uint32
	Groups   []uint32
}

// procRunner is Linux's: elsewhere providers are not started.
type procRunner struct {
	pid    int
	exited chan struct{}
	status error
}

func (r *procRunner) Kill(context.Context) error { return nil }

func (r *procRunner) times() (started, line time.Time) { return }

// Limits are a provider process's resource limits; zero means the daemon's.
type Limits struct {
	Memory    uint64
	OpenFiles uint64
}

func runnerFunc(command, env []string, cred *credential, limits Limits, made **procRunner) func(hclog.Logger, *exec.Cmd, string) (runner.Runner, error) {
	return func(hclog.Logger, *exec.Cmd, string) (runner.Runner, error) {
		return nil, errors.New("out-of-process providers run on Linux only")
	}
}

var _ io.Reader
