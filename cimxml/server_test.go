package cimxml_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/interop"
	"github.com/gowbem/gowbem/internal/workload"
)

const nsRootCimv2 = `<LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/></LOCALNAMESPACEPATH>`

// imethod is the body of an intrinsic call in root/cimv2.
func imethod(name string, params ...string) string {
	return `<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ><IMETHODCALL NAME="` +
		name + `">` + nsRootCimv2 + strings.Join(params, "") + `</IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`
}

func ip(name, content string) string {
	return `<IPARAMVALUE NAME="` + name + `">` + content + `</IPARAMVALUE>`
}

func val(s string) string       { return "<VALUE>" + s + "</VALUE>" }
func className(s string) string { return `<CLASSNAME NAME="` + s + `"/>` }

func instName(class, key, v string) string {
	return `<INSTANCENAME CLASSNAME="` + class + `"><KEYBINDING NAME="` + key + `"><KEYVALUE VALUETYPE="string">` + v + `</KEYVALUE></KEYBINDING></INSTANCENAME>`
}

// newServer returns a server over the interop object manager (users "user"
// and "other").
func newServer(t testing.TB, p *workload.Provider, opts cimxml.Options) *cimxml.Server {
	t.Helper()
	if opts.Authenticator == nil && !opts.AllowAnonymous {
		opts.Authenticator = testAuthenticator()
	}
	if opts.ServerName == "" {
		opts.ServerName = "testhost"
	}
	srv := cimxml.NewServer(interop.NewObjectManager(p), opts)
	t.Cleanup(func() { srv.Close() })
	return srv
}

// post sends a request to the handler directly (no network: it works
// inside synctest bubbles) with the headers a CIM-XML client sends.
func post(srv http.Handler, user, pass, method, object, body string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/cimom", strings.NewReader(body))
	r.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	r.Header.Set("CIMOperation", "MethodCall")
	r.Header.Set("CIMProtocolVersion", "1.0")
	r.Header.Set("CIMMethod", method)
	r.Header.Set("CIMObject", object)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			r.Header.Del(hdr[i])
		} else {
			r.Header.Set(hdr[i], hdr[i+1])
		}
	}
	if user != "" {
		r.SetBasicAuth(user, pass)
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	return w
}

// icall calls an intrinsic method as testUser.
func icall(srv http.Handler, method string, params ...string) *httptest.ResponseRecorder {
	return post(srv, testUser, testPass, method, "root%2Fcimv2", imethod(method, params...))
}

var errorRE = regexp.MustCompile(`<ERROR CODE="(\d+)" DESCRIPTION="([^"]*)"`)

// wantError checks a 200 response holding ERROR with code.
func wantError(t *testing.T, w *httptest.ResponseRecorder, code int) string {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("HTTP %d, want 200 with an ERROR: %s", w.Code, w.Body.String())
	}
	m := errorRE.FindStringSubmatch(w.Body.String())
	if m == nil || m[1] != fmt.Sprint(code) {
		t.Fatalf("want ERROR CODE=%d, got:\n%s", code, w.Body.String())
	}
	if m[2] == "" {
		t.Fatalf("ERROR %d without a description", code)
	}
	return m[2]
}

func wantOK(t *testing.T, w *httptest.ResponseRecorder, subs ...string) string {
	t.Helper()
	body := w.Body.String()
	if w.Code != http.StatusOK || strings.Contains(body, "<ERROR") {
		t.Fatalf("HTTP %d: %s", w.Code, body)
	}
	if !strings.Contains(body, `<MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLERSP>`) || w.Header().Get("CIMOperation") != "MethodResponse" {
		t.Fatalf("not a method response: %v\n%s", w.Header(), body)
	}
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Fatalf("response lacks %q:\n%s", s, body)
		}
	}
	return body
}

