// Command wbem runs WBEM operations — queries, enumerations, method calls,
// MOF compiles — on gowbem's object manager, in-process over the state
// directory's repository or on a wbemd daemon with --host, and prints the
// results as they arrive. Run "wbem help" for its commands and flags.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	_ "github.com/gowbem/gowbem/cimxml" // registers CIM-XML for --host …/cimom
	"github.com/gowbem/gowbem/internal/cli"
	"github.com/gowbem/gowbem/internal/cli/inproc"
	_ "github.com/gowbem/gowbem/wsman" // registers WS-Management for --host …/wsman
)

// interruptAfter is how long a remote command runs before wbem takes over
// SIGINT and SIGTERM (see main).
const interruptAfter = 50 * time.Millisecond

func main() {
	// SIGINT and SIGTERM cancel the command's context: it stops, closes
	// what it opened (an in-process store, a remote subscription), says
	// "wbem: interrupted" and exits 130. Taking the signals over costs
	// os/signal's start-up — three more threads, ~40 page faults, 1–2 ms
	// of processor time, a sixth of what wbem costs over a hello world —
	// so a remote command does it only once it has run interruptAfter:
	// most take a few milliseconds and never pay, and a signal before then
	// ends wbem the default way (killed by the signal, which a shell also
	// reports as 130) while it holds nothing of its own. An in-process
	// command takes the signals over before it opens the store.
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	interrupts := func() { once.Do(func() { cancelOnInterrupt(cancel) }) }
	timer := time.AfterFunc(interruptAfter, interrupts)
	open := inproc.OpenStateDir(installHost)
	code := cli.Run(ctx, os.Args[1:], cli.Env{
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Terminal: cli.IsTerminal(os.Stderr),
		Local: func(ctx context.Context, dir string, readOnly bool) (cli.ObjectManager, io.Closer, error) {
			interrupts()
			return open(ctx, dir, readOnly)
		},
	})
	timer.Stop()
	cancel()
	os.Exit(code)
}

// cancelOnInterrupt calls cancel on the first SIGINT or SIGTERM; later ones
// are ignored while the command winds down.
func cancelOnInterrupt(cancel context.CancelFunc) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-c
		cancel()
	}()
}
