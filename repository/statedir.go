package repository

import (
	"os"
	"path/filepath"

	"github.com/gowbem/gowbem/internal/statedir"
)

// StateFile is the name of the repository file inside a state directory.
const StateFile = "repository.db"

// SystemStateDir is the state directory of a process running as root.
const SystemStateDir = statedir.SystemDir

// DefaultStateDir returns where gowbem keeps its repository by default:
// /var/lib/gowbem for root (whatever XDG_DATA_HOME says: a system daemon's
// state must not follow a variable that sudo or a login shell may carry over
// from a user), otherwise $XDG_DATA_HOME/gowbem when XDG_DATA_HOME is an
// absolute path, otherwise ~/.local/share/gowbem. When no home directory can
// be found either, it returns gowbem under the system's temporary directory.
// (internal/statedir says it, for programs that do not link the repository.)
func DefaultStateDir() string { return statedir.Default() }

func defaultStateDir(euid int, getenv func(string) string, home func() (string, error)) string {
	return statedir.For(euid, getenv, home)
}

// OpenStateDir opens the repository in the state directory dir, creating the
// directory (mode 0700, with any missing parents) and the file (mode 0600) as
// needed. It takes the default BoltOptions.
func OpenStateDir(dir string) (*Bolt, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, mapErr(err, dir, "creating the state directory")
	}
	return OpenBolt(filepath.Join(dir, StateFile), BoltOptions{})
}
