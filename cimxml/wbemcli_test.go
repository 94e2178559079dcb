package cimxml_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/internal/interop"
	"github.com/gowbem/gowbem/internal/workload"
)

// The interop matrix C1–C17 with the real wbemcli (Debian sblim-wbemcli)
// against the server on loopback, over HTTP and TLS.
func TestWBEMCLIMatrix(t *testing.T) {
	interop.NeedTool(t, "wbemcli")
	e := newEnv(t, &workload.Provider{N: 3000}, nil)
	tls := httptest.NewTLSServer(e.srv)
	defer tls.Close()
	interop.RunWBEMCLIMatrix(t, interop.Matrix{
		Base:      e.userURL(),
		TLSBase:   strings.Replace(tls.URL, "https://", "https://"+testUser+":"+testPass+"@", 1),
		Namespace: "root/cimv2",
		Big:       workload.ClassName, BigCount: 3000,
	})
}
