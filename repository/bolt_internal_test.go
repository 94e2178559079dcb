package repository

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

func TestDefaultStateDirPrecedence(t *testing.T) {
	home := func() (string, error) { return "/home/u", nil }
	noHome := func() (string, error) { return "", errors.New("no home") }
	for _, tc := range []struct {
		name string
		euid int
		xdg  string
		home func() (string, error)
		want string
	}{
		{"root ignores XDG", 0, "/home/u/.data", home, "/var/lib/gowbem"},
		{"root", 0, "", home, "/var/lib/gowbem"},
		{"user with XDG", 1000, "/x/data", home, "/x/data/gowbem"},
		{"user with relative XDG", 1000, "rel/data", home, "/home/u/.local/share/gowbem"},
		{"user", 1000, "", home, "/home/u/.local/share/gowbem"},
		{"user without home", 1000, "", noHome, filepath.Join(os.TempDir(), "gowbem")},
	} {
		getenv := func(k string) string {
			if k == "XDG_DATA_HOME" {
				return tc.xdg
			}
			return ""
		}
		if got := defaultStateDir(tc.euid, getenv, tc.home); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestMapErr(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want cim.Status
	}{
		{syscall.ENOSPC, cim.WBEM_E_OUT_OF_DISK_SPACE},
		{&os.PathError{Op: "write", Path: "f", Err: syscall.EDQUOT}, cim.WBEM_E_OUT_OF_DISK_SPACE},
		{fmt.Errorf("file resize error: %s", syscall.EFBIG), cim.WBEM_E_OUT_OF_DISK_SPACE}, // wrapped with %s, as bbolt does
		{&os.PathError{Op: "open", Path: "f", Err: syscall.EACCES}, cim.WBEM_E_ACCESS_DENIED},
		{syscall.EROFS, cim.WBEM_E_ACCESS_DENIED},
		{syscall.EPERM, cim.WBEM_E_ACCESS_DENIED},
		{syscall.EIO, cim.WBEM_E_FAILED},
	} {
		got := mapErr(tc.err, "/r.db", "commit")
		if cim.StatusOf(got) != tc.want || !errors.Is(got, tc.err) && !errors.Is(got, errors.Unwrap(tc.err)) && cim.AsError(got).Err != tc.err {
			t.Errorf("mapErr(%v) = %v, want %v wrapping the cause", tc.err, got, tc.want)
		}
	}
	if mapErr(nil, "", "") != nil {
		t.Error("mapErr(nil) != nil")
	}
	ce := cim.Errorf(cim.WBEM_E_NOT_FOUND, "x")
	if mapErr(ce, "", "") != error(ce) {
		t.Error("mapErr changed a *cim.Error")
	}
}

// TestStreamHoldsNoTransaction checks that Instances calls its function
// outside any read transaction, and reads in batches.
func TestStreamHoldsNoTransaction(t *testing.T) {
	b, err := OpenBolt(filepath.Join(t.TempDir(), "r.db"), BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c, err := cim.Derive(nil, &cim.Class{Name: "T", Properties: []cim.Property{
		{Name: "N", Type: cim.TypeUint32, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3*StreamBatch + 7
	if err := b.Update(context.Background(), func(tx Tx) error {
		for i := range n {
			inst := c.NewInstance()
			inst.SetAt(0, cim.Uint32(uint32(i)))
			if err := tx.PutInstance(`root\cimv2`, inst); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	before := b.db.Stats().TxN
	seen := 0
	if err := b.Instances(context.Background(), `root\cimv2`, c, func(*cim.Instance) error {
		if open := b.db.Stats().OpenTxN; open != 0 {
			return fmt.Errorf("%d read transactions open during the callback", open)
		}
		seen++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if seen != n {
		t.Errorf("saw %d instances, want %d", seen, n)
	}
	if txs, want := b.db.Stats().TxN-before, n/StreamBatch+1; txs != want {
		t.Errorf("stream used %d read transactions, want %d", txs, want)
	}
}