// HTTP-level checks of DSP0200 §7: 400 or 501 with the CIMError header.
func TestHeaderChecks(t *testing.T) {
	srv := newServer(t, nil, cimxml.Options{})
	body := imethod("GetClass", ip("ClassName", className("Test_Foo")))
	for _, tc := range []struct {
		name     string
		method   string
		hdr      []string
		body     string
		status   int
		cimError string
	}{
		{"no CIMOperation", "GetClass", []string{"CIMOperation", ""}, body, 400, "unsupported-operation"},
		{"wrong CIMOperation", "GetClass", []string{"CIMOperation", "MethodResponse"}, body, 400, "unsupported-operation"},
		{"export request", "GetClass", []string{"CIMExport", "MethodRequest", "CIMOperation", ""}, body, 400, "unsupported-operation"},
		{"protocol version", "GetClass", []string{"CIMProtocolVersion", "2.0"}, body, 501, "unsupported-protocol-version"},
		{"CIMMethod mismatch", "EnumerateClasses", nil, body, 400, "header-mismatch"},
		{"no CIMMethod", "", nil, body, 400, "header-mismatch"},
		{"CIMObject mismatch", "GetClass", []string{"CIMObject", "root%2Fother"}, body, 400, "header-mismatch"},
		{"not XML", "GetClass", nil, "<CIM><MESSAGE>", 400, "request-not-well-formed"},
		{"not CIM", "GetClass", nil, "<SOAP/>", 400, "request-not-valid"},
		{"CIM version", "GetClass", nil, strings.Replace(body, `CIMVERSION="2.0"`, `CIMVERSION="3.0"`, 1), 501, "unsupported-cim-version"},
		{"DTD version", "GetClass", nil, strings.Replace(body, `DTDVERSION="2.0"`, `DTDVERSION="1.1"`, 1), 501, "unsupported-dtd-version"},
		{"multiple requests", "GetClass", nil, strings.Replace(strings.Replace(body, "<SIMPLEREQ>", "<MULTIREQ><SIMPLEREQ>", 1), "</SIMPLEREQ>", "</SIMPLEREQ></MULTIREQ>", 1), 501, "multiple-requests-unsupported"},
		{"export message", "GetClass", nil, strings.Replace(strings.Replace(body, "<SIMPLEREQ>", "<SIMPLEEXPREQ>", 1), "</SIMPLEREQ>", "</SIMPLEEXPREQ>", 1), 400, "request-not-valid"},
		{"no namespace", "GetClass", nil, strings.Replace(body, nsRootCimv2, "", 1), 400, "request-not-valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := post(srv, testUser, testPass, tc.method, "root%2Fcimv2", tc.body, tc.hdr...)
			if w.Code != tc.status || w.Header().Get("CIMError") != tc.cimError {
				t.Fatalf("HTTP %d CIMError %q, want %d %q: %s", w.Code, w.Header().Get("CIMError"), tc.status, tc.cimError, w.Body.String())
			}
			if strings.TrimSpace(w.Body.String()) == "" {
				t.Fatal("no description in the body")
			}
		})
	}
	// An extrinsic call's CIMObject names the object path.
	call := strings.Replace(strings.Replace(imethod("x"), "IMETHODCALL", "METHODCALL", -1), `NAME="x">`+nsRootCimv2,
		`NAME="StaticM"><LOCALCLASSPATH>`+nsRootCimv2+className("Test_Foo")+`</LOCALCLASSPATH>`, 1)
	wantOK(t, post(srv, testUser, testPass, "StaticM", "root%2Fcimv2%3ATest_Foo", call), `<RETURNVALUE PARAMTYPE="uint32"><VALUE>0</VALUE>`)
	if w := post(srv, testUser, testPass, "StaticM", "root%2Fcimv2%3ATest_Dep", call); w.Code != 400 || w.Header().Get("CIMError") != "header-mismatch" {
		t.Fatalf("extrinsic call with another class in CIMObject: HTTP %d %q", w.Code, w.Header().Get("CIMError"))
	}
}

// Authentication: Basic with the users of WS-Management; anything else
// gets 401 and a challenge, before the body is read.
func TestAuthentication(t *testing.T) {
	srv := newServer(t, nil, cimxml.Options{})
	body := imethod("EnumerateClassNames")
	for _, tc := range []struct{ user, pass string }{{"", ""}, {testUser, "wrong"}, {"nobody", "x"}} {
		w := post(srv, tc.user, tc.pass, "EnumerateClassNames", "root%2Fcimv2", body)
		if w.Code != 401 || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), `Basic realm="gowbem"`) {
			t.Fatalf("user %q: HTTP %d %v", tc.user, w.Code, w.Header())
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/cimom", strings.NewReader(body))
	r.Header.Set("Authorization", "Negotiate abc")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	if w.Code != 401 {
		t.Fatalf("another scheme: HTTP %d", w.Code)
	}
	wantOK(t, post(srv, "other", "secret", "EnumerateClassNames", "root%2Fcimv2", body), `<CLASSNAME NAME="Test_Foo"/>`)
	// Only POST and M-POST.
	w = httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/cimom", nil))
	if w.Code != 405 || w.Header().Get("Allow") != "POST, M-POST" {
		t.Fatalf("GET: HTTP %d %v", w.Code, w.Header())
	}
}

