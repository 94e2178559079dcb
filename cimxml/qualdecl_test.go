package cimxml_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/interop"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// qualDecl is a QUALIFIER.DECLARATION as pywbem and wbemcli's peers send
// it.
func qualDecl(name, typ, attrs, scope, value string) string {
	return `<QUALIFIER.DECLARATION NAME="` + name + `" TYPE="` + typ + `"` + attrs + `><SCOPE ` + scope + `/>` + value + `</QUALIFIER.DECLARATION>`
}

// The four qualifier declaration methods over the wire: SetQualifier
// stores what GetQualifier and EnumerateQualifiers give back as DSP0201's
// QUALIFIER.DECLARATION, DeleteQualifier removes it, and each failure has
// its CIM status.
func TestQualifierDeclarationMethods(t *testing.T) {
	srv := newServer(t, &workload.Provider{N: 1}, cimxml.Options{})
	set := func(decl string) *httptest.ResponseRecorder {
		return icall(srv, "SetQualifier", ip("QualifierDeclaration", decl))
	}
	wantOK(t, set(qualDecl("Units", "string", ` ISARRAY="false" TRANSLATABLE="true"`, `PROPERTY="true" METHOD="true" PARAMETER="true"`, val("bytes"))))
	wantOK(t, set(qualDecl("ValueMap", "string", ` ISARRAY="true"`, `PROPERTY="true" METHOD="true" PARAMETER="true"`, "<VALUE.ARRAY><VALUE>0</VALUE><VALUE>1</VALUE></VALUE.ARRAY>")))
	wantOK(t, set(qualDecl("Key", "boolean", ` OVERRIDABLE="false"`, `PROPERTY="true" REFERENCE="true"`, val("false"))))
	wantOK(t, set(qualDecl("Fixed", "uint8", ` ISARRAY="true" ARRAYSIZE="2" TOSUBCLASS="false" TOINSTANCE="true"`, `CLASS="true"`, "")))
	wantOK(t, set(qualDecl("Anywhere", "sint32", "", `CLASS="true" ASSOCIATION="true" REFERENCE="true" PROPERTY="true" METHOD="true" PARAMETER="true" INDICATION="true"`, val("-3"))))

	wantOK(t, icall(srv, "GetQualifier", ip("QualifierName", val("units"))),
		`<IRETURNVALUE><QUALIFIER.DECLARATION NAME="Units" TYPE="string" ISARRAY="false" TRANSLATABLE="true"><SCOPE PROPERTY="true" METHOD="true" PARAMETER="true"/><VALUE>bytes</VALUE></QUALIFIER.DECLARATION></IRETURNVALUE>`)
	wantOK(t, icall(srv, "GetQualifier", ip("QualifierName", val("Fixed"))),
		`<QUALIFIER.DECLARATION NAME="Fixed" TYPE="uint8" ISARRAY="true" ARRAYSIZE="2" TOSUBCLASS="false" TOINSTANCE="true"><SCOPE CLASS="true"/></QUALIFIER.DECLARATION>`)
	body := wantOK(t, icall(srv, "EnumerateQualifiers"),
		`<QUALIFIER.DECLARATION NAME="Key" TYPE="boolean" ISARRAY="false" OVERRIDABLE="false"><SCOPE REFERENCE="true" PROPERTY="true"/><VALUE>FALSE</VALUE></QUALIFIER.DECLARATION>`,
		`<QUALIFIER.DECLARATION NAME="ValueMap" TYPE="string" ISARRAY="true"><SCOPE PROPERTY="true" METHOD="true" PARAMETER="true"/><VALUE.ARRAY><VALUE>0</VALUE><VALUE>1</VALUE></VALUE.ARRAY></QUALIFIER.DECLARATION>`,
		`<QUALIFIER.DECLARATION NAME="Anywhere" TYPE="sint32" ISARRAY="false"><SCOPE CLASS="true" ASSOCIATION="true" REFERENCE="true" PROPERTY="true" METHOD="true" PARAMETER="true" INDICATION="true"/><VALUE>-3</VALUE>`)
	if n := strings.Count(body, "<QUALIFIER.DECLARATION "); n != 5 {
		t.Errorf("EnumerateQualifiers gave %d declarations, want 5", n)
	}
	// Replacing one keeps one.
	wantOK(t, set(qualDecl("UNITS", "string", "", `PROPERTY="true"`, "")))
	wantOK(t, icall(srv, "GetQualifier", ip("QualifierName", val("Units"))), `<QUALIFIER.DECLARATION NAME="UNITS" TYPE="string" ISARRAY="false"><SCOPE PROPERTY="true"/></QUALIFIER.DECLARATION>`)
	wantOK(t, icall(srv, "DeleteQualifier", ip("QualifierName", val("Units"))))

	for _, tc := range []struct {
		name   string
		w      *httptest.ResponseRecorder
		code   int
		substr string
	}{
		{"GetQualifier of a deleted one", icall(srv, "GetQualifier", ip("QualifierName", val("Units"))), 6, "Units"},
		{"DeleteQualifier of an undeclared one", icall(srv, "DeleteQualifier", ip("QualifierName", val("Nonesuch"))), 6, "Nonesuch"},
		{"GetQualifier without a name", icall(srv, "GetQualifier"), 4, "QualifierName"},
		{"GetQualifier of a bad name", icall(srv, "GetQualifier", ip("QualifierName", val("a b"))), 4, "a b"},
		{"SetQualifier without a declaration", icall(srv, "SetQualifier"), 4, "QUALIFIER.DECLARATION"},
		{"SetQualifier of a QUALIFIER", set(`<QUALIFIER NAME="Key" TYPE="boolean"><VALUE>TRUE</VALUE></QUALIFIER>`), 4, "QUALIFIER.DECLARATION"},
		{"a reference type", set(qualDecl("R", "reference", "", "", "")), 4, "reference"},
		{"an unknown type", set(qualDecl("R", "uint99", "", "", "")), 4, "uint99"},
		{"no TYPE", set(`<QUALIFIER.DECLARATION NAME="T"/>`), 4, "TYPE"},
		{"a bad default", set(qualDecl("N", "uint8", "", "", val("300"))), 4, "300"},
		{"an array default of a scalar", set(qualDecl("N", "uint8", "", "", "<VALUE.ARRAY><VALUE>1</VALUE></VALUE.ARRAY>")), 4, "array"},
		{"ARRAYSIZE of a scalar", set(qualDecl("N", "uint8", ` ARRAYSIZE="2"`, "", "")), 4, "ARRAYSIZE"},
		{"a bad boolean attribute", set(qualDecl("N", "uint8", ` OVERRIDABLE="maybe"`, "", "")), 4, "maybe"},
		{"a bad scope attribute", set(qualDecl("N", "uint8", "", `CLASS="yes"`, "")), 4, "yes"},
		{"two scopes", set(`<QUALIFIER.DECLARATION NAME="N" TYPE="uint8"><SCOPE/><SCOPE/></QUALIFIER.DECLARATION>`), 4, "SCOPE"},
		{"two values", set(`<QUALIFIER.DECLARATION NAME="N" TYPE="uint8"><VALUE>1</VALUE><VALUE>2</VALUE></QUALIFIER.DECLARATION>`), 4, "two default values"},
		{"a stray element", set(`<QUALIFIER.DECLARATION NAME="N" TYPE="uint8"><CLASS NAME="X"/></QUALIFIER.DECLARATION>`), 4, "CLASS"},
		{"a bad name", set(qualDecl("1st", "uint8", "", "", "")), 4, "1st"},
		{"another namespace", post(srv, testUser, testPass, "EnumerateQualifiers", "root%2Fnone", strings.Replace(imethod("EnumerateQualifiers"), `<NAMESPACE NAME="cimv2"/>`, `<NAMESPACE NAME="none"/>`, 1)), 3, "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := wantError(t, tc.w, tc.code); !strings.Contains(d, tc.substr) {
				t.Errorf("the description %q does not name %q", d, tc.substr)
			}
		})
	}
}

