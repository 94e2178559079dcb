package cimom_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/wbem"
)

// secProvider serves Sec_Dyn: one instance, writes and a method, all
// accepted.
type secProvider struct{}

func (secProvider) EnumerateInstances(ctx context.Context, c *cim.Class, out provider.Emitter) error {
	inst := c.NewInstance()
	inst.Set("Id", cim.String("d"))
	return out.Emit(inst)
}

func (secProvider) GetInstance(ctx context.Context, c *cim.Class, p cim.ObjectPath) (*cim.Instance, error) {
	inst := c.NewInstance()
	inst.Set("Id", cim.String("d"))
	return inst, nil
}

func (secProvider) PutInstance(ctx context.Context, inst *cim.Instance, mode provider.PutMode) (cim.ObjectPath, error) {
	return inst.ObjectPath(), nil
}

func (secProvider) DeleteInstance(ctx context.Context, c *cim.Class, p cim.ObjectPath) error {
	return nil
}

func (secProvider) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	out := call.Out.NewInstance()
	out.Set("ReturnValue", cim.Uint32(0))
	return out, nil
}

const secMOF = `
Qualifier Sec_Note : string, Scope(any);
Qualifier Sec_Old : boolean = false, Scope(class);
class Sec_Static { [Key] string Id; };
class Sec_Gone { [Key] string Id; };
[Dynamic, Provider("Sec")] class Sec_Dyn { [Key] string Id; [Static] uint32 Ping(); };
instance of Sec_Static { Id = "a"; };
instance of Sec_Static { Id = "b"; };
`

func newSecOM(t *testing.T) *cimom.ObjectManager {
	t.Helper()
	om := cimom.NewMemory(cimom.WithProvider("Sec", secProvider{}))
	if _, err := om.CompileMOF(context.Background(), fstest.MapFS{"s.mof": {Data: []byte(secMOF)}}, "s.mof", `root\cimv2`); err != nil {
		t.Fatal(err)
	}
	return om
}

func as(c *identity.Caller) context.Context {
	return identity.NewContext(context.Background(), c)
}

// drain runs an enumeration to its end.
func drain(e *wbem.Enumerator, err error) ([]cim.Object, error) {
	if err != nil {
		return nil, err
	}
	defer e.Close()
	var out []cim.Object
	for obj, err := range e.All(context.Background()) {
		if err != nil {
			return out, err
		}
		out = append(out, obj)
	}
	return out, nil
}

func sdIn(text string) *cim.Instance {
	in := (&cim.Class{Name: "__PARAMETERS", Properties: []cim.Property{{Name: "SD", Type: cim.TypeUint8.ArrayOf()}}})
	c, _ := cim.Derive(nil, in)
	inst := c.NewInstance()
	v, _ := cim.ValueOf([]byte(text))
	inst.Set("SD", v)
	return inst
}

