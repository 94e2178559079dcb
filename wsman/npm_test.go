package wsman_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wsman"
)

// npmDir holds the package.json of Intel's WS-Management message builder
// (@device-management-toolkit/wsman-messages, pinned) and messages.js, the
// factory that builds its envelopes for this test; `npm ci` there (as
// .ci/run does) installs the package into node_modules, which is not
// committed.
const npmDir = "testdata/npm"

// npmMessages is a running messages.js: each build call writes a request
// and reads the envelope the package made.
type npmMessages struct {
	t   *testing.T
	in  io.WriteCloser
	out *bufio.Scanner
}

// startNpmMessages starts messages.js under node, skipping the test
// (failing under GOWBEM_REQUIRE_ALL=1) without node or the package.
func startNpmMessages(t *testing.T) *npmMessages {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
			t.Fatal(why + " and GOWBEM_REQUIRE_ALL=1")
		}
		t.Skip(why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("no node (Debian package nodejs)")
	}
	if _, err := os.Stat(npmDir + "/node_modules/@device-management-toolkit/wsman-messages/package.json"); err != nil {
		missing("@device-management-toolkit/wsman-messages is not installed: run npm ci in wsman/" + npmDir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, node, "messages.js")
	cmd.Dir = npmDir
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		cmd.Wait()
		cancel()
	})
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	return &npmMessages{t: t, in: in, out: sc}
}

// build returns the package's envelope for pkg's class.call(args…).
func (m *npmMessages) build(pkg, class, call string, args ...any) string {
	m.t.Helper()
	req, _ := json.Marshal(map[string]any{"pkg": pkg, "class": class, "call": call, "args": args})
	if _, err := m.in.Write(append(req, '\n')); err != nil {
		m.t.Fatal(err)
	}
	if !m.out.Scan() {
		m.t.Fatalf("messages.js ended: %v", m.out.Err())
	}
	var resp struct{ XML, Error string }
	if err := json.Unmarshal(m.out.Bytes(), &resp); err != nil || resp.Error != "" {
		m.t.Fatalf("%s.%s.%s: %v %s", pkg, class, call, err, resp.Error)
	}
	return resp.XML
}

