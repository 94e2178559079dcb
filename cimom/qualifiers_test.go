package cimom_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
)

const qualifierMOF = `
#pragma namespace("\\\\.\\root\\gwquals")
Qualifier Description : string = null, Scope(any), Flavor(EnableOverride, ToSubclass, Translatable);
Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);
Qualifier ValueMap : string[], Scope(property, method, parameter);
Qualifier Fixed : sint8[3] = {1, 2, 3}, Scope(class), Flavor(Restricted, ToInstance);
[Description("a thing")] class GW_Q { [Key] string Id; };
`

// MOF qualifier declarations are stored in their namespace, survive
// reopening the store, and are read, replaced and deleted through the
// object manager with the WBEM statuses DSP0200's methods map to.
func TestQualifierDeclarations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "repository.db")
	open := func() (*cimom.ObjectManager, *repository.Bolt) {
		t.Helper()
		store, err := repository.OpenBolt(path, repository.BoltOptions{})
		if err != nil {
			t.Fatal(err)
		}
		om, err := cimom.New(ctx, store)
		if err != nil {
			store.Close()
			t.Fatal(err)
		}
		return om, store
	}
	om, store := open()
	if _, err := om.CompileMOF(ctx, fstest.MapFS{"q.mof": {Data: []byte(qualifierMOF)}}, "q.mof", ""); err != nil {
		t.Fatal(err)
	}
	store.Close()

	om, store = open()
	defer store.Close()
	svc := om.Services(`root\gwquals`)
	qs, err := svc.EnumQualifiers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, q := range qs {
		names = append(names, q.Name)
	}
	if got := strings.Join(names, " "); got != "Description Fixed Key ValueMap" {
		t.Errorf("EnumQualifiers after reopening = %s", got)
	}
	key, err := svc.GetQualifier(ctx, "KEY")
	if err != nil {
		t.Fatal(err)
	}
	if key.Name != "Key" || key.Type != cim.TypeBoolean || key.Scopes != cim.ScopeProperty|cim.ScopeReference ||
		key.Flavor != cim.FlavorToSubclass|cim.FlavorNotOverridable || !cim.Equal(key.Default, cim.Bool(false)) {
		t.Errorf("Key = %+v", key)
	}
	fixed, err := svc.GetQualifier(ctx, "Fixed")
	if err != nil {
		t.Fatal(err)
	}
	if fixed.Type != cim.TypeSint8.ArrayOf() || fixed.ArraySize != 3 || fixed.Flavor != cim.FlavorToInstance || len(fixed.Default.Array()) != 3 {
		t.Errorf("Fixed = %+v", fixed)
	}
	// Another namespace declares nothing.
	if qs, err := om.Services(`root\cimv2`).EnumQualifiers(ctx); err != nil || len(qs) != 0 {
		t.Errorf("root\\cimv2's declarations = %v, %v; want none", qs, err)
	}

	note := &cim.QualifierDecl{Name: "Note", Type: cim.TypeString, Default: cim.String("n"), Scopes: cim.ScopeClass, Flavor: cim.FlavorToSubclass}
	for _, tc := range []struct {
		name string
		err  error
		want cim.Status
	}{
		{"GetQualifier of an undeclared one", func() error { _, err := svc.GetQualifier(ctx, "Nonesuch"); return err }(), cim.WBEM_E_NOT_FOUND},
		{"GetQualifier without a name", func() error { _, err := svc.GetQualifier(ctx, ""); return err }(), cim.WBEM_E_INVALID_PARAMETER},
		{"DeleteQualifier of an undeclared one", svc.DeleteQualifier(ctx, "Nonesuch"), cim.WBEM_E_NOT_FOUND},
		{"PutQualifier update-only of a new one", svc.PutQualifier(ctx, note, wbem.WBEM_FLAG_UPDATE_ONLY), cim.WBEM_E_NOT_FOUND},
		{"PutQualifier", svc.PutQualifier(ctx, note, 0), cim.WBEM_S_NO_ERROR},
		{"PutQualifier create-only of an old one", svc.PutQualifier(ctx, note, wbem.WBEM_FLAG_CREATE_ONLY), cim.WBEM_E_ALREADY_EXISTS},
		{"PutQualifier update-only", svc.PutQualifier(ctx, note, wbem.WBEM_FLAG_UPDATE_ONLY), cim.WBEM_S_NO_ERROR},
		{"PutQualifier with a bad default", svc.PutQualifier(ctx, &cim.QualifierDecl{Name: "N", Type: cim.TypeUint8, Default: cim.String("x")}, 0), cim.WBEM_E_INVALID_PARAMETER},
		{"PutQualifier of a reference", svc.PutQualifier(ctx, &cim.QualifierDecl{Name: "R", Type: cim.TypeReference}, 0), cim.WBEM_E_INVALID_PARAMETER},
		{"PutQualifier of nil", svc.PutQualifier(ctx, nil, 0), cim.WBEM_E_INVALID_PARAMETER},
		{"PutQualifier both flags", svc.PutQualifier(ctx, note, wbem.WBEM_FLAG_UPDATE_ONLY|wbem.WBEM_FLAG_CREATE_ONLY), cim.WBEM_E_INVALID_PARAMETER},
		{"GetQualifier in no namespace", func() error { _, err := om.Services(`root\none`).GetQualifier(ctx, "Key"); return err }(), cim.WBEM_E_INVALID_NAMESPACE},
	} {
		if got := cim.StatusOf(tc.err); got != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, tc.err, tc.want.Name())
		}
	}
	if err := svc.DeleteQualifier(ctx, "description"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GetQualifier(ctx, "Description"); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Errorf("GetQualifier after DeleteQualifier: %v", err)
	}
	if got, err := svc.GetQualifier(ctx, "note"); err != nil || !cim.Equal(got.Default, cim.String("n")) {
		t.Errorf("Note = %+v, %v", got, err)
	}
}