// secOps are the operations of the namespace and the right each needs
// (besides Enable).
var secOps = []struct {
	name  string
	right identity.Rights
	run   func(ctx context.Context, svc *wbem.Services) error
}{
	{"GetObject", identity.Enable, func(ctx context.Context, svc *wbem.Services) error {
		_, err := svc.GetObject(ctx, `Sec_Static.Id="a"`, 0)
		return err
	}},
	{"CreateInstanceEnum", identity.Enable, func(ctx context.Context, svc *wbem.Services) error {
		_, err := drain(svc.CreateInstanceEnum(ctx, "Sec_Static", wbem.WBEM_FLAG_RETURN_IMMEDIATELY))
		return err
	}},
	{"ExecQuery", identity.Enable, func(ctx context.Context, svc *wbem.Services) error {
		_, err := drain(svc.ExecQuery(ctx, "WQL", "SELECT * FROM Sec_Dyn", wbem.WBEM_FLAG_RETURN_IMMEDIATELY))
		return err
	}},
	{"CreateClassEnum", identity.Enable, func(ctx context.Context, svc *wbem.Services) error {
		_, err := drain(svc.CreateClassEnum(ctx, "", wbem.WBEM_FLAG_RETURN_IMMEDIATELY))
		return err
	}},
	{"OpenNamespace", identity.Enable, func(ctx context.Context, svc *wbem.Services) error {
		_, err := svc.OpenNamespace(ctx, "child", 0)
		return err
	}},
	{"GetCallerAccessRights", identity.Enable, func(ctx context.Context, svc *wbem.Services) error {
		_, err := svc.ExecMethod(ctx, cimom.SecurityClass, "GetCallerAccessRights", nil, 0)
		return err
	}},
	{"ExecMethod", identity.MethodExecute, func(ctx context.Context, svc *wbem.Services) error {
		_, err := svc.ExecMethod(ctx, "Sec_Dyn", "Ping", nil, 0)
		return err
	}},
	{"PutClass", identity.FullWrite, func(ctx context.Context, svc *wbem.Services) error {
		_, err := svc.PutClass(ctx, &cim.Class{Name: "Sec_New", Properties: []cim.Property{{Name: "Id", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}}}}, 0)
		return err
	}},
	{"DeleteClass", identity.FullWrite, func(ctx context.Context, svc *wbem.Services) error {
		_, err := svc.DeleteClass(ctx, "Sec_Gone", 0)
		return err
	}},
	{"create a namespace", identity.FullWrite, func(ctx context.Context, svc *wbem.Services) error {
		cr, err := svc.GetObject(ctx, "__NAMESPACE", 0)
		if err != nil {
			return err
		}
		obj, _ := cr.ResultObject(0)
		inst := obj.(*cim.Class).NewInstance()
		inst.Set("Name", cim.String("other"))
		_, err = svc.PutInstance(ctx, inst, 0)
		return err
	}},
	{"PutInstance static", identity.PartialWrite, func(ctx context.Context, svc *wbem.Services) error {
		cr, err := svc.GetObject(ctx, `Sec_Static.Id="a"`, 0)
		if err != nil {
			return err
		}
		obj, _ := cr.ResultObject(0)
		_, err = svc.PutInstance(ctx, obj.(*cim.Instance), 0)
		return err
	}},
	{"DeleteInstance static", identity.PartialWrite, func(ctx context.Context, svc *wbem.Services) error {
		_, err := svc.DeleteInstance(ctx, `Sec_Static.Id="b"`, 0)
		return err
	}},
	{"PutInstance dynamic", identity.ProviderWrite, func(ctx context.Context, svc *wbem.Services) error {
		cr, err := svc.GetObject(ctx, `Sec_Dyn.Id="d"`, 0)
		if err != nil {
			return err
		}
		obj, _ := cr.ResultObject(0)
		_, err = svc.PutInstance(ctx, obj.(*cim.Instance), 0)
		return err
	}},
	{"DeleteInstance dynamic", identity.ProviderWrite, func(ctx context.Context, svc *wbem.Services) error {
		_, err := svc.DeleteInstance(ctx, `Sec_Dyn.Id="d"`, 0)
		return err
	}},
	{"GetQualifier", identity.Enable, func(ctx context.Context, svc *wbem.Services) error {
		_, err := svc.GetQualifier(ctx, "Sec_Note")
		return err
	}},
	{"EnumQualifiers", identity.Enable, func(ctx context.Context, svc *wbem.Services) error {
		qs, err := svc.EnumQualifiers(ctx)
		if err == nil && len(qs) != 2 {
			return fmt.Errorf("EnumQualifiers gave %d declarations, want 2", len(qs))
		}
		return err
	}},
	{"PutQualifier", identity.FullWrite, func(ctx context.Context, svc *wbem.Services) error {
		return svc.PutQualifier(ctx, &cim.QualifierDecl{Name: "Sec_New", Type: cim.TypeUint32, Scopes: cim.ScopeProperty}, 0)
	}},
	{"DeleteQualifier", identity.FullWrite, func(ctx context.Context, svc *wbem.Services) error {
		return svc.DeleteQualifier(ctx, "Sec_Old")
	}},
	{"GetSD", identity.ReadSecurity, func(ctx context.Context, svc *wbem.Services) error {
		_, err := svc.ExecMethod(ctx, cimom.SecurityClass, "GetSD", nil, 0)
		return err
	}},
	{"GetObject __thisNAMESPACE", identity.ReadSecurity, func(ctx context.Context, svc *wbem.Services) error {
		_, err := svc.GetObject(ctx, cimom.NamespaceClass+"=@", 0)
		return err
	}},
	{"SetSD", identity.EditSecurity, func(ctx context.Context, svc *wbem.Services) error {
		// Keeps bob's rights as they are: the test sets them again anyway.
		_, err := svc.ExecMethod(ctx, cimom.SecurityClass, "SetSD", sdIn("allow All user:bob\n"), 0)
		return err
	}},
}

