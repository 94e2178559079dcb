package repository_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
)

func ExampleOpenBolt() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	store, err := repository.OpenBolt(filepath.Join(dir, "repository.db"), repository.BoltOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	disk, err := cim.Derive(nil, &cim.Class{Name: "Demo_Disk", Properties: []cim.Property{
		{Name: "DeviceID", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}},
		{Name: "Size", Type: cim.TypeUint64},
	}})
	if err != nil {
		log.Fatal(err)
	}
	// One transaction: the class and its instances commit together.
	err = store.Update(ctx, func(tx repository.Tx) error {
		if err := tx.PutClass(`root\cimv2`, disk); err != nil {
			return err
		}
		for i, size := range []uint64{1 << 30, 1 << 40} {
			inst := disk.NewInstance()
			inst.Set("DeviceID", cim.String(fmt.Sprintf("disk%d", i)))
			inst.Set("Size", cim.Uint64(size))
			if err := tx.PutInstance(`root\cimv2`, inst); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Streamed back, in key order, without loading them all.
	err = store.Instances(ctx, `root\cimv2`, disk, func(inst *cim.Instance) error {
		fmt.Println(inst.Value("DeviceID").Str(), inst.Value("Size").Uint())
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// disk0 1073741824
	// disk1 1099511627776
}

func ExampleBolt_Batch() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	store, err := repository.OpenStateDir(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	// Concurrent Batch calls share commits; each is durable when it returns.
	done := make(chan error)
	for _, ns := range []string{`root\a`, `root\b`, `root\c`} {
		go func() {
			done <- store.Batch(ctx, func(tx repository.Tx) error { return tx.CreateNamespace(ns) })
		}()
	}
	for range 3 {
		if err := <-done; err != nil {
			log.Fatal(err)
		}
	}
	store.View(ctx, func(tx repository.Tx) error {
		children, err := tx.Namespaces("root")
		fmt.Println(children, err)
		return nil
	})
	// Output:
	// [root\a root\b root\c root\cimv2] <nil>
}