// M-POST carries the CIM headers under the prefix its Man header names,
// and the response answers with the same prefix.
func TestMPost(t *testing.T) {
	srv := newServer(t, nil, cimxml.Options{})
	r := httptest.NewRequest("M-POST", "/cimom", strings.NewReader(imethod("EnumerateClassNames")))
	r.SetBasicAuth(testUser, testPass)
	r.Header.Set("Man", "http://www.dmtf.org/cim/mapping/http/v1.0 ; ns=73")
	r.Header.Set("73-CIMOperation", "MethodCall")
	r.Header.Set("73-CIMMethod", "EnumerateClassNames")
	r.Header.Set("73-CIMObject", "root/cimv2")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	if w.Code != 200 || w.Header().Get("73-CIMOperation") != "MethodResponse" || !strings.Contains(w.Body.String(), "Test_Foo") {
		t.Fatalf("M-POST: HTTP %d %v %s", w.Code, w.Header(), w.Body.String())
	}
	r = httptest.NewRequest("M-POST", "/cimom", strings.NewReader(imethod("EnumerateClassNames")))
	r.SetBasicAuth(testUser, testPass)
	w = httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	if w.Code != 400 {
		t.Fatalf("M-POST without Man: HTTP %d", w.Code)
	}
}

// A request larger than MaxRequestBytes gets 413 and is not read further.
func TestRequestLimit(t *testing.T) {
	srv := newServer(t, nil, cimxml.Options{MaxRequestBytes: 4096})
	small := imethod("EnumerateClassNames", "<!--"+strings.Repeat("x", 4096-len(imethod("EnumerateClassNames"))-7)+"-->")
	if len(small) != 4096 {
		t.Fatalf("the request at the limit is %d bytes", len(small))
	}
	wantOK(t, post(srv, testUser, testPass, "EnumerateClassNames", "root%2Fcimv2", small))
	big := imethod("EnumerateClassNames", "<!--"+strings.Repeat("x", 4096)+"-->")
	w := post(srv, testUser, testPass, "EnumerateClassNames", "root%2Fcimv2", big)
	if w.Code != http.StatusRequestEntityTooLarge || w.Header().Get("CIMError") != "request-not-valid" {
		t.Fatalf("oversize request: HTTP %d %v", w.Code, w.Header())
	}
	deep := imethod("EnumerateClassNames", ip("ClassName", strings.Repeat("<a>", 70)+strings.Repeat("</a>", 70)))
	w = post(newServer(t, nil, cimxml.Options{}), testUser, testPass, "EnumerateClassNames", "root%2Fcimv2", deep)
	if w.Code != 400 || w.Header().Get("CIMError") != "request-not-well-formed" || !strings.Contains(w.Body.String(), "deeper") {
		t.Fatalf("deep nesting: HTTP %d %v %s", w.Code, w.Header(), w.Body.String())
	}
}