// Every operation checks the right it needs, before it reaches the object
// manager's work: granted, it runs; withheld, it fails with
// WBEM_E_ACCESS_DENIED naming the right; from another machine it also needs
// RemoteAccess; an administrator needs nothing granted.
func TestAccessRights(t *testing.T) {
	bob := identity.Trustee{Name: "bob"}
	for _, op := range secOps {
		for _, tc := range []struct {
			name    string
			granted identity.Rights
			caller  identity.Caller
			missing identity.Rights // 0: allowed
		}{
			{"granted", identity.Enable | op.right, identity.Caller{Name: "bob"}, 0},
			{"withheld", withhold(op.right), identity.Caller{Name: "bob"}, op.right},
			{"remote without RemoteAccess", identity.Enable | op.right, identity.Caller{Name: "bob", Remote: true}, identity.RemoteAccess},
			{"remote with RemoteAccess", identity.Enable | op.right | identity.RemoteAccess, identity.Caller{Name: "bob", Remote: true}, 0},
			{"administrator", 0, identity.Caller{Name: "root", Admin: true, Remote: true}, 0},
			{"through a group", identity.Enable | op.right, identity.Caller{Name: "carol", Groups: []string{"ops"}}, 0},
		} {
			om := newSecOM(t)
			svc := om.Services(`root\cimv2`)
			admin := svc // in-process: no caller, the program's rights
			if _, err := admin.PutInstance(context.Background(), nsInstance(t, admin, "child"), 0); err != nil {
				t.Fatal(err)
			}
			acl := identity.ACL{{Rights: tc.granted, Trustee: bob}, {Rights: tc.granted, Trustee: identity.Trustee{Name: "ops", Group: true}}}
			if err := om.SetACL(context.Background(), `root\cimv2`, acl); err != nil {
				t.Fatal(err)
			}
			err := op.run(as(&tc.caller), svc)
			switch {
			case tc.missing == 0 && err != nil:
				t.Errorf("%s, %s: %v", op.name, tc.name, err)
			case tc.missing != 0 && !errors.Is(err, cim.ErrAccessDenied):
				t.Errorf("%s, %s: %v, want WBEM_E_ACCESS_DENIED", op.name, tc.name, err)
			case tc.missing != 0 && !strings.Contains(cim.AsError(err).Description, tc.missing.String()):
				t.Errorf("%s, %s: %q does not name the missing right %v", op.name, tc.name, cim.AsError(err).Description, tc.missing)
			}
		}
	}
}

// withhold returns every right but r (and but FullWrite, which includes
// PartialWrite).
func withhold(r identity.Rights) identity.Rights {
	if r == identity.PartialWrite {
		r |= identity.FullWrite
	}
	return identity.AllRights &^ r
}

func nsInstance(t *testing.T, svc *wbem.Services, name string) *cim.Instance {
	t.Helper()
	cr, err := svc.GetObject(context.Background(), "__NAMESPACE", 0)
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := cr.ResultObject(0)
	inst := obj.(*cim.Class).NewInstance()
	inst.Set("Name", cim.String(name))
	return inst
}

