// Package statedir says where gowbem keeps its state by default. It imports
// nothing of gowbem, so that the remote-only wbem command knows the default
// of --state-dir (for its help and hints) without linking the repository.
package statedir

import (
	"os"
	"path/filepath"
)

// SystemDir is the state directory of a process running as root.
const SystemDir = "/var/lib/gowbem"

// Default returns where gowbem keeps its repository by default: /var/lib/gowbem
// for root (whatever XDG_DATA_HOME says: a system daemon's state must not
// follow a variable that sudo or a login shell may carry over from a user),
// otherwise $XDG_DATA_HOME/gowbem when XDG_DATA_HOME is an absolute path,
// otherwise ~/.local/share/gowbem. When no home directory can be found
// either, it returns gowbem under the system's temporary directory.
func Default() string {
	return For(os.Geteuid(), os.Getenv, os.UserHomeDir)
}

// For is Default for the effective user id euid, with getenv reading the
// environment and home finding the user's home directory.
func For(euid int, getenv func(string) string, home func() (string, error)) string {
	if euid == 0 {
		return SystemDir
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
