package daemon

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An address another server holds (OMI and WinRM use 5985) makes Run say
// which flag moves the listener.
func TestAddressInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		cfg  Config
		want []string
	}{
		{Config{HTTPAddr: busy.Addr().String()}, []string{"address already in use", "another WS-Management server (OMI and WinRM", "pass --http ADDR", `--http ""`}},
		{Config{HTTPAddr: "127.0.0.1:0", CIMXMLAddr: busy.Addr().String()}, []string{"another CIM-XML server", "pass --cimxml ADDR"}},
	} {
		cfg := tc.cfg
		cfg.StateDir = t.TempDir()
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		err := Run(context.Background(), cfg)
		if err == nil {
			t.Fatal("Run served on an address in use")
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("lacks %q: %v", w, err)
			}
		}
	}
}

// At debug level the daemon logs every WS-Management request with its
// outcome.
func TestDebugRequestLog(t *testing.T) {
	dir := t.TempDir()
	s := start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0"})
	pw, err := os.ReadFile(filepath.Join(dir, AdminPasswordFile))
	if err != nil {
		t.Fatal(err)
	}
	body := `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>` +
		`<wsa:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</wsa:Action><wsa:To>/wsman</wsa:To><wsa:MessageID>uuid:1</wsa:MessageID>` +
		`<wsman:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Nope_Class</wsman:ResourceURI></s:Header><s:Body/></s:Envelope>`
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.http.String()+Path, strings.NewReader(body))
	req.SetBasicAuth(AdminUser, strings.TrimSpace(string(pw)))
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s.shutdown(t)
	log := s.log.String()
	for _, w := range []string{"level=DEBUG msg=request", "user=admin", "action=http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
		"resource=http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Nope_Class", "status=400", "fault=wsa:DestinationUnreachable", "took="} {
		if !strings.Contains(log, w) {
			t.Errorf("the debug log lacks %q:\n%s", w, log)
		}
	}
}