// Bad input inside a well-formed request is a CIM error naming the
// culprit, inside a 200 response.
func TestBadRequests(t *testing.T) {
	srv := newServer(t, nil, cimxml.Options{})
	for _, tc := range []struct {
		name   string
		method string
		params []string
		code   int
		says   string
	}{
		{"unknown method", "Frobnicate", nil, 7, "Frobnicate"},
		{"unknown parameter", "GetClass", []string{ip("ClassName", className("Test_Foo")), ip("Bogus", val("1"))}, 4, "Bogus"},
		{"parameter twice", "GetClass", []string{ip("ClassName", className("Test_Foo")), ip("ClassName", className("Test_Foo"))}, 4, "twice"},
		{"missing parameter", "GetClass", nil, 4, "ClassName"},
		{"wrong element", "GetClass", []string{ip("ClassName", val("Test_Foo"))}, 4, "CLASSNAME"},
		{"bad boolean", "GetClass", []string{ip("ClassName", className("Test_Foo")), ip("LocalOnly", val("maybe"))}, 4, "maybe"},
		{"bad class name", "GetClass", []string{ip("ClassName", className("Test Foo"))}, 4, "class name"},
		{"unknown class", "GetClass", []string{ip("ClassName", className("NoSuch"))}, 6, "NoSuch"},
		{"unknown class to enumerate", "EnumerateInstances", []string{ip("ClassName", className("NoSuch"))}, 5, "NoSuch"},
		{"unknown instance", "GetInstance", []string{ip("InstanceName", instName("Test_Foo", "Id", "zz"))}, 6, "zz"},
		{"unknown key", "GetInstance", []string{ip("InstanceName", instName("Test_Foo", "Nope", "a"))}, 4, "Nope"},
		{"wrong type", "CreateInstance", []string{ip("NewInstance", `<INSTANCE CLASSNAME="Test_Foo"><PROPERTY NAME="Id" TYPE="string"><VALUE>n</VALUE></PROPERTY><PROPERTY NAME="Count" TYPE="uint32"><VALUE>many</VALUE></PROPERTY></INSTANCE>`)}, 13, "many"},
		{"unknown property", "CreateInstance", []string{ip("NewInstance", `<INSTANCE CLASSNAME="Test_Foo"><PROPERTY NAME="Id" TYPE="string"><VALUE>n</VALUE></PROPERTY><PROPERTY NAME="Bogus" TYPE="uint32"><VALUE>1</VALUE></PROPERTY></INSTANCE>`)}, 12, "Bogus"},
		{"array for scalar", "CreateInstance", []string{ip("NewInstance", `<INSTANCE CLASSNAME="Test_Foo"><PROPERTY NAME="Id" TYPE="string"><VALUE.ARRAY><VALUE>n</VALUE></VALUE.ARRAY></PROPERTY></INSTANCE>`)}, 13, "array"},
		{"already exists", "CreateInstance", []string{ip("NewInstance", `<INSTANCE CLASSNAME="Test_Foo"><PROPERTY NAME="Id" TYPE="string"><VALUE>a</VALUE></PROPERTY></INSTANCE>`)}, 11, "a"},
		{"bad query", "ExecQuery", []string{ip("QueryLanguage", val("WQL")), ip("Query", val("SELEKT * FROM Test_Foo"))}, 15, "SELEKT"},
		{"query language", "ExecQuery", []string{ip("QueryLanguage", val("DMTF:CQL")), ip("Query", val("SELECT * FROM Test_Foo"))}, 14, "CQL"},
		{"undeclared qualifier", "GetQualifier", []string{ip("QualifierName", val("Nope"))}, 6, "Nope"},
		{"no such property", "GetProperty", []string{ip("InstanceName", instName("Test_Foo", "Id", "a")), ip("PropertyName", val("Nope"))}, 12, "Nope"},
		{"key change", "ModifyInstance", []string{ip("ModifiedInstance", `<VALUE.NAMEDINSTANCE>`+instName("Test_Foo", "Id", "a")+`<INSTANCE CLASSNAME="Test_Foo"><PROPERTY NAME="Id" TYPE="string"><VALUE>other</VALUE></PROPERTY></INSTANCE></VALUE.NAMEDINSTANCE>`)}, 4, "key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			desc := wantError(t, icall(srv, tc.method, tc.params...), tc.code)
			if !strings.Contains(desc, tc.says) {
				t.Fatalf("description %q does not name %q", desc, tc.says)
			}
		})
	}
}

// With the cim-error extension the ERROR holds a CIM_Error carrying the
// WBEM status, which wbemcli's parser would refuse: only asked for.
func TestErrorInstance(t *testing.T) {
	srv := newServer(t, nil, cimxml.Options{})
	body := imethod("CreateInstance", ip("NewInstance", `<INSTANCE CLASSNAME="GW_Base"><PROPERTY NAME="Name" TYPE="string"><VALUE>n</VALUE></PROPERTY><PROPERTY NAME="Label" TYPE="string"></PROPERTY></INSTANCE>`))
	w := post(srv, testUser, testPass, "CreateInstance", "root/cimv2", body)
	wantError(t, w, 4)
	if strings.Contains(w.Body.String(), "<INSTANCE") || !strings.Contains(w.Body.String(), `"/></IMETHODRESPONSE>`) {
		t.Fatalf("without the extension the ERROR must be empty:\n%s", w.Body.String())
	}
	w = post(srv, testUser, testPass, "CreateInstance", "root/cimv2", body, cimxml.ExtensionHeader, "cim-error")
	wantError(t, w, 4)
	for _, s := range []string{`<INSTANCE CLASSNAME="CIM_Error">`, `<VALUE>gowbem</VALUE>`, `<VALUE>0x80041028</VALUE>`, `<VALUE>PutInstance</VALUE>`, `<VALUE>CIM_ERR_INVALID_PARAMETER</VALUE>`} {
		if !strings.Contains(w.Body.String(), s) {
			t.Fatalf("CIM_Error lacks %s:\n%s", s, w.Body.String())
		}
	}
	if got := w.Header().Get(cimxml.ExtensionHeader); got != "cim-error, flags, listener-pin" {
		t.Fatalf("the server tells extensions %q", got)
	}
}

