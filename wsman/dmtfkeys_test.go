package wsman_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

var cimKeyQ = cim.Qualifiers{{Name: "CIM_Key", Value: cim.Bool(true)}}

// setupProcessors adds WMI's shape of CIM_Processor (DMTF's keys
// SystemCreationClassName, SystemName and CreationClassName marked CIM_Key,
// DeviceID the Key) and two Win32_Processor instances of host TESTHOST.
func setupProcessors(t testing.TB, svc *wbem.Services) {
	t.Helper()
	mustPutClass(t, svc, &cim.Class{Name: "CIM_Processor", Qualifiers: cim.Qualifiers{{Name: "Abstract", Value: cim.Bool(true)},
		{Name: "Provider", Value: cim.String("TestMethods")}},
		Methods: []cim.Method{{Name: "Reset", ReturnType: cim.TypeUint32, Qualifiers: cim.Qualifiers{{Name: "Implemented", Value: cim.Bool(true)}}}},
		Properties: []cim.Property{
			{Name: "SystemCreationClassName", Type: cim.TypeString, Qualifiers: cimKeyQ},
			{Name: "SystemName", Type: cim.TypeString, Qualifiers: cimKeyQ},
			{Name: "CreationClassName", Type: cim.TypeString, Qualifiers: cimKeyQ},
			{Name: "DeviceID", Type: cim.TypeString, Qualifiers: keyQ},
			{Name: "LoadPercentage", Type: cim.TypeUint16},
		}})
	mustPutClass(t, svc, &cim.Class{Name: "Win32_Processor", Superclass: "CIM_Processor",
		Properties: []cim.Property{{Name: "Architecture", Type: cim.TypeUint16}}})
	mustPutClass(t, svc, &cim.Class{Name: "GW_ProcessorOf", Qualifiers: cim.Qualifiers{{Name: "Association", Value: cim.Bool(true)}},
		Properties: []cim.Property{
			{Name: "Antecedent", Type: cim.TypeReference, RefClass: "CIM_Processor", Qualifiers: keyQ},
			{Name: "Dependent", Type: cim.TypeReference, RefClass: "Test_Foo", Qualifiers: keyQ},
		}})
	mustPut(t, svc, "GW_ProcessorOf", map[string]cim.Value{"Antecedent": cim.RefString(`Win32_Processor.DeviceID="CPU0"`), "Dependent": cim.RefString(`Test_Foo.Id="a"`)})
	for _, id := range []string{"CPU0", "CPU1"} {
		mustPut(t, svc, "Win32_Processor", map[string]cim.Value{"SystemCreationClassName": cim.String("Win32_ComputerSystem"),
			"SystemName": cim.String("TESTHOST"), "CreationClassName": cim.String("Win32_Processor"), "DeviceID": cim.String(id),
			"LoadPercentage": cim.Uint16(5), "Architecture": cim.Uint16(9)})
	}
}

// On a DMTF resource URI the DMTF keys of a class name its instances, as
// WinRM takes them: WMI's key (DeviceID) finds the instance, the scoping
// keys (SystemCreationClassName, SystemName, CreationClassName) must be the
// instance's, else no instance is named. On WMI's URIs WMI's keys stay the
// only selectors. The requests are WinRM client's envelopes under
// testdata/dmtfkeys.
func TestDMTFKeySelectors(t *testing.T) {
	e := newEnv(t, &workload.Provider{N: 1}, wsman.Options{})
	svc := e.om.Services(workload.Namespace)
	setupProcessors(t, svc)
	load := func(id string) uint64 {
		t.Helper()
		cr, err := svc.GetObject(context.Background(), `Win32_Processor.DeviceID="`+id+`"`, 0)
		if err != nil {
			return 0
		}
		obj, _ := cr.ResultObject(0)
		return obj.(*cim.Instance).Value("LoadPercentage").Uint()
	}
	for _, tc := range []struct {
		file    string
		http    int
		subcode string // "" for success
		code    string // WSManFault Code
		says    []string
		after   func() string // what must hold afterwards; "" if it does
	}{
		{"get-dmtf-keys", 200, "", "", []string{"DeviceID>CPU0</", "SystemName>TESTHOST</"}, nil},
		{"get-dmtf-wmi-key", 200, "", "", []string{"DeviceID>CPU0</"}, nil},
		{"get-dmtf-other-system", 400, "wsa:DestinationUnreachable", "2150858752", []string{"SystemName", "OTHERHOST", "TESTHOST"}, nil},
		{"get-dmtf-other-class", 400, "wsa:DestinationUnreachable", "2150858752", []string{"CreationClassName", "CIM_Processor"}, nil},
		{"get-dmtf-scoping-only", 400, "wsman:InvalidSelectors", "2150858842", []string{"DeviceID"}, nil},
		{"get-wmi-dmtf-keys", 400, "wsman:InvalidSelectors", "2150858845", []string{"not a key"}, nil},
		{"invoke-dmtf-keys", 200, "", "", []string{"Reset_OUTPUT", "ReturnValue>0<"}, nil},
		{"invoke-dmtf-other-system", 400, "wsa:DestinationUnreachable", "2150858752", []string{"OTHERHOST"}, nil},
		// A reference by DMTF's keys (an EPR of WinRM's) is WMI's path.
		{"enum-dmtf-associators", 200, "", "", []string{"Id>a</", "EndOfSequence"}, nil},
		{"get-wmi-key", 200, "", "", []string{"<p:DeviceID>CPU0</p:DeviceID>"}, nil},
		{"put-dmtf-other-system", 400, "wsa:DestinationUnreachable", "2150858752", []string{"OTHERHOST"}, func() string {
			if n := load("CPU0"); n != 5 {
				return fmt.Sprintf("a Put naming another system changed LoadPercentage to %d", n)
			}
			return ""
		}},
		{"put-dmtf-keys", 200, "", "", []string{"PutResponse", "LoadPercentage>42</"}, func() string {
			if n := load("CPU0"); n != 42 {
				return "the Put by DMTF keys did not change LoadPercentage"
			}
			return ""
		}},
		{"delete-dmtf-other-system", 400, "wsa:DestinationUnreachable", "2150858752", []string{"OTHERHOST"}, func() string {
			if load("CPU1") == 0 {
				return "a Delete naming another system deleted CPU1"
			}
			return ""
		}},
		{"delete-dmtf-keys", 200, "", "", []string{"DeleteResponse"}, func() string {
			if load("CPU1") != 0 {
				return "the Delete by DMTF keys left CPU1"
			}
			return ""
		}},
	} {
		req, err := os.ReadFile(filepath.Join("testdata/dmtfkeys", tc.file+".request.xml"))
		if err != nil {
			t.Fatal(err)
		}
		w := call(e.srv, testUser, testPass, string(req))
		body := w.Body.String()
		sub, code, _ := faultCodes(t, body)
		if w.Code != tc.http || sub != tc.subcode || code != tc.code {
			t.Errorf("%s: HTTP %d %s Code %s, want %d %q Code %s\n%s", tc.file, w.Code, sub, code, tc.http, tc.subcode, tc.code, body)
			continue
		}
		for _, s := range tc.says {
			if !strings.Contains(body, s) {
				t.Errorf("%s: the response does not say %q\n%s", tc.file, s, body)
			}
		}
		if tc.after != nil {
			if msg := tc.after(); msg != "" {
				t.Errorf("%s: %s", tc.file, msg)
			}
		}
	}
}
