//go:build linux

package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/provider/plugin"
)

// wbemd serves the decoupled providers' socket in its state directory,
// mode 0600, answering registrations from the repository, and removes it
// when it stops; --provider-socket none serves none.
func TestDecoupledProviderSocket(t *testing.T) {
	dir := t.TempDir()
	s := start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0"})
	sock := filepath.Join(dir, ProviderSocket)
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatalf("no socket: %v\n%s", err, s.log)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want a socket with 0600", sock, fi.Mode())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = plugin.ServeDecoupled(ctx, sock, `root\cimv2`, "NoSuchProvider", &workload.Provider{N: 1})
	var we *cim.Error
	if !errors.As(err, &we) || we.Status != cim.WBEM_E_NOT_FOUND || !strings.Contains(we.Description, "NoSuchProvider") {
		t.Errorf("registering a provider the repository does not hold: %v", err)
	}
	s.shutdown(t)
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("the socket outlives the daemon: %v", err)
	}

	dir = t.TempDir()
	s = start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0", ProviderSocket: "none"})
	if _, err := os.Stat(filepath.Join(dir, ProviderSocket)); !os.IsNotExist(err) {
		t.Errorf("--provider-socket none: %v", err)
	}
	s.shutdown(t)
}
