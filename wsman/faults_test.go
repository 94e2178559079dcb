package wsman_test

import (
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wsman"
)

var (
	reWSManFault = regexp.MustCompile(`<f:WSManFault [^>]*Code="(\d+)"`)
	reWBEMStatus = regexp.MustCompile(`<gw:WBEMStatus Code="(\d+)" Name="([A-Z0-9_]+)"`)
)

// faultCodes returns a fault's subcode, WSManFault Code and WBEM status name.
func faultCodes(t *testing.T, body string) (subcode, code, status string) {
	t.Helper()
	if m := regexp.MustCompile(`<s:Subcode><s:Value>([^<]*)</s:Value>`).FindStringSubmatch(body); m != nil {
		subcode = m[1]
	}
	if m := reWSManFault.FindStringSubmatch(body); m != nil {
		code = m[1]
	}
	if m := reWBEMStatus.FindStringSubmatch(body); m != nil {
		status = m[2]
	}
	return
}

// WSManFault's Code is WinRM's number for the fault (MS-WSMV; pywinrm and
// other WinRM clients test it), the WBEM status stays in gw:WBEMStatus.
func TestWinRMFaultCodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newServer(t, &workload.Provider{N: 3, Delay: time.Second}, wsman.Options{})
		id := enumCtxOf(t, call(srv, testUser, testPass, enumerate(itemURI, "")))
		for _, tc := range []struct {
			name, req, subcode, code, status string
		}{
			{"pull-timed-out", pull(itemURI, id, "<wsen:MaxTime>PT0.5S</wsen:MaxTime>", ""), "wsman:TimedOut", "2150858793", "WBEM_S_TIMEDOUT"},
			{"unknown-context", pull(itemURI, "uuid:nope", "", ""), "wsen:InvalidEnumerationContext", "2150858779", "WBEM_E_INVALID_PARAMETER"},
			{"unknown-action", envelope("urn:frobnicate", itemURI, "", ""), "wsa:ActionNotSupported", "2150858771", "WBEM_E_NOT_SUPPORTED"},
			{"no-message-id", strings.Replace(envelope(actGet, itemURI, "", ""), "<wsa:MessageID>uuid:0000-1</wsa:MessageID>", "", 1),
				"wsa:MessageInformationHeaderRequired", "2150858769", "WBEM_E_INVALID_PARAMETER"},
		} {
			w := call(srv, testUser, testPass, tc.req)
			sub, code, st := faultCodes(t, w.Body.String())
			if sub != tc.subcode || code != tc.code || st != tc.status {
				t.Errorf("%s: %s Code %s %s, want %s Code %s %s\n%s", tc.name, sub, code, st, tc.subcode, tc.code, tc.status, w.Body.String())
			}
		}
	})
}
