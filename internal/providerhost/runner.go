//go:build linux

package providerhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin/runner"
)

// credential is the account a provider process runs as.
type credential syscall.Credential

// procRunner starts a provider executable for go-plugin: in its own process
// group (so a kill takes its children too), as the registration's account,
// killed with the daemon (Pdeathsig), with its resource limits set as soon
// as it exists.
type procRunner struct {
	cmd    *exec.Cmd
	stdout io.ReadCloser
	stderr io.ReadCloser
	limits Limits
	// shimmed: util-linux's prlimit sets the limits in the child before it
	// runs the provider (a daemon without CAP_SYS_RESOURCE cannot set those
	// of another account's process).
	shimmed bool

	pid     int
	started time.Time    // when the executable was running (Start returned)
	line    atomic.Int64 // unix nanoseconds of the first byte on stdout: the handshake line
	once    sync.Once
	exited  chan struct{} // closed when Wait has returned
	status  error         // how the process ended (after exited)
}

// newRunner prepares cmd. cred, when not nil, is the account to run as;
// socketDir is go-plugin's directory for the provider's socket, which that
// account must be able to write.
func newRunner(cmd *exec.Cmd, cred *credential, limits Limits, socketDir string) (*procRunner, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: (*syscall.Credential)(cred)}
	if cred != nil && socketDir != "" {
		if err := os.Chown(socketDir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	r := &procRunner{cmd: cmd, stderr: stderr, limits: limits, exited: make(chan struct{})}
	r.stdout = firstRead{stdout, &r.line}
	return r, nil
}

// firstRead notes when its reader first returned data.
type firstRead struct {
	io.ReadCloser
	at *atomic.Int64
}

func (f firstRead) Read(b []byte) (int, error) {
	n, err := f.ReadCloser.Read(b)
	if n > 0 && f.at.Load() == 0 {
		f.at.Store(time.Now().UnixNano())
	}
	return n, err
}

func (r *procRunner) Start(context.Context) error {
	if err := r.cmd.Start(); err != nil {
		return err
	}
	r.pid = r.cmd.Process.Pid
	r.started = time.Now()
	if r.shimmed {
		return nil
	}
	if err := r.limits.apply(r.pid); err != nil {
		r.Kill(context.Background())
		return fmt.Errorf("setting the resource limits of %s: %w", r.cmd.Path, err)
	}
	return nil
}

// times returns when the executable was running and when its handshake
// line began (zero if not yet).
func (r *procRunner) times() (started, line time.Time) {
	if n := r.line.Load(); n != 0 {
		line = time.Unix(0, n)
	}
	return r.started, line
}

func (r *procRunner) Diagnose(context.Context) string { return "" }
func (r *procRunner) Stdout() io.ReadCloser           { return r.stdout }
func (r *procRunner) Stderr() io.ReadCloser           { return r.stderr }
func (r *procRunner) Name() string                    { return r.cmd.Path }
func (r *procRunner) ID() string                      { return strconv.Itoa(r.pid) }

func (r *procRunner) Wait(context.Context) error {
	r.once.Do(func() {
		r.status = r.cmd.Wait()
		close(r.exited)
	})
	<-r.exited
	return r.status
}

// Kill sends SIGKILL to the provider's process group.
func (r *procRunner) Kill(context.Context) error {
	if r.pid <= 0 {
		return nil
	}
	err := syscall.Kill(-r.pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

func (r *procRunner) PluginToHost(n, a string) (string, string, error) { return n, a, nil }
func (r *procRunner) HostToPlugin(n, a string) (string, string, error) { return n, a, nil }

// Limits are a provider process's resource limits; zero means the daemon's.
type Limits struct {
	Memory    uint64 // bytes of address space (RLIMIT_AS)
	OpenFiles uint64 // open file descriptors (RLIMIT_NOFILE)
}

// shim returns the prlimit command that sets l before running a command,
// or nil when there are no limits or no prlimit.
func (l Limits) shim() []string {
	if l == (Limits{}) {
		return nil
	}
	path, err := exec.LookPath("prlimit")
	if err != nil {
		return nil
	}
	cmd := []string{path}
	if l.Memory > 0 {
		cmd = append(cmd, "--as="+strconv.FormatUint(l.Memory, 10))
	}
	if l.OpenFiles > 0 {
		cmd = append(cmd, "--nofile="+strconv.FormatUint(l.OpenFiles, 10))
	}
	return append(cmd, "--")
}

func (l Limits) apply(pid int) error {
	set := func(res int, n uint64) error {
		if n == 0 {
			return nil
		}
		return unix.Prlimit(pid, res, &unix.Rlimit{Cur: n, Max: n}, nil)
	}
	if err := set(unix.RLIMIT_AS, l.Memory); err != nil {
		return err
	}
	return set(unix.RLIMIT_NOFILE, l.OpenFiles)
}

// runnerFunc adapts newRunner to go-plugin's ClientConfig.RunnerFunc: it
// runs command with env and what go-plugin adds to the environment; made
// keeps the runner for the caller.
func runnerFunc(command, env []string, cred *credential, limits Limits, made **procRunner) func(hclog.Logger, *exec.Cmd, string) (runner.Runner, error) {
	return func(_ hclog.Logger, spec *exec.Cmd, dir string) (runner.Runner, error) {
		shim := limits.shim()
		cmd := exec.Command(command[0], command[1:]...)
		if shim != nil {
			cmd = exec.Command(shim[0], append(shim[1:], command...)...)
		}
		cmd.Env = append(env, spec.Env...)
		cmd.Dir = "/"
		r, err := newRunner(cmd, cred, limits, dir)
		if r != nil {
			r.shimmed = shim != nil
		}
		*made = r
		return r, err
	}
}
