//go:build !unix

package bench

import "time"

var start = time.Now()

// CPUTime returns the processor time this process has used; where the
// system does not tell it, the wall-clock time since the program started.
func CPUTime() time.Duration { return time.Since(start) }
