// Command go_windows_amd64_exec runs a Windows program under Wine: built
// under this name and put on $PATH, it is what "GOOS=windows go test" and
// "go run" execute Windows binaries through. It prepares the Wine prefix
// (internal/wine.Prepare) on first use and passes the exit status on.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/gowbem/gowbem/internal/wine"
)

// prepareTimeout bounds the first "wineboot --init" of a fresh prefix.
const prepareTimeout = 3 * time.Minute

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: go_windows_amd64_exec PROGRAM.exe [ARG…]")
		os.Exit(2)
	}
	w, err := wine.Binary()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	prefix := wine.DefaultPrefix()
	ctx, cancel := context.WithTimeout(context.Background(), prepareTimeout)
	err = wine.Prepare(ctx, w, prefix)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmd := exec.Command(w, os.Args[1:]...)
	cmd.Env = wine.Env(prefix)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			os.Exit(exit.ExitCode())
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
