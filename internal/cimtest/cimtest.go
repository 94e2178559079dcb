// Package cimtest holds helpers that gowbem's tests in several packages
// share.
package cimtest

import (
	"bytes"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

// Params returns an in-parameter instance (of a __PARAMETERS class made for
// it) holding vals, its properties in name order. Unlike an instance of a
// method's own parameter class (cim.Method.ParameterClasses), it can hold
// parameters the method does not have, for tests of the refusal.
func Params(t testing.TB, vals map[string]cim.Value) *cim.Instance {
	t.Helper()
	decl := &cim.Class{Name: "__PARAMETERS"}
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		decl.Properties = append(decl.Properties, cim.Property{Name: k, Type: vals[k].Type()})
	}
	c, err := cim.Derive(nil, decl)
	if err != nil {
		t.Fatal(err)
	}
	inst := c.NewInstance()
	for i, p := range c.Properties {
		inst.SetAt(i, vals[p.Name])
	}
	return inst
}

// SyncBuffer is a bytes.Buffer that a logger's or a child process's
// goroutines may write while a test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