// A user who may read the namespace but not write its schema reads
// qualifier declarations and is refused writing them (CIM_ERR_ACCESS_DENIED).
func TestQualifierDeclarationAccess(t *testing.T) {
	srv := newServer(t, &workload.Provider{N: 1}, cimxml.Options{IsLocal: func(*http.Request) bool { return true }})
	wantOK(t, icall(srv, "SetQualifier", ip("QualifierDeclaration", qualDecl("Note", "string", "", `CLASS="true"`, ""))))
	guest := func(method string, params ...string) *httptest.ResponseRecorder {
		return post(srv, "guest", "guest", method, "root%2Fcimv2", imethod(method, params...))
	}
	wantOK(t, guest("GetQualifier", ip("QualifierName", val("Note"))), `NAME="Note"`)
	wantOK(t, guest("EnumerateQualifiers"), `NAME="Note"`)
	wantError(t, guest("SetQualifier", ip("QualifierDeclaration", qualDecl("Mine", "string", "", "", ""))), 2)
	wantError(t, guest("DeleteQualifier", ip("QualifierName", val("Note"))), 2)
	wantOK(t, icall(srv, "GetQualifier", ip("QualifierName", val("Note"))))
	wantError(t, icall(srv, "GetQualifier", ip("QualifierName", val("Mine"))), 6)
}

