// Package inproc is the wbem command's in-process object manager: the state
// directory's repository with an object manager over it, and the hints
// when another process holds it. Package cli, the commands, knows an
// in-process object manager only as an interface, so that a program may
// link the protocols alone.
package inproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/cli"
	"github.com/gowbem/gowbem/repository"
)

// OpenStateDir returns a cli.LocalFunc that opens the repository in the
// state directory, starts an object manager over it and, when install is
// not nil, lets install register providers and classes (wbem passes the
// host providers' Install). A read command opens the repository read-only —
// sharing it with other readers, leaving the file untouched — as long as
// install has nothing to write (a MOF compile that changes nothing writes
// nothing); only when it has, the repository is opened for writing. A read
// command on a state directory without a repository fails with
// WBEM_E_NOT_FOUND instead of creating one: a mistyped --state-dir is said.
// A repository held by another process fails with a hint naming the holder
// (from /proc/locks on Linux).
func OpenStateDir(install func(context.Context, *cimom.ObjectManager) error) cli.LocalFunc {
	start := func(ctx context.Context, store *repository.Bolt) (cli.ObjectManager, io.Closer, error) {
		om, err := cimom.New(ctx, store)
		if err == nil && install != nil {
			err = install(ctx, om)
		}
		if err != nil {
			store.Close()
			return nil, nil, err
		}
		return om, store, nil
	}
	open := func(ctx context.Context, dir string, readOnly bool) (cli.ObjectManager, io.Closer, error) {
		if readOnly {
			path := filepath.Join(dir, repository.StateFile)
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				what := "state directory " + dir + " does not exist"
				if _, err := os.Stat(dir); err == nil {
					what = "state directory " + dir + " has no repository (" + repository.StateFile + ")"
				}
				return nil, nil, &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: dir,
					Description: what + "; a command that only reads creates none: check --state-dir (wbemd or wbem mofcomp creates one)"}
			}
			store, err := repository.OpenBolt(path, repository.BoltOptions{ReadOnly: true})
			if err != nil {
				return nil, nil, err
			}
			om, closer, err := start(ctx, store)
			if !errors.Is(err, repository.ErrReadOnly) {
				return om, closer, err
			}
			// The installed classes are out of date: bring them up to date.
		}
		store, err := repository.OpenStateDir(dir)
		if err != nil {
			return nil, nil, err
		}
		return start(ctx, store)
	}
	return func(ctx context.Context, dir string, readOnly bool) (cli.ObjectManager, io.Closer, error) {
		om, closer, err := open(ctx, dir, readOnly)
		if errors.Is(err, repository.ErrInUse) {
			pid, comm, ok := lockHolder(filepath.Join(dir, repository.StateFile))
			err = cli.WithHint(err, storeInUseHint(dir, pid, comm, ok))
		}
		return om, closer, err
	}
}

// storeInUseHint says who holds the repository, when /proc/locks tells
// (Linux), and what to do: reach a daemon with --host, or wait for the
// other process.
func storeInUseHint(stateDir string, pid int, comm string, known bool) string {
	daemon := fmt.Sprintf("reach it with --host %s --user admin --password-file %s", cli.DefaultHost, filepath.Join(stateDir, cli.AdminPasswordFile))
	switch {
	case !known:
		return "another process holds that repository: a gowbem daemon (wbemd) — " + daemon + " — or another wbem command"
	case comm == "wbemd":
		return fmt.Sprintf("the gowbem daemon wbemd (pid %d) holds that repository: %s", pid, daemon)
	case comm == "wbem":
		return fmt.Sprintf("another wbem command (pid %d) holds that repository: wait for it to finish", pid)
	}
	return fmt.Sprintf("process %d (%s) holds that repository", pid, comm)
}
