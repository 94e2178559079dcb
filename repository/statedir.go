package repository

import (
	"os"
	"path/filepath"
)

// StateFile is the name of the repository file inside a state directory.
const StateFile = "repository.db"

// SystemStateDir is the state directory of a process running as root.
const SystemStateDir = "/var/lib/gowbem"

// DefaultStateDir returns where gowbem keeps its repository by default:
// /var/lib/gowbem for root (whatever XDG_DATA_HOME says: a system daemon's
// state must not follow a variable that sudo or a login shell may carry over
// from a user), otherwise $XDG_DATA_HOME/gowbem when XDG_DATA_HOME is an
// absolute path, otherwise ~/.local/share/gowbem. When no home directory can
// be found either, it returns gowbem under the system's temporary directory.
func DefaultStateDir() string {
	return defaultStateDir(os.Geteuid(), os.Getenv, os.UserHomeDir)
}

func defaultStateDir(euid int, getenv func(string) string, home func() (string, error)) string {
	if euid == 0 {
		return SystemStateDir
	}
	// The XDG base directory spec says relative paths are invalid and must be
	// ignored.
	if x := getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "gowbem")
	}
	if h, err := home(); err == nil && h != "" {
		return filepath.Join(h, ".local", "share", "gowbem")
	}
	return filepath.Join(os.TempDir(), "gowbem")
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