// The intrinsic methods wbemcli does not send, and the shapes of what
// they return.
func TestIntrinsicShapes(t *testing.T) {
	srv := newServer(t, nil, cimxml.Options{})
	a := instName("Test_Foo", "Id", "a")
	wantOK(t, icall(srv, "ExecQuery", ip("QueryLanguage", val("WQL")), ip("Query", val("SELECT Id, Count FROM Test_Foo WHERE Count = 11"))),
		`<VALUE.OBJECTWITHPATH><INSTANCEPATH><NAMESPACEPATH><HOST>testhost</HOST>`, `<KEYVALUE VALUETYPE="string">a</KEYVALUE>`,
		`<PROPERTY NAME="Count" TYPE="uint32"><VALUE>11</VALUE></PROPERTY>`)
	body := wantOK(t, icall(srv, "ExecQuery", ip("QueryLanguage", val("WQL")), ip("Query", val("SELECT * FROM meta_class WHERE __CLASS = 'Test_Dep'"))),
		`<VALUE.OBJECTWITHPATH><CLASSPATH>`, `<CLASS NAME="Test_Dep">`)
	if strings.Count(body, "<CLASS ") != 1 {
		t.Fatalf("schema query: %s", body)
	}
	wantOK(t, icall(srv, "GetProperty", ip("InstanceName", a), ip("PropertyName", val("List"))), `<IRETURNVALUE><VALUE.ARRAY><VALUE>1</VALUE><VALUE>2</VALUE></VALUE.ARRAY></IRETURNVALUE>`)
	wantOK(t, icall(srv, "GetProperty", ip("InstanceName", instName("Test_Foo", "Id", "b")), ip("PropertyName", val("Note"))), `<IRETURNVALUE></IRETURNVALUE>`)
	wantOK(t, icall(srv, "SetProperty", ip("InstanceName", a), ip("PropertyName", val("List")), ip("NewValue", `<VALUE.ARRAY><VALUE>7</VALUE></VALUE.ARRAY>`)))
	wantOK(t, icall(srv, "GetProperty", ip("InstanceName", a), ip("PropertyName", val("List"))), `<VALUE.ARRAY><VALUE>7</VALUE></VALUE.ARRAY>`)
	// ModifyInstance with a PropertyList changes only those properties.
	wantOK(t, icall(srv, "ModifyInstance", ip("ModifiedInstance", `<VALUE.NAMEDINSTANCE>`+a+`<INSTANCE CLASSNAME="Test_Foo"><PROPERTY NAME="Id" TYPE="string"><VALUE>a</VALUE></PROPERTY><PROPERTY NAME="Count" TYPE="uint32"><VALUE>99</VALUE></PROPERTY><PROPERTY NAME="Note" TYPE="string"><VALUE>changed</VALUE></PROPERTY></INSTANCE></VALUE.NAMEDINSTANCE>`),
		ip("PropertyList", `<VALUE.ARRAY><VALUE>Count</VALUE></VALUE.ARRAY>`)))
	wantOK(t, icall(srv, "GetInstance", ip("InstanceName", a)), `<PROPERTY NAME="Count" TYPE="uint32"><VALUE>99</VALUE>`, `<VALUE>x &lt; y &amp; z</VALUE>`)
	// GetClass: LocalOnly (the default) keeps the inherited properties out.
	body = wantOK(t, icall(srv, "GetClass", ip("ClassName", className("GW_Child"))), `<CLASS NAME="GW_Child" SUPERCLASS="GW_Base">`, `<PROPERTY NAME="Extra"`)
	if strings.Contains(body, `NAME="Size"`) {
		t.Fatalf("LocalOnly GetClass has an inherited property: %s", body)
	}
	wantOK(t, icall(srv, "GetClass", ip("ClassName", className("GW_Child")), ip("LocalOnly", val("FALSE")), ip("IncludeClassOrigin", val("TRUE"))),
		`<PROPERTY NAME="Size" TYPE="uint32" CLASSORIGIN="GW_Base" PROPAGATED="true">`, `<QUALIFIER NAME="Key" TYPE="boolean" PROPAGATED="true" OVERRIDABLE="false"><VALUE>TRUE</VALUE></QUALIFIER>`)
	// EnumerateInstances with DeepInheritance FALSE: subclasses' instances
	// with the class's properties only.
	wantOK(t, icall(srv, "CreateInstance", ip("NewInstance", `<INSTANCE CLASSNAME="GW_Child"><PROPERTY NAME="Name" TYPE="string"><VALUE>c</VALUE></PROPERTY><PROPERTY NAME="Extra" TYPE="string"><VALUE>e</VALUE></PROPERTY></INSTANCE>`)),
		`<IRETURNVALUE><INSTANCENAME CLASSNAME="GW_Child"><KEYBINDING NAME="Name"><KEYVALUE VALUETYPE="string">c</KEYVALUE>`)
	body = wantOK(t, icall(srv, "EnumerateInstances", ip("ClassName", className("GW_Base")), ip("DeepInheritance", val("FALSE"))), `<INSTANCE CLASSNAME="GW_Child">`)
	if strings.Contains(body, "Extra") {
		t.Fatalf("DeepInheritance FALSE returned a subclass property: %s", body)
	}
	wantOK(t, icall(srv, "EnumerateInstances", ip("ClassName", className("GW_Base"))), `<PROPERTY NAME="Extra" TYPE="string"><VALUE>e</VALUE>`)
	// Class operations.
	wantOK(t, icall(srv, "CreateClass", ip("NewClass", `<CLASS NAME="GW_New" SUPERCLASS="GW_Base"><PROPERTY NAME="More" TYPE="sint64"><QUALIFIER NAME="Description" TYPE="string" TRANSLATABLE="true"><VALUE>more</VALUE></QUALIFIER><VALUE>-5</VALUE></PROPERTY></CLASS>`)))
	wantOK(t, icall(srv, "GetClass", ip("ClassName", className("GW_New"))), `<PROPERTY NAME="More" TYPE="sint64"><QUALIFIER NAME="Description" TYPE="string" TRANSLATABLE="true"><VALUE>more</VALUE></QUALIFIER><VALUE>-5</VALUE></PROPERTY>`)
	wantError(t, icall(srv, "CreateClass", ip("NewClass", `<CLASS NAME="GW_New"/>`)), 11)
	wantError(t, icall(srv, "ModifyClass", ip("ModifiedClass", `<CLASS NAME="GW_Nope"/>`)), 6)
	wantError(t, icall(srv, "CreateClass", ip("NewClass", `<CLASS NAME="GW_Orphan" SUPERCLASS="NoSuch"/>`)), 10)
	wantOK(t, icall(srv, "ModifyClass", ip("ModifiedClass", `<CLASS NAME="GW_New" SUPERCLASS="GW_Base"><PROPERTY NAME="More" TYPE="sint64"/><PROPERTY NAME="Most" TYPE="string"/></CLASS>`)))
	wantOK(t, icall(srv, "DeleteClass", ip("ClassName", className("GW_New"))))
	wantError(t, icall(srv, "DeleteClass", ip("ClassName", className("GW_New"))), 6)
	// Class-level associations.
	wantOK(t, icall(srv, "References", ip("ObjectName", className("Test_Foo"))), `<CLASSPATH>`, `<CLASS NAME="Test_Dep">`)
	wantOK(t, icall(srv, "AssociatorNames", ip("ObjectName", a), ip("AssocClass", className("Test_Dep"))), `<OBJECTPATH><INSTANCEPATH>`, `>b</KEYVALUE>`)
	wantError(t, icall(srv, "Associators", ip("ObjectName", a), ip("ResultClass", val("Not a class"))), 4)
}

