package inproc

import (
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// lockHolder finds the process that holds the lock on the file at path,
// from /proc/locks (bbolt takes a flock): its pid and command name.
func lockHolder(path string) (pid int, comm string, ok bool) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, "", false
	}
	sys, isStat := st.Sys().(*syscall.Stat_t)
	if !isStat {
		return 0, "", false
	}
	dev := uint64(sys.Dev)
	want := strconv.FormatUint(uint64(unix.Major(dev)), 16)
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		return 0, "", false
	}
	for _, line := range strings.Split(string(locks), "\n") {
		// 1: FLOCK  ADVISORY  WRITE 4242 08:01:1234567 0 EOF
		f := strings.Fields(line)
		if len(f) < 6 || f[1] == "->" {
			continue
		}
		id := strings.Split(f[5], ":")
		if len(id) != 3 || id[2] != strconv.FormatUint(sys.Ino, 10) {
			continue
		}
		maj, err1 := strconv.ParseUint(id[0], 16, 32)
		min, err2 := strconv.ParseUint(id[1], 16, 32)
		if err1 != nil || err2 != nil || strconv.FormatUint(maj, 16) != want || uint32(min) != unix.Minor(dev) {
			continue
		}
		p, err := strconv.Atoi(f[4])
		if err != nil || p <= 0 {
			continue
		}
		c, err := os.ReadFile("/proc/" + f[4] + "/comm")
		if err != nil {
			return p, "unknown", true
		}
		return p, strings.TrimSpace(string(c)), true
	}
	return 0, "", false
}
