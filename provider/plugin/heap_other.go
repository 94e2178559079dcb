//go:build !linux

package plugin

// addressSpaceLimited says whether the process's address space is limited:
// only asked on Linux, where a registration's MemoryLimit limits it.
func addressSpaceLimited() bool { return false }
