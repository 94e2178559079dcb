//go:build !windows

package wmi

import (
	"context"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// Elsewhere than Windows, "wmi:" is a clear WBEM_E_NOT_SUPPORTED rather
// than "not a URL" or a missing protocol.
func TestConnectElsewhere(t *testing.T) {
	for _, u := range []string{"wmi:", "wmi://server/root/cimv2"} {
		_, err := wbem.Connect(context.Background(), u, "", wbem.Credentials{})
		if wbem.StatusOf(err) != cim.WBEM_E_NOT_SUPPORTED {
			t.Errorf("Connect(%q) = %v, want WBEM_E_NOT_SUPPORTED", u, err)
		}
	}
}
