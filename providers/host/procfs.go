//go:build linux

package host

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// userHZ is the unit of the clock-tick fields of /proc (USER_HZ): 100 on
// every Linux ABI Go runs on, whatever the kernel's internal HZ.
const userHZ = 100

// MaxProcFile is the most gowbem reads of one /proc or /sys file; longer
// content (a huge command line) is cut there.
const MaxProcFile = 1 << 20

// MaxCommandLine is the longest CommandLine reported, in bytes: Windows'
// own limit for a command line (32767 characters). Longer ones are cut.
const MaxCommandLine = 32767

// readInto reads the file at path into buf (growing it up to limit bytes)
// with plain system calls: /proc files are read often and are small.
func readInto(buf []byte, path string, limit int) ([]byte, error) {
	fd, err := openRetry(path)
	if err != nil {
		return buf[:0], err
	}
	defer syscall.Close(fd)
	n := 0
	buf = buf[:min(cap(buf), limit)]
	if len(buf) == 0 {
		buf = make([]byte, min(512, limit))
	}
	for {
		if n == len(buf) {
			if n >= limit {
				return buf[:limit], nil
			}
			nb := make([]byte, min(2*len(buf), limit))
			copy(nb, buf[:n])
			buf = nb
		}
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return buf[:0], &os.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			return buf[:n], nil
		}
		n += m
	}
}

func openRetry(path string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}

// readSmall reads a whole small file.
func readSmall(path string) ([]byte, error) { return readInto(nil, path, MaxProcFile) }

func trimNL(s string) string { return strings.TrimRight(s, "\n\x00 ") }

// readLine returns the file's first line, trimmed, or "" when unreadable.
func readLine(path string) string {
	b, err := readInto(make([]byte, 0, 256), path, 4096)
	if err != nil {
		return ""
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSpace(string(b))
}

// bootTime returns the boot time from the btime line of /proc/stat.
func (h *host) bootTime() (time.Time, error) {
	b, err := readSmall(h.cfg.path("/proc/stat"))
	if err != nil {
		return time.Time{}, err
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			sec, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil {
				return time.Time{}, err
			}
			return time.Unix(sec, 0), nil
		}
	}
	return time.Time{}, errors.New("no btime in /proc/stat")
}

// meminfo holds the /proc/meminfo fields gowbem uses, in kB; -1 when absent.
type meminfo struct {
	total, free, available, swapTotal, swapFree int64
}

func (h *host) meminfo() (meminfo, error) {
	m := meminfo{-1, -1, -1, -1, -1}
	b, err := readSmall(h.cfg.path("/proc/meminfo"))
	if err != nil {
		return m, err
	}
	for line := range bytes.Lines(b) {
		name, rest, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			continue
		}
		switch string(name) {
		case "MemTotal":
			m.total = v
		case "MemFree":
			m.free = v
		case "MemAvailable":
			m.available = v
		case "SwapTotal":
			m.swapTotal = v
		case "SwapFree":
			m.swapFree = v
		}
	}
	if m.available < 0 {
		m.available = m.free
	}
	return m, nil
}

// osRelease returns the fields of /etc/os-release (or
// /usr/lib/os-release), unquoted.
func (h *host) osRelease() map[string]string {
	out := map[string]string{}
	b, err := readSmall(h.cfg.path("/etc/os-release"))
	if err != nil {
		if b, err = readSmall(h.cfg.path("/usr/lib/os-release")); err != nil {
			return out
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if n := len(v); n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n-1] == v[0] {
			q := v[0]
			v = v[1 : n-1]
			if q == '"' {
				v = unescapeShell(v)
			}
		}
		out[k] = v
	}
	return out
}

// unescapeShell undoes the backslash escapes os-release allows inside
// double quotes.
func unescapeShell(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\`$", s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// userName maps a uid to a name through /etc/passwd; the number as text
// when the file has no entry for it.
func (h *host) userName(uid uint32) string {
	b, err := readSmall(h.cfg.path("/etc/passwd"))
	want := strconv.FormatUint(uint64(uid), 10)
	if err == nil {
		for line := range bytes.Lines(b) {
			f := bytes.SplitN(bytes.TrimRight(line, "\n"), []byte(":"), 4)
			if len(f) >= 3 && string(f[2]) == want && len(f[0]) > 0 {
				return string(f[0])
			}
		}
	}
	return want
}

// countUsers counts the USER_PROCESS records of utmp; ok is false when
// there is no utmp to read.
func (h *host) countUsers() (n int, ok bool) {
	var b []byte
	var err error
	for _, p := range []string{"/var/run/utmp", "/run/utmp"} {
		if b, err = readSmall(h.cfg.path(p)); err == nil {
			break
		}
	}
	if err != nil {
		return 0, false
	}
	// struct utmp on Linux is 384 bytes; ut_type is its first int32
	// (little- or big-endian as the host: read it natively).
	const recSize, userProcess = 384, 7
	for off := 0; off+recSize <= len(b); off += recSize {
		if nativeInt32(b[off:]) == userProcess {
			n++
		}
	}
	return n, true
}
