package cim

import "testing"

// mustDerive completes decl against parent or fails the test.
func mustDerive(t testing.TB, parent, decl *Class) *Class {
	t.Helper()
	c, err := Derive(parent, decl)
	if err != nil {
		t.Fatalf("Derive(%s): %v", decl.Name, err)
	}
	return c
}