// npmPost sends an envelope over loopback as the package's users do (Basic
// authentication, SOAP 1.2 content type).
func npmPost(t *testing.T, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth(testUser, testPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var (
	npmCtxRE       = regexp.MustCompile(`<wsen:EnumerationContext>([^<]*)</wsen:EnumerationContext>`)
	npmRelatesRE   = regexp.MustCompile(`<wsa:RelatesTo>([^<]*)</wsa:RelatesTo>`)
	npmMessageIDRE = regexp.MustCompile(`<a:MessageID>([^<]*)</a:MessageID>`)
	npmItemsRE     = regexp.MustCompile(`(?s)<wsen:Items>(.*)</wsen:Items>`)
	npmDeviceRE    = regexp.MustCompile(`DeviceID>(CPU\d)</`)
)

// setupNpmClasses adds CIM classes the package has messages for, as WMI
// would serve them: CIM_Chassis (key Tag) to Put and Create,
// CIM_WiFiEndpointSettings (key InstanceID) to Delete, and
// CIM_PowerManagementService with its static RequestPowerStateChange, whose
// ManagedElement the package passes as an EPR with DMTF's keys.
func setupNpmClasses(t *testing.T, e *testEnv) {
	svc := e.om.Services(workload.Namespace)
	mustPutClass(t, svc, &cim.Class{Name: "CIM_Chassis", Properties: []cim.Property{
		{Name: "Tag", Type: cim.TypeString, Qualifiers: keyQ}, {Name: "ElementName", Type: cim.TypeString}}})
	mustPut(t, svc, "CIM_Chassis", map[string]cim.Value{"Tag": cim.String("T1"), "ElementName": cim.String("old")})
	mustPutClass(t, svc, &cim.Class{Name: "CIM_WiFiEndpointSettings", Properties: []cim.Property{
		{Name: "InstanceID", Type: cim.TypeString, Qualifiers: keyQ}, {Name: "SSID", Type: cim.TypeString}}})
	mustPut(t, svc, "CIM_WiFiEndpointSettings", map[string]cim.Value{"InstanceID": cim.String("Intel(r) AMT:WiFi Endpoint Settings home"), "SSID": cim.String("home")})
	mustPutClass(t, svc, &cim.Class{Name: "CIM_PowerManagementService",
		Qualifiers: cim.Qualifiers{{Name: "Provider", Value: cim.String("TestMethods")}},
		Properties: []cim.Property{{Name: "Name", Type: cim.TypeString, Qualifiers: keyQ}},
		Methods: []cim.Method{{Name: "RequestPowerStateChange", ReturnType: cim.TypeUint32,
			Qualifiers: cim.Qualifiers{{Name: "Static", Value: cim.Bool(true)}, {Name: "Implemented", Value: cim.Bool(true)}},
			Params: []cim.Parameter{{Name: "PowerState", Type: cim.TypeUint16, Qualifiers: inQ},
				{Name: "ManagedElement", Type: cim.TypeReference, RefClass: "CIM_ComputerSystem", Qualifiers: inQ}}}}})
}

// Intel's npm message builder (@device-management-toolkit/wsman-messages,
// the N1/N2 rows of protocols.md) against the server over loopback: its
// envelopes have default namespaces, numeric MessageIDs restarting at 0, a
// relative To and no mustUnderstand; Pull asks MaxCharacters. Identify,
// Enumerate, Pull, Release, Get, Put, Create, Delete and a method with an
// EPR parameter work on the classes the server has; AMT's and IPS's own
// classes and actions are wsa:DestinationUnreachable with
// InvalidResourceURI, as for any class the server does not have.
func TestWSManMessages(t *testing.T) {
	m := startNpmMessages(t)
	e := newEnv(t, &workload.Provider{N: 1}, wsman.Options{})
	setupProcessors(t, e.om.Services(workload.Namespace))
	setupNpmClasses(t, e)

	type want struct {
		http    int
		subcode string // "" for success
		says    []string
	}
	send := func(name, xml string, w want) string {
		t.Helper()
		status, body := npmPost(t, e.url, xml)
		sub := ""
		if m := regexp.MustCompile(`<s:Subcode><s:Value>([^<]*)</s:Value>`).FindStringSubmatch(body); m != nil {
			sub = m[1]
		}
		if status != w.http || sub != w.subcode {
			t.Fatalf("%s: HTTP %d %q, want %d %q\nrequest: %s\nresponse: %s", name, status, sub, w.http, w.subcode, xml, body)
		}
		for _, s := range w.says {
			if !strings.Contains(body, s) {
				t.Fatalf("%s: the response does not say %q\n%s", name, s, body)
			}
		}
		// The numeric MessageID comes back as RelatesTo.
		if id := npmMessageIDRE.FindStringSubmatch(xml); id != nil {
			if rel := npmRelatesRE.FindStringSubmatch(body); rel == nil || rel[1] != id[1] {
				t.Fatalf("%s: RelatesTo %v, want the request's MessageID %q\n%s", name, rel, id[1], body)
			}
		}
		return body
	}
	ok := want{http: 200}
	unknownClass := want{400, "wsa:DestinationUnreachable", []string{"faultDetail/InvalidResourceURI"}}

	send("Identify", m.build("CIM", "", "Identify"), want{200, "", []string{"IdentifyResponse", "ProtocolVersion"}})

	// Enumerate, then Pull with the package's MaxElements 999 and
	// MaxCharacters 99999: both processors and the end.
	body := send("Enumerate", m.build("CIM", "Processor", "Enumerate"), ok)
	ctx := npmCtxRE.FindStringSubmatch(body)
	if ctx == nil {
		t.Fatalf("no context: %s", body)
	}
	body = send("Pull", m.build("CIM", "Processor", "Pull", ctx[1]), want{200, "", []string{"EndOfSequence"}})
	if got := npmDeviceRE.FindAllStringSubmatch(body, -1); len(got) != 2 {
		t.Fatalf("Pull: %d processors\n%s", len(got), body)
	}
	// MaxCharacters bounds the items of a Pull: one processor at a time.
	body = send("Enumerate", m.build("CIM", "Processor", "Enumerate"), ok)
	ctx = npmCtxRE.FindStringSubmatch(body)
	var seen []string
	for i := 0; ctx != nil && i < 4; i++ {
		body = send("Pull MaxCharacters", m.build("CIM", "Processor", "PullLimits", ctx[1], 10, 700), ok)
		items := npmItemsRE.FindStringSubmatch(body)
		if items == nil || len(items[1]) > 700 {
			t.Fatalf("Pull with MaxCharacters 700: items %v\n%s", items, body)
		}
		if n := len(npmDeviceRE.FindAllStringSubmatch(body, -1)); n > 1 {
			t.Fatalf("a Pull of MaxCharacters 700 holds %d processors", n)
		}
		for _, d := range npmDeviceRE.FindAllStringSubmatch(body, -1) {
			seen = append(seen, d[1])
		}
		ctx = npmCtxRE.FindStringSubmatch(body)
	}
	if strings.Join(seen, " ") != "CPU0 CPU1" || ctx != nil {
		t.Fatalf("Pulls within MaxCharacters gave %v, context left %v", seen, ctx)
	}
	// Release ends an enumeration; a Pull after it is refused.
	body = send("Enumerate", m.build("CIM", "Processor", "Enumerate"), ok)
	ctx = npmCtxRE.FindStringSubmatch(body)
	send("Release", m.build("CIM", "Processor", "Release", ctx[1]), want{200, "", []string{"ReleaseResponse"}})
	send("Pull after Release", m.build("CIM", "Processor", "Pull", ctx[1]), want{500, "wsen:InvalidEnumerationContext", nil})

	send("Get", m.build("CIM", "Processor", "Get", map[string]string{"name": "DeviceID", "value": "CPU1"}), want{200, "", []string{"DeviceID>CPU1</"}})

	// Put and Create of CIM_Chassis (the package's protected builders, as
	// its AMT classes use them).
	send("Put", m.build("CIM", "Chassis", "protectedPut", map[string]string{"Tag": "T1", "ElementName": "new"}, true, map[string]string{"name": "Tag", "value": "T1"}),
		want{200, "", []string{"PutResponse", "ElementName>new</"}})
	send("Create", m.build("CIM", "Chassis", "protectedCreate", map[string]string{"Tag": "T2", "ElementName": "second"}), want{200, "", []string{"ResourceCreated", `Name="Tag">T2<`}})
	send("Create again", m.build("CIM", "Chassis", "protectedCreate", map[string]string{"Tag": "T2", "ElementName": "second"}), want{400, "wsman:AlreadyExists", nil})
	send("Get created", m.build("CIM", "Chassis", "Get", map[string]string{"name": "Tag", "value": "T2"}), want{200, "", []string{"ElementName>second</"}})

	del := m.build("CIM", "WiFiEndpointSettings", "Delete", map[string]string{"name": "InstanceID", "value": "Intel(r) AMT:WiFi Endpoint Settings home"})
	send("Delete", del, want{200, "", []string{"DeleteResponse"}})
	send("Delete again", m.build("CIM", "WiFiEndpointSettings", "Delete", map[string]string{"name": "InstanceID", "value": "Intel(r) AMT:WiFi Endpoint Settings home"}),
		want{400, "wsa:DestinationUnreachable", nil})

	// A method whose EPR parameter names CIM_ComputerSystem by DMTF's keys.
	send("RequestPowerStateChange", m.build("CIM", "PowerManagementService", "RequestPowerStateChange", 8), want{200, "", []string{"RequestPowerStateChange_OUTPUT", "ReturnValue>0<"}})

	// Classes and actions the server does not have.
	send("KVMRedirectionSAP.RequestStateChange", m.build("CIM", "KVMRedirectionSAP", "RequestStateChange", 2), unknownClass)
	send("AMT_GeneralSettings Get", m.build("AMT", "GeneralSettings", "Get"), unknownClass)
	send("AMT_GeneralSettings Put", m.build("AMT", "GeneralSettings", "Put", map[string]string{"ElementName": "x", "HostName": "h"}), unknownClass)
	send("AMT_SetupAndConfigurationService.Unprovision", m.build("AMT", "SetupAndConfigurationService", "Unprovision", 1), unknownClass)
	send("IPS_OptInService Enumerate", m.build("IPS", "OptInService", "Enumerate"), unknownClass)
}
