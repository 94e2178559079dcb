package repository_test

import (
	"path/filepath"
	"testing"

	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/repository/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) repository.Store { return repository.NewMemory() })
}

func TestBoltConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) repository.Store { return openTemp(t) })
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
