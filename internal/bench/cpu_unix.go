//go:build unix

package bench

import (
	"syscall"
	"time"
)

// CPUTime returns the processor time this process has used, user and
// system, over all its threads.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