// Methods on instances and classes: parameters typed by the declaration
// (wbemcli sends no PARAMTYPE), unknown ones refused.
func TestExtrinsic(t *testing.T) {
	srv := newServer(t, nil, cimxml.Options{})
	call := func(method, path, object, params string) *httptest.ResponseRecorder {
		body := `<?xml version="1.0"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ><METHODCALL NAME="` +
			method + `">` + path + params + `</METHODCALL></SIMPLEREQ></MESSAGE></CIM>`
		return post(srv, testUser, testPass, method, object, body)
	}
	inst := `<LOCALINSTANCEPATH>` + nsRootCimv2 + instName("Test_Foo", "Id", "a") + `</LOCALINSTANCEPATH>`
	wantOK(t, call("DoIt", inst, `root%2Fcimv2%3ATest_Foo.Id="a"`, `<PARAMVALUE NAME="X"><VALUE>1</VALUE></PARAMVALUE><PARAMVALUE NAME="Y"><VALUE>s</VALUE></PARAMVALUE>`),
		`<METHODRESPONSE NAME="DoIt"><RETURNVALUE PARAMTYPE="uint32"><VALUE>0</VALUE></RETURNVALUE><PARAMVALUE NAME="Out" PARAMTYPE="string"><VALUE>did X=1 Y=s on Test_Foo.Id="a"</VALUE></PARAMVALUE></METHODRESPONSE>`)
	wantError(t, call("DoIt", inst, `root%2Fcimv2%3ATest_Foo.Id="a"`, `<PARAMVALUE NAME="Z"><VALUE>1</VALUE></PARAMVALUE>`), 4)
	wantError(t, call("DoIt", inst, `root%2Fcimv2%3ATest_Foo.Id="a"`, `<PARAMVALUE NAME="X"><VALUE>-1</VALUE></PARAMVALUE>`), 4)
	wantError(t, call("DoIt", inst, `root%2Fcimv2%3ATest_Foo.Id="a"`, `<PARAMVALUE NAME="Y" EmbeddedObject="object"><VALUE>&lt;CLASS NAME="X"/&gt;</VALUE></PARAMVALUE>`), 4)
	wantError(t, call("Nope", inst, `root%2Fcimv2%3ATest_Foo.Id="a"`, ""), 17)
	wantError(t, call("DoIt", `<LOCALINSTANCEPATH>`+nsRootCimv2+instName("Test_Foo", "Id", "zz")+`</LOCALINSTANCEPATH>`, `root%2Fcimv2%3ATest_Foo.Id="zz"`, ""), 6)
}

