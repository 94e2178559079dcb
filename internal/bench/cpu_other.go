//go:build !unix

package bench

import (
	"os"
	"time"
)

var start = time.Now()

// CPUTime returns the processor time this process has used; where the
// system does not tell it, the wall-clock time since the program started.
func CPUTime() time.Duration { return time.Since(start) }

// minorFaults returns 0: the system does not tell a process's page faults.
func minorFaults(*os.ProcessState) int64 { return 0 }
