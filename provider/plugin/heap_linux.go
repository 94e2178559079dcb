package plugin

import "golang.org/x/sys/unix"

// addressSpaceLimited says whether the process's address space is limited
// (RLIMIT_AS, which a registration's MemoryLimit sets).
func addressSpaceLimited() bool {
	var l unix.Rlimit
	return unix.Getrlimit(unix.RLIMIT_AS, &l) != nil || l.Cur != unix.RLIM_INFINITY
}
