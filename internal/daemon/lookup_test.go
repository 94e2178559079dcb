package daemon

import (
	"errors"
	"testing"

	"github.com/gowbem/gowbem/identity"
)

// A restored subscription's creator is found as a login would find them:
// in the users file first, else among PAM's accounts; a name neither knows
// is nobody (identity.ErrNoUser); PAM failing is PAM's error, no verdict
// on the user; without PAM only the users file counts.
func TestFileThenPAMLookup(t *testing.T) {
	file := map[string]*identity.Caller{"alice": {Name: "alice", Admin: true}}
	pam := map[string]*identity.Caller{"alice": {Name: "alice", Method: "pam"}, "bob": {Name: "bob", Method: "pam"}}
	errPAM := errors.New("pam: account management of dave: system error")
	asked := 0
	fileLookup := func(n string) (*identity.Caller, bool) { c, ok := file[n]; return c, ok }
	lookup := fileThenPAMLookup(fileLookup,
		func(n string) (*identity.Caller, error) {
			asked++
			if n == "dave" {
				return nil, errPAM
			}
			if c, ok := pam[n]; ok {
				return c, nil
			}
			return nil, identity.ErrNoUser
		})
	if c, err := lookup("alice"); err != nil || c != file["alice"] || asked != 0 {
		t.Fatalf("alice: %+v %v (PAM asked %d times)", c, err, asked)
	}
	if c, err := lookup("bob"); err != nil || c != pam["bob"] {
		t.Fatalf("bob: %+v %v", c, err)
	}
	if c, err := lookup("carol"); !errors.Is(err, identity.ErrNoUser) || c != nil {
		t.Fatalf("carol: %+v %v", c, err)
	}
	if c, err := lookup("dave"); err != errPAM || c != nil {
		t.Fatalf("dave, while PAM fails: %+v %v", c, err)
	}
	fileOnly := fileThenPAMLookup(fileLookup, nil)
	if c, err := fileOnly("alice"); err != nil || c != file["alice"] {
		t.Fatalf("alice without PAM: %+v %v", c, err)
	}
	if c, err := fileOnly("bob"); !errors.Is(err, identity.ErrNoUser) || c != nil {
		t.Fatalf("bob without PAM: %+v %v", c, err)
	}
}
