package wsman_test

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wsman"
)

var (
	captureEnvelopes = flag.Bool("capture", false, "run the real clients against a test server and rewrite testdata/envelopes from the requests they send")
	updateEnvelopes  = flag.Bool("update", false, "rewrite the golden responses of testdata/envelopes")
)

// envelopeDir holds requests captured from real clients, a directory a
// client and a command (wsl/enum-optimized/), one file a request in the
// order sent (01.request.xml, …) and the response this server gives it
// (01.response.xml, normalized: random identifiers replaced).
const envelopeDir = "testdata/envelopes"

// replayItems is how many instances of GW_Item the servers of capture and
// replay have: enough for wsl to page them at its smallest envelope size.
const replayItems = 40

// The wsl commands captured (wsl is the Debian package's WS-Management
// client, bash over curl and xmllint).
var wslCaptures = []struct {
	name string
	env  []string
	args []string
}{
	{"identify", nil, []string{"wsl", "identify", "check"}},
	{"enum", nil, []string{"wsl", "enum", "CIM_ComputerSystem"}},
	{"enum-optimized", nil, []string{"wsl", "enum", "CIM_ComputerSystem", "-opti", "1"}},
	{"enum-epr", nil, []string{"wsl", "enum", "CIM_ComputerSystem", "-mode", "epr"}},
	{"enum-wql", nil, []string{"wsl", "enum", "Test_Foo", "-filter", "select * from Test_Foo where Count=11", "-dialect", wsman.DialectWQL}},
	{"enum-selector", nil, []string{"wsl", "enum", "Test_Foo", "-filter", "Id=a", "-dialect", wsman.DialectSelector}},
	{"enum-cql", nil, []string{"wsl", "enum", "Test_Foo", "-filter", "select * from Test_Foo"}},
	{"enum-bad-namespace", nil, []string{"wsl", "enum", "Test_Foo", "-ns", "root/nonexistent"}},
	{"references", nil, []string{"wsl", "enum", "Test_Foo", "-references", "Id=a"}},
	{"associators", nil, []string{"wsl", "enum", "Test_Foo", "-associators", "Id=a"}},
	{"get", nil, []string{"wsl", "get", "Test_Foo", "Id=a"}},
	{"get-missing", nil, []string{"wsl", "get", "Test_Foo", "Id=missing"}},
	{"invoke", nil, []string{"wsl", "invoke", "Test_Foo", "DoIt", "X=1", "Y=s", "-inst", "epr.xml"}},
	{"put", nil, []string{"wsl", "put", "Test_Foo", "Count=42"}},
	{"put-fragment", nil, []string{"wsl", "put", "Test_Foo", "Count=43", "-fragment"}},
	{"enum-small-envelope", []string{"WSMAXENVELOPESIZE=8192"}, []string{"wsl", "enum", workload.ClassName}},
}

// TestCaptureEnvelopes (with -capture) runs wsl against a test server and
// keeps what it sent under testdata/envelopes/wsl, for TestReplayEnvelopes.
func TestCaptureEnvelopes(t *testing.T) {
	if !*captureEnvelopes {
		t.Skip("run with -capture to capture envelopes from wsl again")
	}
	for _, c := range wslCaptures {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, &workload.Provider{N: replayItems}, wsman.Options{})
			var mu sync.Mutex
			var reqs [][]byte
			srv := e.hs.Config.Handler
			e.hs.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				reqs = append(reqs, body)
				mu.Unlock()
				r.Body = io.NopCloser(bytes.NewReader(body))
				srv.ServeHTTP(w, r)
			})
			w := newWSL(t, e, false)
			os.WriteFile(filepath.Join(w.dir, "epr.xml"), []byte("<wsa:EndpointReference>\n<wsa:ReferenceParameters>\n"+
				"<wsman:ResourceURI>http://schemas.dell.com/wbem/wscim/1/cim-schema/2/Test_Foo</wsman:ResourceURI>\n"+
				"<wsman:SelectorSet>\n<wsman:Selector Name=\"Id\">a</wsman:Selector>\n</wsman:SelectorSet>\n"+
				"</wsa:ReferenceParameters>\n</wsa:EndpointReference>\n"), 0o644)
			w.run(c.env, c.args...)
			if len(reqs) == 0 {
				t.Fatal("wsl sent nothing")
			}
			dir := filepath.Join(envelopeDir, "wsl", c.name)
			os.RemoveAll(dir)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for i, r := range reqs {
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d.request.xml", i+1)), r, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

var (
	// Random in every response: message identifiers and enumeration
	// contexts.
	uuidRE    = regexp.MustCompile(`uuid:[0-9a-fA-F-]{36}`)
	contextRE = regexp.MustCompile(`(<wsen:EnumerationContext>)([^<]*)(</wsen:EnumerationContext>)`)
)

// normalize replaces what differs from one run to the next.
func normalize(resp string) string {
	resp = uuidRE.ReplaceAllString(resp, "uuid:00000000-0000-0000-0000-000000000000")
	return contextRE.ReplaceAllString(resp, "${1}CONTEXT${3}")
}

// TestReplayEnvelopes sends each captured request to a fresh server, in
// order (a Pull or Release carries the context the last response gave),
// and compares the answer with the golden response: what real clients send
// keeps getting the same answer. -update rewrites the golden files.
func TestReplayEnvelopes(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(envelopeDir, "*", "*"))
	if len(dirs) == 0 {
		t.Fatalf("no captured envelopes under %s", envelopeDir)
	}
	for _, dir := range dirs {
		name, _ := filepath.Rel(envelopeDir, dir)
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, &workload.Provider{N: replayItems}, wsman.Options{})
			reqs, _ := filepath.Glob(filepath.Join(dir, "*.request.xml"))
			slices.Sort(reqs)
			lastContext := ""
			for _, file := range reqs {
				req, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				if lastContext != "" {
					req = contextRE.ReplaceAll(req, []byte("${1}"+lastContext+"${3}"))
				}
				hr, err := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(req))
				if err != nil {
					t.Fatal(err)
				}
				hr.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
				hr.SetBasicAuth(testUser, testPass)
				resp, err := e.hs.Client().Do(hr)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if m := contextRE.FindSubmatch(body); m != nil {
					lastContext = string(m[2])
				}
				got := fmt.Sprintf("HTTP %d\n%s\n", resp.StatusCode, normalize(string(body)))
				golden := strings.TrimSuffix(file, ".request.xml") + ".response.xml"
				if *updateEnvelopes {
					if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to write it)", err)
				}
				if got != string(want) {
					t.Errorf("%s: the response differs from %s:\n got: %s\nwant: %s", filepath.Base(file), filepath.Base(golden), got, want)
				}
			}
		})
	}
}
