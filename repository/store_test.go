package repository_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/repository/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) repository.Store { return repository.NewMemory() })
}

func TestBoltConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) repository.Store { return checked{t, openTemp(t)} })
}

// checked is a Bolt whose Close first runs its integrity check, so that every
// conformance test also proves it left the file consistent (indexes
// included).
type checked struct {
	t *testing.T
	*repository.Bolt
}

func (c checked) Close() error {
	if err := c.Check(context.Background()); err != nil {
		c.t.Errorf("integrity check: %v", err)
	}
	return c.Bolt.Close()
}

// openTemp opens a new repository file in a temporary directory.
func openTemp(t testing.TB) *repository.Bolt {
	t.Helper()
	b, err := repository.OpenBolt(filepath.Join(t.TempDir(), "repository.db"), repository.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