// A failure after the response has begun to stream: the CIMStatusCode
// trailer for a client that accepts trailers; otherwise the connection is
// cut, so the client cannot mistake the response for complete.
func TestStreamFailure(t *testing.T) {
	p := &workload.Provider{N: 5000, FailAfter: 4000, Fail: fmt.Errorf("disk on fire")}
	e := newEnv(t, p, nil)
	body := imethod("EnumerateInstances", ip("ClassName", className(workload.ClassName)))
	send := func(te bool) (*http.Response, string, error) {
		req, _ := http.NewRequest(http.MethodPost, e.url, strings.NewReader(body))
		req.SetBasicAuth(testUser, testPass)
		req.Header.Set("CIMOperation", "MethodCall")
		req.Header.Set("CIMMethod", "EnumerateInstances")
		req.Header.Set("CIMObject", "root/cimv2")
		if te {
			req.Header.Set("TE", "trailers")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var sb strings.Builder
		_, err = io.Copy(&sb, resp.Body)
		return resp, sb.String(), err
	}
	resp, got, err := send(true)
	if err != nil || resp.ContentLength != -1 || strings.Count(got, "<VALUE.NAMEDINSTANCE>") < 100 || strings.HasSuffix(got, "</CIM>\n") {
		t.Fatalf("streamed response: %v, length %d, %d instances, ends %q", err, resp.ContentLength, strings.Count(got, "<VALUE.NAMEDINSTANCE>"), got[len(got)-20:])
	}
	if resp.Trailer.Get("CIMStatusCode") != "1" || !strings.Contains(resp.Trailer.Get("CIMStatusCodeDescription"), "disk%20on%20fire") {
		t.Fatalf("trailer %v", resp.Trailer)
	}
	if _, _, err := send(false); err == nil {
		t.Fatal("without TE: trailers the broken response read as complete")
	}
	// A failure before the first object is a plain ERROR response.
	p.FailAfter = 0
	resp, got, err = send(true)
	if err != nil || resp.ContentLength <= 0 || !strings.Contains(got, `<ERROR CODE="1"`) {
		t.Fatalf("early failure: %v %d %s", err, resp.ContentLength, got)
	}
}

// Server.Close ends the open pull enumerations and refuses new ones.
func TestServerClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &workload.Provider{N: 1 << 30, Done: make(chan error, 1)}
		srv := newServer(t, p, cimxml.Options{})
		openEnum(t, srv, 10)
		srv.Close()
		if err := <-p.Done; err == nil {
			t.Fatal("the provider ran on after Close")
		}
		wantError(t, icall(srv, "OpenEnumerateInstances", ip("ClassName", className(workload.ClassName)), ip("MaxObjectCount", val("1"))), 28)
		wantOK(t, icall(srv, "EnumerateClassNames"))
		_ = time.Second
	})
}

