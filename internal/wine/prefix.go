package wine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Binary returns the path of Wine's 64-bit loader: $GOWBEM_WINE, wine64 on
// $PATH, or Debian's /usr/lib/wine/wine64 (the wine64 package installs no
// wrapper on $PATH without the wine package).
func Binary() (string, error) {
	if p := os.Getenv("GOWBEM_WINE"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("wine64"); err == nil {
		return p, nil
	}
	if p, err := exec.LookPath("wine"); err == nil {
		return p, nil
	}
	const debian = "/usr/lib/wine/wine64"
	if _, err := os.Stat(debian); err == nil {
		return debian, nil
	}
	return "", errors.New("wine: no wine64 (apt-get install wine64)")
}

// Env returns the environment Wine runs in for tests: a private prefix, no
// debug output, no display (so nothing waits for X), and no download prompt
// for Mono or Gecko.
func Env(prefix string) []string {
	env := os.Environ()
	out := env[:0:0]
	for _, kv := range env {
		if k, _, _ := cutEq(kv); k == "DISPLAY" || k == "WAYLAND_DISPLAY" || k == "WINEPREFIX" || k == "WINEDEBUG" || k == "WINEDLLOVERRIDES" {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "WINEPREFIX="+prefix, "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml=")
}

func cutEq(kv string) (string, string, bool) {
	for i := range len(kv) {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}

// DefaultPrefix is the prefix tests use unless $GOWBEM_WINEPREFIX names one:
// a directory under the system's temporary directory, private to the user.
func DefaultPrefix() string {
	if p := os.Getenv("GOWBEM_WINEPREFIX"); p != "" {
		return p
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("gowbem-wine-%d", os.Getuid()))
}

// Prepare makes prefix ready: "wineboot --init" on first use (bounded by
// ctx), then the forwarder DLLs in its system32. It is idempotent and cheap
// once done.
func Prepare(ctx context.Context, wine, prefix string) error {
	sys32 := filepath.Join(prefix, "drive_c", "windows", "system32")
	if _, err := os.Stat(filepath.Join(sys32, "kernel32.dll")); err != nil {
		if err := os.MkdirAll(prefix, 0o700); err != nil {
			return err
		}
		// Output goes to a file, not a pipe: wineboot leaves wineserver and
		// services running, which would hold a pipe open.
		log, err := os.CreateTemp("", "wineboot-*.log")
		if err != nil {
			return err
		}
		defer os.Remove(log.Name())
		defer log.Close()
		cmd := exec.CommandContext(ctx, wine, "wineboot", "--init")
		cmd.Env = Env(prefix)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			out, _ := os.ReadFile(log.Name())
			return fmt.Errorf("wine: wineboot --init in %s: %v\n%s", prefix, err, out)
		}
		// wineboot returns before the prefix is fully written; wait for the
		// server to finish with it.
		server := exec.CommandContext(ctx, wineserverOf(wine), "-w")
		server.Env = Env(prefix)
		_ = server.Run()
	}
	dll, err := Forwarder("bcryptprimitives.dll", ProcessPrng)
	if err != nil {
		return err
	}
	path := filepath.Join(sys32, "bcryptprimitives.dll")
	if old, err := os.ReadFile(path); err == nil && (bytes.Equal(old, dll) || !isOurs(old)) {
		return nil // ours already, or Wine's own (Wine ≥ 8.13 has it)
	}
	return os.WriteFile(path, dll, 0o644)
}

// isOurs reports whether a DLL is a forwarder this package wrote (a single
// .edata section and no code), so a newer one may replace it.
func isOurs(b []byte) bool {
	return len(b) > 0x58+240+8 && string(b[0x58+240:0x58+240+6]) == ".edata"
}

func wineserverOf(wine string) string {
	dir := filepath.Dir(wine)
	for _, name := range []string{"wineserver", "wineserver64"} {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
	}
	if p, err := exec.LookPath("wineserver"); err == nil {
		return p
	}
	return "wineserver"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
