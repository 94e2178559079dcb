//go:build !unix

package users

import (
	"errors"
	"io/fs"
	"os"
)

// lockFile does not lock where flock does not exist: the daemon and its
// users command run on Unix; elsewhere the package only has to build.
func lockFile(*os.File) (func(), error) { return func() {}, nil }

func statFile(path string) (stamp, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return stamp{missing: true}, nil
	}
	if err != nil {
		return stamp{}, err
	}
	return stamp{size: fi.Size(), mtime: fi.ModTime().UnixNano()}, nil
}