// WMI's defaults: every account may read, call methods and write through
// providers locally; only administrators have the rest, and remote access.
func TestAccessDefaults(t *testing.T) {
	om := newSecOM(t)
	svc := om.Services(`root\cimv2`)
	svc.PutInstance(context.Background(), nsInstance(t, svc, "child"), 0)
	bob := as(&identity.Caller{Name: "bob"})
	for _, op := range secOps {
		err := op.run(bob, svc)
		allowed := op.right&(identity.Enable|identity.MethodExecute|identity.ProviderWrite) != 0
		if allowed != (err == nil) {
			t.Errorf("%s by a user by default: %v", op.name, err)
		}
		if err := op.run(as(&identity.Caller{Name: "bob", Remote: true}), svc); !errors.Is(err, cim.ErrAccessDenied) {
			t.Errorf("%s by a remote user by default: %v", op.name, err)
		}
	}
}

// A namespace inherits its parent's list until it sets its own, and again
// once it drops it.
func TestAccessInheritance(t *testing.T) {
	ctx := context.Background()
	om := newSecOM(t)
	cimv2 := om.Services(`root\cimv2`)
	cimv2.PutInstance(ctx, nsInstance(t, cimv2, "child"), 0)
	child := om.Services(`root\cimv2\child`)
	bob := as(&identity.Caller{Name: "bob"})
	putClass := func(svc *wbem.Services) error {
		_, err := svc.PutClass(bob, &cim.Class{Name: "Sec_X"}, 0)
		return err
	}
	grant := identity.DefaultACL().Grant(identity.Trustee{Name: "bob"}, identity.FullWrite)
	if err := om.SetACL(ctx, "root", grant); err != nil {
		t.Fatal(err)
	}
	if err := putClass(child); err != nil {
		t.Fatalf("inherited from root: %v", err)
	}
	acl, from, _ := om.ACL(ctx, `root\cimv2\child`)
	if from != "root" || acl.Rights(&identity.Caller{Name: "bob"})&identity.FullWrite == 0 {
		t.Errorf("ACL(child) = %v from %q", acl, from)
	}
	if err := om.SetACL(ctx, `root\cimv2\child`, identity.DefaultACL()); err != nil {
		t.Fatal(err)
	}
	if err := putClass(child); !errors.Is(err, cim.ErrAccessDenied) {
		t.Fatalf("the child's own list: %v", err)
	}
	if err := putClass(cimv2); err != nil {
		t.Fatalf("the parent keeps its rights: %v", err)
	}
	if err := om.SetACL(ctx, `root\cimv2\child`, nil); err != nil {
		t.Fatal(err)
	}
	if _, from, _ := om.ACL(ctx, `root\cimv2\child`); from != "root" {
		t.Errorf("after dropping its list, child's comes from %q", from)
	}
	// GetSD says where the list comes from; SetSD with NULL drops it.
	cr, err := child.ExecMethod(ctx, cimom.SecurityClass, "GetSD", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := cr.ResultObject(0)
	if got := out.(*cim.Instance).Value("InheritedFrom").Str(); got != "root" {
		t.Errorf("InheritedFrom = %q", got)
	}
	// A broken list is refused, naming the line.
	_, err = child.ExecMethod(ctx, cimom.SecurityClass, "SetSD", sdIn("allow Enable user:x\npermit All user:y\n"), 0)
	if !errors.Is(err, cim.ErrInvalidParameter) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("SetSD of a broken list: %v", err)
	}
	// A namespace deleted and made again does not keep its list.
	om.SetACL(ctx, `root\cimv2\child`, identity.ACL{})
	if _, err := cimv2.DeleteInstance(ctx, `__NAMESPACE.Name="child"`, 0); err != nil {
		t.Fatal(err)
	}
	cimv2.PutInstance(ctx, nsInstance(t, cimv2, "child"), 0)
	if _, from, _ := om.ACL(ctx, `root\cimv2\child`); from != "root" {
		t.Errorf("a new namespace of an old name has the old list (from %q)", from)
	}
}

