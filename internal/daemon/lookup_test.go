package daemon

import (
	"testing"

	"github.com/gowbem/gowbem/identity"
)

// A restored subscription's creator is found as a login would find them:
// in the users file first, else among PAM's accounts; a name neither knows
// is nobody.
func TestFileThenPAMLookup(t *testing.T) {
	file := map[string]*identity.Caller{"alice": {Name: "alice", Admin: true}}
	pam := map[string]*identity.Caller{"alice": {Name: "alice", Method: "pam"}, "bob": {Name: "bob", Method: "pam"}}
	asked := 0
	lookup := fileThenPAMLookup(
		func(n string) (*identity.Caller, bool) { c, ok := file[n]; return c, ok },
		func(n string) (*identity.Caller, bool) { asked++; c, ok := pam[n]; return c, ok })
	if c, ok := lookup("alice"); !ok || c != file["alice"] || asked != 0 {
		t.Fatalf("alice: %+v %v (PAM asked %d times)", c, ok, asked)
	}
	if c, ok := lookup("bob"); !ok || c != pam["bob"] {
		t.Fatalf("bob: %+v %v", c, ok)
	}
	if c, ok := lookup("carol"); ok || c != nil {
		t.Fatalf("carol: %+v %v", c, ok)
	}
}
