// Command wbemd is gowbem's daemon: the object manager over the state
// directory's repository, with the Linux host providers, served over
// WS-Management on 127.0.0.1:5985 by default. It stops cleanly on SIGTERM or
// SIGINT. Run "wbemd -h" for its flags, and "wbemd users" to manage the
// users who may log in.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/gowbem/gowbem/internal/daemon"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "users" {
		os.Exit(daemon.UsersMain(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := daemon.Main(ctx, os.Args[1:], os.Stderr, installHost)
	stop()
	os.Exit(code)
}