// The list is written through SetSD only, and hidden from enumerations of
// callers without ReadSecurity.
func TestAccessListGuarded(t *testing.T) {
	ctx := context.Background()
	om := newSecOM(t)
	svc := om.Services(`root\cimv2`)
	if err := om.SetACL(ctx, `root\cimv2`, identity.DefaultACL()); err != nil {
		t.Fatal(err)
	}
	cr, err := svc.GetObject(ctx, cimom.NamespaceClass+"=@", 0)
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := cr.ResultObject(0)
	if _, err := svc.PutInstance(ctx, obj.(*cim.Instance), 0); !errors.Is(err, cim.ErrAccessDenied) {
		t.Errorf("PutInstance of %s: %v", cimom.NamespaceClass, err)
	}
	if _, err := svc.DeleteInstance(ctx, cimom.NamespaceClass+"=@", 0); !errors.Is(err, cim.ErrAccessDenied) {
		t.Errorf("DeleteInstance of %s: %v", cimom.NamespaceClass, err)
	}
	mofSD := fstest.MapFS{"x.mof": {Data: []byte(`instance of __thisNAMESPACE { SECURITY_DESCRIPTOR = {65}; };`)}}
	if _, err := om.CompileMOF(ctx, mofSD, "x.mof", `root\cimv2`); !errors.Is(err, cim.ErrAccessDenied) {
		t.Errorf("MOF writing %s: %v", cimom.NamespaceClass, err)
	}
	for _, tc := range []struct {
		caller *identity.Caller
		want   int
	}{{&identity.Caller{Name: "bob"}, 0}, {&identity.Caller{Name: "root", Admin: true}, 1}} {
		for _, q := range []string{"SELECT * FROM __thisNAMESPACE", "SELECT * FROM __SystemClass"} {
			objs, err := drain(svc.ExecQuery(as(tc.caller), "WQL", q, wbem.WBEM_FLAG_RETURN_IMMEDIATELY))
			n := 0
			for _, o := range objs {
				if i, ok := o.(*cim.Instance); ok && i.ClassName() == cimom.NamespaceClass {
					n++
				}
			}
			if err != nil || n != tc.want {
				t.Errorf("%s as %s: %d access lists, %v; want %d", q, tc.caller.Name, n, err, tc.want)
			}
		}
	}
	// MOF needs FullWrite.
	mofClass := fstest.MapFS{"y.mof": {Data: []byte(`class Sec_Mof { [Key] string Id; };`)}}
	if _, err := om.CompileMOF(as(&identity.Caller{Name: "bob"}), mofClass, "y.mof", `root\cimv2`); !errors.Is(err, cim.ErrAccessDenied) {
		t.Errorf("MOF by a user: %v", err)
	}
	if _, err := om.CompileMOF(as(&identity.Caller{Name: "root", Admin: true}), mofClass, "y.mof", `root\cimv2`); err != nil {
		t.Errorf("MOF by an administrator: %v", err)
	}
}

// GetCallerAccessRights tells the caller its rights.
func TestGetCallerAccessRights(t *testing.T) {
	om := newSecOM(t)
	svc := om.Services(`root\cimv2`)
	for _, tc := range []struct {
		caller *identity.Caller
		want   identity.Rights
	}{
		{&identity.Caller{Name: "bob"}, identity.Enable | identity.MethodExecute | identity.ProviderWrite},
		{&identity.Caller{Name: "root", Admin: true}, identity.AllRights},
	} {
		cr, err := svc.ExecMethod(as(tc.caller), cimom.SecurityClass, "GetCallerAccessRights", nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := cr.ResultObject(0)
		if got := identity.Rights(out.(*cim.Instance).Value("Rights").Int()); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.caller.Name, got, tc.want)
		}
	}
}
