package cimxml_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/workload"
)

// fuzzSeeds are requests as wbemcli and gowbem's client send them.
var fuzzSeeds = [][2]string{
	{"EnumerateInstances", imethod("EnumerateInstances", ip("ClassName", className("Test_Foo")), ip("DeepInheritance", val("TRUE")), ip("LocalOnly", val("FALSE")), ip("PropertyList", "<VALUE.ARRAY><VALUE>Id</VALUE></VALUE.ARRAY>"))},
	{"GetInstance", imethod("GetInstance", ip("InstanceName", instName("Test_Foo", "Id", "a")), ip("IncludeClassOrigin", val("TRUE")))},
	{"CreateInstance", imethod("CreateInstance", ip("NewInstance", `<INSTANCE CLASSNAME="Test_Foo"><PROPERTY NAME="Id" TYPE="string"><VALUE>c</VALUE></PROPERTY><PROPERTY.ARRAY NAME="List" TYPE="uint16"><VALUE.ARRAY><VALUE>1</VALUE><VALUE.NULL/></VALUE.ARRAY></PROPERTY.ARRAY></INSTANCE>`))},
	{"ModifyInstance", imethod("ModifyInstance", ip("ModifiedInstance", `<VALUE.NAMEDINSTANCE>`+instName("Test_Foo", "Id", "a")+`<INSTANCE CLASSNAME="Test_Foo"><PROPERTY NAME="Count" TYPE="uint32"><VALUE>3</VALUE></PROPERTY></INSTANCE></VALUE.NAMEDINSTANCE>`))},
	{"Associators", imethod("Associators", ip("ObjectName", instName("Test_Foo", "Id", "a")), ip("AssocClass", className("Test_Dep")), ip("Role", val("Antecedent")))},
	{"ExecQuery", imethod("ExecQuery", ip("QueryLanguage", val("WQL")), ip("Query", val("SELECT * FROM GW_Item WHERE Id &gt; 1")))},
	{"CreateClass", imethod("CreateClass", ip("NewClass", `<CLASS NAME="X_Y" SUPERCLASS="GW_Base"><QUALIFIER NAME="Description" TYPE="string" TRANSLATABLE="true"><VALUE>d</VALUE></QUALIFIER><PROPERTY.REFERENCE NAME="R" REFERENCECLASS="GW_Base"/><METHOD NAME="M" TYPE="uint32"><PARAMETER.ARRAY NAME="P" TYPE="string"/></METHOD></CLASS>`))},
	{"OpenEnumerateInstances", imethod("OpenEnumerateInstances", ip("ClassName", className("GW_Item")), ip("MaxObjectCount", val("2")), ip("OperationTimeout", val("30")))},
	{"SetProperty", imethod("SetProperty", ip("InstanceName", instName("Test_Foo", "Id", "a")), ip("PropertyName", val("When")), ip("NewValue", val("20240102030405.000000+000")))},
	{"SetQualifier", imethod("SetQualifier", ip("QualifierDeclaration", `<QUALIFIER.DECLARATION NAME="ValueMap" TYPE="string" ISARRAY="true" ARRAYSIZE="2" OVERRIDABLE="false" TRANSLATABLE="true"><SCOPE PROPERTY="true" METHOD="true"/><VALUE.ARRAY><VALUE>0</VALUE><VALUE>1</VALUE></VALUE.ARRAY></QUALIFIER.DECLARATION>`))},
	{"GetQualifier", imethod("GetQualifier", ip("QualifierName", val("Key")))},
	{"DoIt", `<?xml version="1.0"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ><METHODCALL NAME="DoIt"><LOCALINSTANCEPATH>` + nsRootCimv2 + instName("Test_Foo", "Id", "a") + `</LOCALINSTANCEPATH><PARAMVALUE NAME="X"><VALUE>1</VALUE></PARAMVALUE><PARAMVALUE NAME="Y" EmbeddedObject="instance"><VALUE>&lt;INSTANCE CLASSNAME="Test_Foo"/&gt;</VALUE></PARAMVALUE></METHODCALL></SIMPLEREQ></MESSAGE></CIM>`},
}

// Whatever the body, the server answers — 200 with a well-formed
// response, or an HTTP error with CIMError — and never panics or hangs.
func FuzzServer(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s[0], s[1])
	}
	srv := newServer(f, &workload.Provider{N: 3}, cimxml.Options{PullWait: 1})
	f.Fuzz(func(t *testing.T, method, body string) {
		object := "root%2Fcimv2"
		if strings.Contains(body, "<METHODCALL") {
			object += "%3ATest_Foo"
		}
		w := post(srv, testUser, testPass, method, object, body)
		switch w.Code {
		case http.StatusOK:
			d := xml.NewDecoder(strings.NewReader(w.Body.String()))
			for {
				_, err := d.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("the response is not well-formed XML: %v\n%s", err, w.Body.String())
				}
			}
		case http.StatusBadRequest, http.StatusNotImplemented, http.StatusRequestEntityTooLarge:
			if w.Header().Get("CIMError") == "" {
				t.Fatalf("HTTP %d without CIMError", w.Code)
			}
		default:
			t.Fatalf("HTTP %d", w.Code)
		}
	})
}
