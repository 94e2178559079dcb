package identity_test

import (
	"context"
	"fmt"

	"github.com/gowbem/gowbem/identity"
)

// A protocol server puts the caller into the context; the object manager and
// the providers read it back and check its rights.
func ExampleACL_Rights() {
	ctx := identity.NewContext(context.Background(), &identity.Caller{Name: "bob", Remote: true})

	acl := identity.DefaultACL().Grant(identity.Trustee{Name: "bob"}, identity.RemoteAccess)
	if c, ok := identity.FromContext(ctx); ok {
		r := acl.Rights(c)
		fmt.Println(r)
		fmt.Println("may write classes:", r&identity.FullWrite != 0)
	}
	text, _ := acl.MarshalText()
	fmt.Print(string(text))
	// Output:
	// Enable|MethodExecute|ProviderWrite|RemoteAccess
	// may write classes: false
	// allow Enable|MethodExecute|FullWrite|PartialWrite|ProviderWrite|RemoteAccess|ReadSecurity|EditSecurity group:Administrators
	// allow Enable|MethodExecute|ProviderWrite group:Everyone
	// allow RemoteAccess user:bob
}
