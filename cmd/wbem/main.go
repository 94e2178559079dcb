// Command wbem runs WBEM operations — queries, enumerations, method calls,
// MOF compiles — on gowbem's object manager, in-process over the state
// directory's repository or on a wbemd daemon with --host, and prints the
// results as they arrive. Run "wbem help" for its commands and flags.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/gowbem/gowbem/cimxml" // registers CIM-XML for --host …/cimom
	"github.com/gowbem/gowbem/internal/cli"
	"github.com/gowbem/gowbem/internal/cli/inproc"
	_ "github.com/gowbem/gowbem/wsman" // registers WS-Management for --host …/wsman
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Terminal: cli.IsTerminal(os.Stderr),
		Local:    inproc.OpenStateDir(installHost),
	})
	stop()
	os.Exit(code)
}