// gowbem's client reaches the declarations through wbem.Services, against
// gowbem's server (create and update only as the flags extension) and
// against one without the extensions (checked with GetQualifier first).
func TestQualifierDeclarationClient(t *testing.T) {
	ctx := context.Background()
	env := newEnv(t, nil, nil)
	f := &foreign{h: env.srv, pull: true}
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	for _, tc := range []struct {
		name string
		svc  *wbem.Services
	}{
		{"gowbem", env.connect(t, "")},
		{"foreign", connectTo(t, hs.URL+"/cimom")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := tc.svc
			name := "Q_" + tc.name
			q := &cim.QualifierDecl{Name: name, Type: cim.TypeReal64.ArrayOf(), ArraySize: 2,
				Default: cim.Array(cim.TypeReal64, cim.Real64(1.5), cim.Real64(-2)), Scopes: cim.ScopeProperty | cim.ScopeMethod,
				Flavor: cim.FlavorNotOverridable | cim.FlavorTranslatable}
			if err := svc.PutQualifier(ctx, q, wbem.WBEM_FLAG_UPDATE_ONLY); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
				t.Errorf("update-only of a new declaration: %v, want WBEM_E_NOT_FOUND", err)
			}
			if err := svc.PutQualifier(ctx, q, wbem.WBEM_FLAG_CREATE_ONLY); err != nil {
				t.Fatal(err)
			}
			if err := svc.PutQualifier(ctx, q, wbem.WBEM_FLAG_CREATE_ONLY); cim.StatusOf(err) != cim.WBEM_E_ALREADY_EXISTS {
				t.Errorf("create-only of an old declaration: %v, want WBEM_E_ALREADY_EXISTS", err)
			}
			got, err := svc.GetQualifier(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != q.Name || got.Type != q.Type || got.ArraySize != 2 || got.Scopes != q.Scopes || got.Flavor != q.Flavor || !cim.Equal(got.Default, q.Default) {
				t.Errorf("GetQualifier = %+v, want %+v", got, q)
			}
			all, err := svc.EnumQualifiers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, d := range all {
				found = found || d.Name == name
			}
			if !found {
				t.Errorf("EnumQualifiers lacks %s: %v", name, all)
			}
			if err := svc.DeleteQualifier(ctx, name); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.GetQualifier(ctx, name); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
				t.Errorf("GetQualifier after DeleteQualifier: %v", err)
			}
			if err := svc.PutQualifier(ctx, &cim.QualifierDecl{Name: "Bad", Type: cim.TypeObject}, 0); cim.StatusOf(err) != cim.WBEM_E_INVALID_PARAMETER {
				t.Errorf("PutQualifier of an object type: %v", err)
			}
		})
	}
	if f.count("SetQualifier") == 0 || f.count("GetQualifier") < 3 {
		t.Errorf("the foreign server saw SetQualifier %d times, GetQualifier %d times", f.count("SetQualifier"), f.count("GetQualifier"))
	}
}

// noQualifiers is a backend without qualifier declarations (as the
// WS-Management client and WMI are): it answers their operations as they
// do.
type noQualifiers struct{ wbem.Backend }

func (b noQualifiers) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	switch op.Kind {
	case wbem.OpGetQualifier, wbem.OpPutQualifier, wbem.OpDeleteQualifier, wbem.OpEnumQualifiers:
		return cim.Errorf(cim.WBEM_E_NOT_SUPPORTED, "operation %s is not supported here", op.Kind)
	}
	return b.Backend.Do(ctx, op, w)
}

// A backend that keeps no qualifier declarations answers
// CIM_ERR_NOT_SUPPORTED, for each of the four methods.
func TestQualifierDeclarationsNotSupported(t *testing.T) {
	srv := cimxml.NewServer(noQualifiers{interop.NewObjectManager(&workload.Provider{N: 1})}, cimxml.Options{Authenticator: testAuthenticator()})
	t.Cleanup(func() { srv.Close() })
	for m, params := range map[string][]string{
		"EnumerateQualifiers": nil,
		"GetQualifier":        {ip("QualifierName", val("Key"))},
		"DeleteQualifier":     {ip("QualifierName", val("Key"))},
		"SetQualifier":        {ip("QualifierDeclaration", qualDecl("Key", "boolean", "", "", ""))},
	} {
		if d := wantError(t, icall(srv, m, params...), 7); !strings.Contains(d, "not supported") {
			t.Errorf("%s: %q", m, d)
		}
	}
}