// Indication subscriptions (DSP1054) are not built: creating a filter, a
// listener destination or a subscription — by its DMTF name, or as a
// vendor's subclass the repository knows — is CIM_ERR_NOT_SUPPORTED with a
// description, never an instance stored that delivers nothing; an export
// request (meant for a listener) gets 400 unsupported-operation.
func TestIndicationSubscriptionsRefused(t *testing.T) {
	srv := newServer(t, nil, cimxml.Options{})
	wantOK(t, icall(srv, "CreateClass", ip("NewClass", `<CLASS NAME="CIM_ListenerDestination"><PROPERTY NAME="Name" TYPE="string"><QUALIFIER NAME="Key" TYPE="boolean"><VALUE>true</VALUE></QUALIFIER></PROPERTY><PROPERTY NAME="Destination" TYPE="string"/></CLASS>`)))
	wantOK(t, icall(srv, "CreateClass", ip("NewClass", `<CLASS NAME="Vendor_Dest" SUPERCLASS="CIM_ListenerDestination"/>`)))
	inst := func(class string) string {
		return ip("NewInstance", `<INSTANCE CLASSNAME="`+class+`"><PROPERTY NAME="Name" TYPE="string"><VALUE>d</VALUE></PROPERTY><PROPERTY NAME="Destination" TYPE="string"><VALUE>http://127.0.0.1:1/</VALUE></PROPERTY></INSTANCE>`)
	}
	for _, class := range []string{"CIM_IndicationFilter", "CIM_ListenerDestinationCIMXML", "CIM_IndicationSubscription", "cim_indicationhandlercimxml", "CIM_ListenerDestination", "Vendor_Dest"} {
		desc := wantError(t, icall(srv, "CreateInstance", inst(class)), 7)
		if !strings.Contains(desc, class) || !strings.Contains(desc, "indication subscriptions over CIM-XML") {
			t.Fatalf("%s: description %q", class, desc)
		}
	}
	// Nothing was stored.
	if body := wantOK(t, icall(srv, "EnumerateInstanceNames", ip("ClassName", className("CIM_ListenerDestination")))); strings.Contains(body, "INSTANCENAME") {
		t.Fatalf("an instance was stored:\n%s", body)
	}
	w := post(srv, testUser, testPass, "ExportIndication", "root%2Fcimv2", imethod("GetClass"), "CIMExport", "MethodRequest", "CIMOperation", "")
	if w.Code != 400 || w.Header().Get("CIMError") != "unsupported-operation" || !strings.Contains(w.Body.String(), "not an indication listener") {
		t.Fatalf("export request: HTTP %d %q %s", w.Code, w.Header().Get("CIMError"), w.Body.String())
	}
}

// A chunked request (no Content-Length) over a real socket is read as a
// whole, within the same limit as a sized one.
func TestChunkedRequest(t *testing.T) {
	srv := newServer(t, nil, cimxml.Options{MaxRequestBytes: 4096})
	var chunked []bool
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunked = append(chunked, r.ContentLength == -1 && len(r.TransferEncoding) == 1 && r.TransferEncoding[0] == "chunked")
		srv.ServeHTTP(w, r)
	}))
	defer hs.Close()
	send := func(body string) *http.Response {
		t.Helper()
		r, err := http.NewRequest(http.MethodPost, hs.URL+"/cimom", io.MultiReader(strings.NewReader(body[:len(body)/2]), strings.NewReader(body[len(body)/2:])))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("CIMOperation", "MethodCall")
		r.Header.Set("CIMMethod", "EnumerateClassNames")
		r.Header.Set("CIMObject", "root%2Fcimv2")
		r.SetBasicAuth(testUser, testPass)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		if !chunked[len(chunked)-1] {
			t.Fatal("the request was not chunked")
		}
		return resp
	}
	resp := send(imethod("EnumerateClassNames"))
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `<CLASSNAME NAME="Test_Foo"/>`) || strings.Contains(string(body), "<ERROR") {
		t.Fatalf("HTTP %d:\n%s", resp.StatusCode, body)
	}
	resp = send(imethod("EnumerateClassNames", "<!--"+strings.Repeat("x", 4096)+"-->"))
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("CIMError") != "request-not-valid" {
		t.Fatalf("oversize chunked request: HTTP %d %v", resp.StatusCode, resp.Header)
	}
}
