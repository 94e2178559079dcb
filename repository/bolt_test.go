package repository_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/repository/storetest"
)

var bg = context.Background()

func keyedClass(t testing.TB, name string) *cim.Class {
	t.Helper()
	c, err := cim.Derive(nil, &cim.Class{Name: name, Properties: []cim.Property{
		{Name: "Name", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}},
		{Name: "Data", Type: cim.TypeString},
		{Name: "Sum", Type: cim.TypeUint32},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func thing(c *cim.Class, name, data string) *cim.Instance {
	inst := c.NewInstance()
	inst.SetAt(0, cim.String(name))
	inst.SetAt(1, cim.String(data))
	return inst
}

func TestBoltSeedsNamespaces(t *testing.T) {
	for _, tc := range []struct {
		opts       repository.BoltOptions
		wantCIMV2  bool
		wantInRoot int
	}{
		{repository.BoltOptions{}, true, 1},
		{repository.BoltOptions{NoSeed: true}, false, 0},
	} {
		b, err := repository.OpenBolt(filepath.Join(t.TempDir(), "r.db"), tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		b.View(bg, func(tx repository.Tx) error {
			if !tx.NamespaceExists("root") {
				t.Errorf("%+v: no root", tc.opts)
			}
			if got := tx.NamespaceExists(`root\cimv2`); got != tc.wantCIMV2 {
				t.Errorf("%+v: root\\cimv2 exists = %v", tc.opts, got)
			}
			if ns, _ := tx.Namespaces("root"); len(ns) != tc.wantInRoot {
				t.Errorf("%+v: children of root %q", tc.opts, ns)
			}
			return nil
		})
		b.Close()
	}
}

func TestBoltPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	b, err := repository.OpenBolt(path, repository.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, inst := storetest.AllKinds(t)
	if err := b.Update(bg, func(tx repository.Tx) error {
		if err := tx.CreateNamespace(`root\cimv2\sub`); err != nil {
			return err
		}
		if err := tx.PutClass(`root\cimv2\sub`, c); err != nil {
			return err
		}
		return tx.PutInstance(`root\cimv2\sub`, inst)
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b, err = repository.OpenBolt(path, repository.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Check(bg); err != nil {
		t.Fatal(err)
	}
	if err := b.View(bg, func(tx repository.Tx) error {
		got, err := tx.Class(`root\cimv2\sub`, c.Name)
		if err != nil {
			return err
		}
		if d := storetest.DiffClass(got, c); d != "" {
			t.Errorf("class after reopening: %s", d)
		}
		gi, err := tx.Instance(`root\cimv2\sub`, got, repository.InstanceKey(inst))
		if err != nil {
			return err
		}
		if d := storetest.DiffInstance(gi, inst); d != "" {
			t.Errorf("instance after reopening: %s", d)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestBoltFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "gowbem")
	b, err := repository.OpenStateDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Path() != filepath.Join(dir, repository.StateFile) {
		t.Errorf("Path = %s", b.Path())
	}
	for path, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, b.Path(): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode(), want)
		}
	}
}

func TestBoltLockedByAnotherOpener(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	first, err := repository.OpenBolt(path, repository.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	second, err := repository.OpenBolt(path, repository.BoltOptions{})
	if err == nil {
		second.Close()
		t.Fatal("a second OpenBolt of an open repository succeeded")
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("the second OpenBolt took %v to fail", elapsed)
	}
	if !errors.Is(err, repository.ErrInUse) {
		t.Errorf("error %v does not match ErrInUse", err)
	}
	for _, want := range []string{path, "in use by another process", "daemon"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	// Released: opening works again.
	again, err := repository.OpenBolt(path, repository.BoltOptions{})
	if err != nil {
		t.Fatalf("OpenBolt after the first closed: %v", err)
	}
	again.Close()
}

func TestBoltReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	b, err := repository.OpenBolt(path, repository.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	ro, err := repository.OpenBolt(path, repository.BoltOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	// Read-only openers share the file.
	ro2, err := repository.OpenBolt(path, repository.BoltOptions{ReadOnly: true})
	if err != nil {
		t.Fatalf("second read-only opener: %v", err)
	}
	ro2.Close()
	err = ro.Update(bg, func(tx repository.Tx) error { return tx.CreateNamespace(`root\x`) })
	if cim.StatusOf(err) != cim.WBEM_E_ACCESS_DENIED {
		t.Errorf("Update on a read-only store: %v, want WBEM_E_ACCESS_DENIED", err)
	}
	if err := ro.View(bg, func(tx repository.Tx) error {
		if !tx.NamespaceExists(`root\cimv2`) {
			t.Error("read-only store lost root\\cimv2")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// setFormat rewrites the format version stored in a repository file.
func setFormat(t *testing.T, path string, v []byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		if v == nil {
			return tx.DeleteBucket([]byte("meta"))
		}
		return tx.Bucket([]byte("meta")).Put([]byte("format"), v)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestBoltFormatVersion(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format []byte // nil: no meta bucket
		status cim.Status
		text   string
	}{
		{"newer", []byte{2}, cim.WBEM_E_DATABASE_VER_MISMATCH, "format version 2"},
		{"garbled", []byte{0xFF}, cim.WBEM_E_DATABASE_VER_MISMATCH, "format version"},
		{"no meta", nil, cim.WBEM_E_DATABASE_VER_MISMATCH, "not a gowbem repository"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.db")
			b, err := repository.OpenBolt(path, repository.BoltOptions{})
			if err != nil {
				t.Fatal(err)
			}
			b.Close()
			setFormat(t, path, tc.format)
			b, err = repository.OpenBolt(path, repository.BoltOptions{})
			if err == nil {
				b.Close()
				t.Fatal("OpenBolt accepted a file of another format")
			}
			if cim.StatusOf(err) != tc.status || !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), path) {
				t.Errorf("OpenBolt: %v; want %v mentioning %q and the path", err, tc.status, tc.text)
			}
			// The refused file is left alone: opening it as plain bbolt works.
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatalf("refused file no longer opens: %v", err)
			}
			db.Close()
		})
	}
}

func TestBoltNotARepository(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 2000)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := repository.OpenBolt(path, repository.BoltOptions{})
	if cim.StatusOf(err) != cim.WBEM_E_CRITICAL_ERROR || !strings.Contains(err.Error(), path) {
		t.Errorf("OpenBolt of a text file: %v, want WBEM_E_CRITICAL_ERROR naming the file", err)
	}
	_, err = repository.OpenBolt(filepath.Join(path, "below-a-file.db"), repository.BoltOptions{})
	if err == nil || cim.StatusOf(err) == cim.WBEM_S_NO_ERROR {
		t.Errorf("OpenBolt below a regular file: %v", err)
	}
}

func TestBoltBatch(t *testing.T) {
	b := openTemp(t)
	defer b.Close()
	c := keyedClass(t, "Thing")
	if err := b.Update(bg, func(tx repository.Tx) error { return tx.PutClass(`root\cimv2`, c) }); err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	errBoom := errors.New("boom")
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				err := b.Batch(bg, func(tx repository.Tx) error {
					if err := tx.PutInstance(`root\cimv2`, thing(c, fmt.Sprintf("w%d-%d", w, i), "x")); err != nil {
						return err
					}
					if i%10 == 9 {
						return errBoom // fails alone: its batch partners still commit
					}
					return nil
				})
				if (i%10 == 9) != errors.Is(err, errBoom) {
					errs <- fmt.Errorf("worker %d put %d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := 0
	if err := b.Instances(bg, `root\cimv2`, c, func(inst *cim.Instance) error {
		var w, i int
		fmt.Sscanf(inst.At(0).Str(), "w%d-%d", &w, &i)
		if i%10 == 9 {
			t.Errorf("instance %s of a failed Batch was kept", inst.At(0).Str())
		}
		n++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := workers * each * 9 / 10; n != want {
		t.Errorf("%d instances after batches, want %d", n, want)
	}
}

func TestBoltCheckFindsCorruptRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	b, err := repository.OpenBolt(path, repository.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := keyedClass(t, "Thing")
	inst := thing(c, "a", "payload")
	if err := b.Update(bg, func(tx repository.Tx) error {
		if err := tx.PutClass(`root\cimv2`, c); err != nil {
			return err
		}
		return tx.PutInstance(`root\cimv2`, inst)
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Check(bg); err != nil {
		t.Fatalf("Check of a sound file: %v", err)
	}
	b.Close()
	// Flip one byte of the stored instance behind the store's back.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := []byte(repository.InstanceKey(inst))
	if err := db.Update(func(tx *bolt.Tx) error {
		ib := tx.Bucket([]byte("ns")).Bucket([]byte(`root\cimv2`)).Bucket([]byte("instances")).Bucket([]byte("thing"))
		rec := append([]byte(nil), ib.Get(key)...)
		rec[len(rec)/2] ^= 0x40
		return ib.Put(key, rec)
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, err = repository.OpenBolt(path, repository.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Check(bg)
	if cim.StatusOf(err) != cim.WBEM_E_CRITICAL_ERROR || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("Check of a damaged record: %v", err)
	}
	err = b.View(bg, func(tx repository.Tx) error { _, err := tx.Instance(`root\cimv2`, c, string(key)); return err })
	if cim.StatusOf(err) != cim.WBEM_E_CRITICAL_ERROR {
		t.Errorf("reading a damaged record: %v", err)
	}
	err = b.Instances(bg, `root\cimv2`, c, func(*cim.Instance) error { return nil })
	if cim.StatusOf(err) != cim.WBEM_E_CRITICAL_ERROR {
		t.Errorf("streaming a damaged record: %v", err)
	}
}

func TestBoltRecordLimits(t *testing.T) {
	b := openTemp(t)
	defer b.Close()
	c := keyedClass(t, "Thing")
	for _, tc := range []struct {
		name string
		inst *cim.Instance
	}{
		{"key too long", thing(c, strings.Repeat("k", repository.MaxKeySize+1), "")},
		{"record too large", thing(c, "big", strings.Repeat("d", repository.MaxRecordSize))},
	} {
		err := b.Update(bg, func(tx repository.Tx) error { return tx.PutInstance(`root\cimv2`, tc.inst) })
		if cim.StatusOf(err) != cim.WBEM_E_TOO_MUCH_DATA {
			t.Errorf("%s: %v, want WBEM_E_TOO_MUCH_DATA", tc.name, err)
		}
	}
}

func TestDefaultStateDir(t *testing.T) {
	got := repository.DefaultStateDir()
	if got == "" || !filepath.IsAbs(got) || filepath.Base(got) != "gowbem" {
		t.Errorf("DefaultStateDir() = %q", got)
	}
}

func TestBoltCheckFindsBrokenIndex(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(nsb *bolt.Bucket) error
		want   string
	}{
		{"entry missing", func(nsb *bolt.Bucket) error {
			return nsb.Bucket([]byte("subclasses")).Delete([]byte("\x00thing"))
		}, "missing from the subclass index"},
		{"stale entry", func(nsb *bolt.Bucket) error {
			return nsb.Bucket([]byte("subclasses")).Put([]byte("\x00ghost"), []byte("Ghost"))
		}, "does not exist"},
		{"wrong parent", func(nsb *bolt.Bucket) error {
			return nsb.Bucket([]byte("subclasses")).Put([]byte("other\x00thing"), []byte("Thing"))
		}, "its superclass is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.db")
			b, err := repository.OpenBolt(path, repository.BoltOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Update(bg, func(tx repository.Tx) error { return tx.PutClass(`root\cimv2`, keyedClass(t, "Thing")) }); err != nil {
				t.Fatal(err)
			}
			b.Close()
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(func(tx *bolt.Tx) error {
				return tc.damage(tx.Bucket([]byte("ns")).Bucket([]byte(`root\cimv2`)))
			}); err != nil {
				t.Fatal(err)
			}
			db.Close()
			b, err = repository.OpenBolt(path, repository.BoltOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if err := b.Check(bg); cim.StatusOf(err) != cim.WBEM_E_CRITICAL_ERROR || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check: %v, want WBEM_E_CRITICAL_ERROR saying %q", err, tc.want)
			}
		})
	}
}
