//go:build !windows

package wmi

import (
	"context"
	"net/url"
	"runtime"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

func init() {
	wbem.RegisterProtocol(Scheme, func(context.Context, *url.URL, wbem.Credentials) (wbem.Backend, error) {
		return nil, &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Operation: "Connect",
			Description: "WMI is part of Windows; this program runs on " + runtime.GOOS + " (connect to a gowbem daemon instead)"}
	})
}
